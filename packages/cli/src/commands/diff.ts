import { existsSync } from 'node:fs';
import type { Decision } from '@laas/core';
import { type Command, Option } from 'commander';
import { readEvents } from '../events.js';
import { colours, fmtInt, outcomeColour } from '../output.js';
import { isProjectDir } from '../project.js';
import { createScratch, describeError, type Scratch, ScratchSetupError } from '../scratch.js';
import { addEntityOptions, chooseStore, type EntityOptions, loadOrReport, sourcesOf } from '../sources.js';
import { UsageError } from '../usage.js';
import { Progress } from './dry-run.js';

interface Side {
  outcome: string;
  quantity?: number;
  reason: string;
}

export interface RuleChange {
  rule: string;
  old: Side | null;
  new: Side | null;
}

export interface EventChange {
  line: number;
  occurred_at: string;
  type: string;
  customer: Record<string, unknown>;
  rules: RuleChange[];
}

function sideOf(d: Decision | undefined): Side | null {
  if (d === undefined) return null;
  return {
    outcome: d.outcome,
    reason: d.reason,
    ...(d.quantity === undefined ? {} : { quantity: d.quantity }),
  };
}

function same(a: Side | null, b: Side | null): boolean {
  return a?.outcome === b?.outcome && a?.quantity === b?.quantity;
}

/** Matches the decisions of two rule sets: by rule id when both sets have it, else by name. */
function compare(oldScratch: Scratch, newScratch: Scratch, a: Decision[], b: Decision[]): RuleChange[] {
  const key = (d: Decision) =>
    oldScratch.rules.has(d.rule_id) && newScratch.rules.has(d.rule_id)
      ? `id:${d.rule_id}`
      : `name:${d.rule_name}`;
  const order: string[] = [];
  const byKey = new Map<string, { name: string; old?: Decision; new?: Decision }>();
  for (const [side, list] of [
    ['old', a],
    ['new', b],
  ] as const) {
    for (const d of list) {
      const k = key(d);
      let entry = byKey.get(k);
      if (entry === undefined) {
        entry = { name: d.rule_name };
        byKey.set(k, entry);
        order.push(k);
      }
      entry[side] = d;
    }
  }
  const changes: RuleChange[] = [];
  for (const k of order) {
    const e = byKey.get(k);
    if (e === undefined) continue;
    const o = sideOf(e.old);
    const n = sideOf(e.new);
    if (!same(o, n)) changes.push({ rule: e.name, old: o, new: n });
  }
  return changes;
}

interface DiffOptions extends EntityOptions {
  events: string;
  timezone?: string;
  json?: boolean;
  store?: string;
}

export function registerDiffCommand(program: Command): void {
  const command = program
    .command('diff')
    .description('Replay the same events under two rule sets and list every event whose outcome changes')
    .argument('<old>', 'the current rules: a project directory or rule files')
    .argument(
      '<new>',
      'the proposed rules: a project directory, or rule files (then with the rewards, budgets, ... of <old> when it is a project)',
    )
    .requiredOption('--events <file>', 'events: .jsonl or .csv, as for dry-run');
  addEntityOptions(command)
    .option('--timezone <zone>', 'the tenant time zone for calendar windows (default: tenant file, else UTC)')
    .option('--json', 'print JSON: { changes: [...], summary }')
    .addOption(
      new Option('--store <kind>', 'scratch stores (see dry-run)')
        .choices(['auto', 'replay', 'memory', 'sqlite'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 no outcome changes, 1 some outcomes change (or definition errors), 2 usage.\n\nExample:\n  $ laas diff examples/coffee-shop examples/coffee-shop/proposals/stamp-every-4 --events examples/coffee-shop/events/january.jsonl\n',
    )
    .action(async (oldPath: string, newPath: string, opts: DiffOptions) => {
      if (!existsSync(opts.events)) throw new UsageError(`no such events file: ${opts.events}`);
      const store = chooseStore(opts.store);
      const oldProject = loadOrReport(sourcesOf(oldPath, opts), 'diff');
      // Proposed rule files against a project: the project's rewards, budgets, ... on both sides.
      const newSources = sourcesOf(newPath, opts);
      if (newSources.root === undefined && isProjectDir(oldPath)) newSources.root = oldPath;
      const newProject = loadOrReport(newSources, 'diff');
      if (oldProject === null || newProject === null) {
        process.exitCode = 1;
        return;
      }
      const c = colours(process.stdout);
      let oldScratch: Scratch | null = null;
      let newScratch: Scratch | null = null;
      let events = 0;
      let changed = 0;
      let rejected = 0;
      const issued = { old: 0, new: 0 };
      const cost = { old: 0, new: 0 };
      const progress = new Progress();
      if (opts.json) process.stdout.write('{"changes":[');
      const fmtSide = (s: Side | null) =>
        s === null
          ? c.dim('(no decision)')
          : `${outcomeColour(s.outcome, c)}${s.quantity !== undefined ? ` ×${s.quantity}` : ''}`;
      try {
        for await (const row of readEvents(opts.events)) {
          progress.tick(++events);
          if (!row.ok) {
            rejected++;
            continue;
          }
          if (oldScratch === null || newScratch === null) {
            oldScratch = await createScratch(oldProject, {
              store,
              timezone: opts.timezone,
              start: row.occurredAt,
            });
            newScratch = await createScratch(newProject, {
              store,
              timezone: opts.timezone,
              start: row.occurredAt,
            });
          }
          let a: Decision[];
          let b: Decision[];
          try {
            const ra = await oldScratch.ingest(row.input, row.occurredAt);
            const rb = await newScratch.ingest(row.input, row.occurredAt);
            a = ra.decisions;
            b = rb.decisions;
            issued.old += ra.issuances.length;
            issued.new += rb.issuances.length;
            cost.old += ra.issuances.reduce((s, i) => s + i.cost, 0);
            cost.new += rb.issuances.reduce((s, i) => s + i.cost, 0);
          } catch (error) {
            rejected++;
            if (!opts.json) process.stderr.write(`line ${row.line}: rejected: ${describeError(error)}\n`);
            continue;
          }
          const rules = compare(oldScratch, newScratch, a, b);
          if (rules.length === 0) continue;
          const change: EventChange = {
            line: row.line,
            occurred_at: row.input.occurred_at,
            type: row.input.type,
            customer: row.input.customer,
            rules,
          };
          if (opts.json) process.stdout.write(`${changed === 0 ? '\n' : ',\n'}${JSON.stringify(change)}`);
          else {
            const who = change.customer.external_ref ?? change.customer.phone ?? change.customer.id ?? '-';
            process.stdout.write(
              `${c.bold(`line ${change.line}`)}  ${change.occurred_at}  ${change.type}  ${String(who)}\n`,
            );
            for (const r of rules)
              process.stdout.write(`    ${r.rule}: ${fmtSide(r.old)} → ${fmtSide(r.new)}\n`);
          }
          changed++;
        }
      } catch (error) {
        if (error instanceof ScratchSetupError) {
          if (opts.json) process.stdout.write(']}\n');
          process.stderr.write(`laas diff: could not load the definitions: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        progress.done();
        await oldScratch?.close();
        await newScratch?.close();
      }
      const summary = { events, changed, rejected, issuances: issued, cost };
      if (opts.json) process.stdout.write(`\n],"summary":${JSON.stringify(summary)}}\n`);
      else {
        const line = `${fmtInt(events)} event(s) replayed, ${fmtInt(changed)} with a different outcome; issuances ${fmtInt(issued.old)} → ${fmtInt(issued.new)}, cost ${fmtInt(cost.old)} → ${fmtInt(cost.new)}${rejected > 0 ? `, ${fmtInt(rejected)} rejected` : ''}`;
        process.stdout.write(`${changed > 0 ? '\n' : ''}${changed > 0 ? c.yellow(line) : c.green(line)}\n`);
      }
      process.exitCode = changed > 0 ? 1 : 0;
    });
}
