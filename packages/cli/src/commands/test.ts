import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { normaliseEvent } from '../events.js';
import { docFiles, readDoc } from '../files.js';
import { type Colours, colours } from '../output.js';
import { isProjectDir, type Project } from '../project.js';
import { createScratch, describeError } from '../scratch.js';
import { loadOrReport } from '../sources.js';
import { UsageError } from '../usage.js';

type DecisionExpectation = string | { outcome?: string; quantity?: number; reason?: string };

interface FixtureEvent {
  expect?: { decisions?: Record<string, DecisionExpectation>; issued?: string[] };
  [key: string]: unknown;
}

interface Fixture {
  name?: string;
  description?: string;
  timezone?: string;
  customers?: Array<Record<string, unknown>>;
  budgets?: Array<Record<string, unknown>>;
  events: FixtureEvent[];
  expect?: {
    points?: Record<string, number>;
    budgets?: Record<string, Record<string, number>>;
    issued?: Record<string, number>;
  };
}

export interface Mismatch {
  /** `event 3` or `end`. */
  at: string;
  what: string;
  expected: unknown;
  actual: unknown;
  note?: string;
}

export interface FixtureResult {
  name: string;
  file: string;
  passed: boolean;
  events: number;
  mismatches: Mismatch[];
  error?: string;
  ms: number;
}

const FIXTURE_KEYS = new Set(['name', 'description', 'timezone', 'customers', 'budgets', 'events', 'expect']);

function checkShape(content: unknown): string | null {
  if (typeof content !== 'object' || content === null || Array.isArray(content))
    return 'a fixture must be an object';
  for (const key of Object.keys(content))
    if (!FIXTURE_KEYS.has(key)) return `unknown key "${key}" (allowed: ${[...FIXTURE_KEYS].join(', ')})`;
  const events = (content as Fixture).events;
  if (!Array.isArray(events) || events.length === 0) return 'a fixture needs a non-empty "events" list';
  return null;
}

function customerKey(
  customer: { id: string; external_ref: string | null; phone: string | null },
  key: string,
): boolean {
  return customer.id === key || customer.external_ref === key || customer.phone === key;
}

/** Runs one fixture on a fresh in-memory engine loaded with the project. */
export async function runFixture(project: Project, file: string): Promise<FixtureResult> {
  const started = Date.now();
  const read = readDoc(file);
  const fallbackName = basename(file, extname(file));
  const fail = (name: string, error: string): FixtureResult => ({
    name,
    file: read.ok ? read.doc.shown : read.shown,
    passed: false,
    events: 0,
    mismatches: [],
    error,
    ms: Date.now() - started,
  });
  if (!read.ok) return fail(fallbackName, read.message);
  const shapeError = checkShape(read.doc.content);
  if (shapeError !== null) return fail(fallbackName, shapeError);
  const fixture = read.doc.content as Fixture;
  const name = fixture.name ?? fallbackName;
  const rows = fixture.events.map((e, i) => {
    const { expect: _expect, ...event } = e;
    return normaliseEvent(event, i + 1, `fixture-${i + 1}-`);
  });
  const bad = rows.find((r) => !r.ok);
  if (bad !== undefined && !bad.ok) return fail(name, `event ${bad.line}: ${bad.error}`);
  const first = rows[0];
  if (first === undefined || !first.ok) return fail(name, 'no events');

  let scratch: Awaited<ReturnType<typeof createScratch>>;
  try {
    scratch = await createScratch(project, {
      store: 'memory',
      timezone: fixture.timezone,
      start: first.occurredAt,
      ...(fixture.budgets ? { budgetOverrides: fixture.budgets } : {}),
      ...(fixture.customers ? { extraCustomers: fixture.customers } : {}),
    });
  } catch (error) {
    return fail(name, `starting state: ${describeError(error)}`);
  }
  const mismatches: Mismatch[] = [];
  const rewardName = (id: string) => scratch.rewards.get(id)?.name ?? id;
  const issuedTotals = new Map<string, number>();
  try {
    for (const [i, row] of rows.entries()) {
      if (!row.ok) continue;
      const at = `event ${i + 1} (${row.input.type} at ${row.input.occurred_at})`;
      let result: Awaited<ReturnType<typeof scratch.ingest>>;
      try {
        result = await scratch.ingest(row.input, row.occurredAt);
      } catch (error) {
        mismatches.push({
          at,
          what: 'ingest',
          expected: 'accepted',
          actual: `rejected: ${describeError(error)}`,
        });
        continue;
      }
      for (const iss of result.issuances) {
        const n = rewardName(iss.reward_id);
        issuedTotals.set(n, (issuedTotals.get(n) ?? 0) + 1);
      }
      const expect = fixture.events[i]?.expect;
      if (expect === undefined) continue;
      for (const [ruleKey, exp] of Object.entries(expect.decisions ?? {})) {
        const d = result.decisions.find((x) => x.rule_name === ruleKey || x.rule_id === ruleKey);
        const want = typeof exp === 'string' ? { outcome: exp } : exp;
        if (d === undefined) {
          if (want.outcome !== 'none') {
            mismatches.push({
              at,
              what: `decision of "${ruleKey}"`,
              expected: want.outcome ?? 'a decision',
              actual: 'no decision (the rule did not run for this event)',
            });
          }
          continue;
        }
        if (want.outcome !== undefined && d.outcome !== want.outcome) {
          mismatches.push({
            at,
            what: `decision of "${ruleKey}"`,
            expected: want.outcome,
            actual: d.outcome,
            note: d.reason,
          });
        }
        if (want.quantity !== undefined && d.quantity !== want.quantity) {
          mismatches.push({
            at,
            what: `quantity of "${ruleKey}"`,
            expected: want.quantity,
            actual: d.quantity ?? null,
            note: d.reason,
          });
        }
        if (want.reason !== undefined && !d.reason.includes(want.reason)) {
          mismatches.push({
            at,
            what: `reason of "${ruleKey}"`,
            expected: `…${want.reason}…`,
            actual: d.reason,
          });
        }
      }
      if (expect.issued !== undefined) {
        const actual = result.issuances.map((x) => rewardName(x.reward_id));
        if (JSON.stringify(actual) !== JSON.stringify(expect.issued)) {
          mismatches.push({ at, what: 'issued', expected: expect.issued, actual });
        }
      }
    }
    const end = fixture.expect;
    if (end !== undefined) {
      const t = scratch.tenant.id;
      if (end.points !== undefined) {
        const customers = (await scratch.engine.customers.list(t, {}, { limit: 200 })).items;
        for (const [key, want] of Object.entries(end.points)) {
          const customer = customers.find((c) => customerKey(c, key));
          const actual = customer === undefined ? 'no such customer' : customer.stats.points_balance;
          if (actual !== want)
            mismatches.push({ at: 'end', what: `points of ${key}`, expected: want, actual });
        }
      }
      for (const [budgetKey, periods] of Object.entries(end.budgets ?? {})) {
        const budget = [...scratch.budgets.values()].find((b) => b.id === budgetKey || b.name === budgetKey);
        if (budget === undefined) {
          mismatches.push({
            at: 'end',
            what: `budget ${budgetKey}`,
            expected: 'a budget',
            actual: 'no such budget',
          });
          continue;
        }
        const stored = await scratch.engine.budgets.periods(t, budget.id);
        for (const [period, want] of Object.entries(periods)) {
          const p = stored.find((x) => x.period === period);
          const actual = p === undefined ? 0 : p.reserved + p.utilized + p.spent;
          if (actual !== want)
            mismatches.push({
              at: 'end',
              what: `budget "${budget.name}" committed in ${period}`,
              expected: want,
              actual,
            });
        }
      }
      for (const [reward, want] of Object.entries(end.issued ?? {})) {
        const actual = issuedTotals.get(reward) ?? 0;
        if (actual !== want)
          mismatches.push({ at: 'end', what: `issuances of "${reward}"`, expected: want, actual });
      }
    }
  } finally {
    await scratch.close();
  }
  return {
    name,
    file: read.doc.shown,
    passed: mismatches.length === 0,
    events: rows.length,
    mismatches,
    ms: Date.now() - started,
  };
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function printResult(r: FixtureResult, c: Colours): void {
  const time = c.dim(`(${r.ms} ms)`);
  if (r.passed) {
    process.stdout.write(`${c.green('✓')} ${r.name} ${time}\n`);
    return;
  }
  process.stdout.write(`${c.red('✗')} ${r.name} ${c.dim(r.file)} ${time}\n`);
  if (r.error !== undefined) process.stdout.write(`    ${c.red(r.error)}\n`);
  for (const m of r.mismatches) {
    process.stdout.write(`    ${m.at}: ${m.what}\n`);
    process.stdout.write(`      ${c.green(`- expected: ${show(m.expected)}`)}\n`);
    process.stdout.write(`      ${c.red(`+ actual:   ${show(m.actual)}`)}\n`);
    if (m.note !== undefined) process.stdout.write(`      ${c.dim(m.note)}\n`);
  }
}

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description(
      'Run the fixtures of a rules project (fixtures/*.json|yaml): events in, expected decisions and issuances out',
    )
    .argument('<dir>', 'the project directory (rules/, rewards/, budgets/, ..., fixtures/)')
    .option('--fixture <name>', 'run only fixtures whose name or file name contains this text')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 every fixture passed, 1 a fixture failed (or the definitions have errors), 2 usage.\n\nExample:\n  $ laas test examples/coffee-shop\n',
    )
    .action(async (dir: string, opts: { fixture?: string; json?: boolean }) => {
      if (!existsSync(dir) || !isProjectDir(dir))
        throw new UsageError(`${dir} is not a project directory (it needs a rules/ directory)`);
      const fixturesDir = join(dir, 'fixtures');
      if (!existsSync(fixturesDir)) throw new UsageError(`${dir} has no fixtures/ directory`);
      const project = loadOrReport({ root: dir }, 'test');
      if (project === null) {
        process.exitCode = 1;
        return;
      }
      const files = docFiles(fixturesDir).filter(
        (f) => opts.fixture === undefined || f.includes(opts.fixture),
      );
      const c = colours(process.stdout);
      const results: FixtureResult[] = [];
      const started = Date.now();
      for (const file of files) {
        const r = await runFixture(project, file);
        if (opts.fixture !== undefined && !r.name.includes(opts.fixture) && !file.includes(opts.fixture))
          continue;
        results.push(r);
        if (!opts.json) printResult(r, c);
      }
      const failed = results.filter((r) => !r.passed).length;
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ passed: results.length - failed, failed, fixtures: results }, null, 2)}\n`,
        );
      } else {
        const line = `${results.length} fixture(s): ${results.length - failed} passed, ${failed} failed (${Date.now() - started} ms)`;
        process.stdout.write(`\n${failed > 0 ? c.red(line) : c.green(line)}\n`);
      }
      process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
    });
}
