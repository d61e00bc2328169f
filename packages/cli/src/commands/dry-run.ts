import { existsSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { localNow } from '@laas/core';
import { type Command, Option } from 'commander';
import { type EventInput, eventsFileSize, type ReadPosition, readEvents } from '../events.js';
import { type Colours, colours, fmtInt, outcomeColour, table } from '../output.js';
import type { Project } from '../project.js';
import {
  BUDGET_TERMS,
  budgetTable,
  htmlReport,
  markdownReport,
  NO_BUDGETS,
  POINTS_TERMS,
  pointsRows,
  projectBudgets,
  ruleAmount,
} from '../report.js';
import { createScratch, describeError, type Scratch, ScratchSetupError, type StoreKind } from '../scratch.js';
import { addEntityOptions, chooseStore, type EntityOptions, loadOrReport, sourcesOf } from '../sources.js';
import { type DryRunSummary, SummaryBuilder } from '../summary.js';
import { UsageError } from '../usage.js';

/** Without --table, the per-event table shows this many events, then only the summary. */
export const DEFAULT_TABLE_LIMIT = 1000;

interface DryRunOptions extends EntityOptions {
  rules: string;
  events: string;
  timezone?: string;
  json?: boolean;
  report?: string;
  table?: boolean;
  quiet?: boolean;
  store?: string;
}

export interface EventDecisionRow {
  line: number;
  idempotency_key?: string;
  type?: string;
  occurred_at?: string;
  customer?: Record<string, unknown>;
  replayed?: boolean;
  decisions: Array<{
    rule_id: string;
    rule_name: string;
    outcome: string;
    reason: string;
    quantity?: number;
  }>;
  error?: string;
}

/**
 * Shows progress on stderr when it is a terminal: events, rate, share of the file read, elapsed and
 * the time left at the rate so far.
 */
export class Progress {
  readonly #on: boolean;
  readonly #stream: NodeJS.WriteStream;
  readonly #start = Date.now();
  #last = Date.now();
  #shown = false;
  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#on = stream.isTTY === true;
  }
  /** `read` is the share of the input read so far, 0 to 1, when it is known. */
  tick(count: number, read?: number): void {
    if (!this.#on) return;
    const now = Date.now();
    if (now - this.#last < 250) return;
    this.#last = now;
    this.#stream.write(`\r\u001b[2K${progressLine(count, (now - this.#start) / 1000, read)}`);
    this.#shown = true;
  }
  done(): void {
    if (this.#shown) this.#stream.write('\r\u001b[2K');
  }
}

function clock(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** `250,000 events · 14,210 events/s · 25% · 0:17 elapsed · about 0:52 left`. */
export function progressLine(count: number, secs: number, read?: number): string {
  const rate = secs > 0 ? Math.round(count / secs) : 0;
  const parts = [`${fmtInt(count)} events`, `${fmtInt(rate)} events/s`];
  if (read !== undefined && read > 0 && read <= 1) {
    parts.push(
      `${Math.floor(read * 100)}%`,
      `${clock(secs)} elapsed`,
      `about ${clock((secs * (1 - read)) / read)} left`,
    );
  } else {
    parts.push(`${clock(secs)} elapsed`);
  }
  return parts.join(' · ');
}

function customerLabel(customer: Record<string, unknown> | undefined): string {
  if (customer === undefined) return '-';
  const v = customer.external_ref ?? customer.phone ?? customer.id;
  return typeof v === 'string' ? v : '-';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Prints the per-event table as it streams: fixed columns, one line per decision. */
class TablePrinter {
  readonly #c: Colours;
  readonly #reasonWidth: number;
  readonly #ruleWidth: number;
  #header = false;
  constructor(c: Colours, ruleNames: string[]) {
    this.#c = c;
    this.#ruleWidth = Math.min(48, Math.max(4, ...ruleNames.map((n) => n.length)));
    const cols = process.stdout.isTTY ? (process.stdout.columns ?? 160) : 0;
    this.#reasonWidth = cols > 0 ? Math.max(30, cols - 84 - this.#ruleWidth) : 10_000;
  }
  row(r: EventDecisionRow): void {
    const c = this.#c;
    const w = this.#ruleWidth;
    const cols = (
      line: string,
      at: string,
      type: string,
      cust: string,
      rule: string,
      outcome: string,
      reason: string,
    ) =>
      `${line.padStart(6)}  ${at.padEnd(24)}  ${type.padEnd(10)}  ${cust.padEnd(14)}  ${rule}  ${outcome}  ${reason}`;
    if (!this.#header) {
      this.#header = true;
      process.stdout.write(
        `${c.bold(cols('line', 'occurred_at', 'type', 'customer', 'rule'.padEnd(w), 'outcome'.padEnd(16), 'reason'))}\n`,
      );
    }
    const head = [
      String(r.line),
      r.occurred_at ?? '-',
      truncate(r.type ?? '-', 10),
      truncate(customerLabel(r.customer), 14),
    ] as const;
    if (r.error !== undefined) {
      process.stdout.write(
        `${cols(...head, '-'.padEnd(w), outcomeColour('rejected', c) + ' '.repeat(8), truncate(r.error, this.#reasonWidth))}\n`,
      );
      return;
    }
    if (r.replayed) {
      process.stdout.write(
        `${cols(...head, '-'.padEnd(w), c.dim('replayed'.padEnd(16)), 'duplicate idempotency key: the stored outcome')}\n`,
      );
      return;
    }
    if (r.decisions.length === 0) {
      process.stdout.write(
        `${cols(...head, '-'.padEnd(w), c.dim('-'.padEnd(16)), c.dim('no active rule for this event type'))}\n`,
      );
      return;
    }
    r.decisions.forEach((d, i) => {
      const h = i === 0 ? head : (['', '', '', ''] as const);
      const outcome = outcomeColour(d.outcome, c) + ' '.repeat(Math.max(0, 16 - d.outcome.length));
      process.stdout.write(
        `${cols(...h, truncate(d.rule_name, w).padEnd(w), outcome, truncate(d.reason, this.#reasonWidth))}\n`,
      );
    });
  }
}

export interface ReplayHandlers {
  onRow(row: EventDecisionRow): void;
}

/**
 * Replays an events file through a scratch engine loaded with `project`: one event at a time,
 * the engine clock at each event's `occurred_at`. Memory stays bounded: rows are handed to
 * `onRow` and forgotten; the summary keeps counters only.
 */
export async function replay(
  project: Project,
  eventsFile: string,
  options: { store: StoreKind; timezone?: string | undefined },
  handlers: ReplayHandlers,
): Promise<{ summary: DryRunSummary; scratch: Scratch }> {
  let scratch: Scratch | null = null;
  let summary: SummaryBuilder | null = null;
  const pending: Array<{ line: number; error: string }> = [];
  const progress = new Progress();
  const position: ReadPosition = { bytes: 0 };
  const size = eventsFileSize(eventsFile);
  let count = 0;
  try {
    for await (const row of readEvents(eventsFile, undefined, position)) {
      count++;
      progress.tick(count, size > 0 ? position.bytes / size : undefined);
      if (!row.ok) {
        handlers.onRow({ line: row.line, decisions: [], error: row.error });
        if (summary === null) pending.push({ line: row.line, error: row.error });
        else summary.rejected(row.line, row.error);
        continue;
      }
      if (scratch === null) {
        scratch = await createScratch(project, {
          store: options.store,
          timezone: options.timezone,
          start: row.occurredAt,
        });
        summary = new SummaryBuilder(scratch);
        for (const p of pending.splice(0)) summary.rejected(p.line, p.error);
      }
      const input: EventInput = row.input;
      const base = {
        line: row.line,
        idempotency_key: input.idempotency_key,
        type: input.type,
        occurred_at: input.occurred_at,
        customer: input.customer,
      };
      try {
        const result = await scratch.ingest(input, row.occurredAt);
        (summary as SummaryBuilder).add(input.type, new Date(input.occurred_at).toISOString(), result);
        handlers.onRow({
          ...base,
          ...(result.replayed ? { replayed: true } : {}),
          decisions: result.decisions.map((d) => ({
            rule_id: d.rule_id,
            rule_name: d.rule_name,
            outcome: d.outcome,
            reason: d.reason,
            ...(d.quantity === undefined ? {} : { quantity: d.quantity }),
          })),
        });
      } catch (error) {
        const message = describeError(error);
        (summary as SummaryBuilder).rejected(row.line, message);
        handlers.onRow({ ...base, decisions: [], error: message });
      }
    }
    if (scratch === null) {
      scratch = await createScratch(project, {
        store: options.store,
        timezone: options.timezone,
        start: new Date(),
      });
      summary = new SummaryBuilder(scratch);
      for (const p of pending.splice(0)) summary.rejected(p.line, p.error);
    }
    return { summary: await (summary as SummaryBuilder).finish(), scratch };
  } catch (error) {
    await scratch?.close();
    throw error;
  } finally {
    progress.done();
  }
}

function printSummary(
  s: DryRunSummary,
  c: Colours,
  localDate: (iso: string) => string,
  projections: ReturnType<typeof projectBudgets>,
): void {
  const out: string[] = [''];
  out.push(c.bold('Summary'));
  const types = Object.entries(s.events.by_type)
    .map(([t, n]) => `${t} ${fmtInt(n)}`)
    .join(', ');
  out.push(
    `  events: ${fmtInt(s.events.read)} read, ${fmtInt(s.events.processed)} processed, ${s.events.rejected > 0 ? c.red(`${fmtInt(s.events.rejected)} rejected`) : '0 rejected'}, ${fmtInt(s.events.replayed)} replayed${types ? ` (${types})` : ''}`,
  );
  if (s.events.first_at !== null && s.events.last_at !== null) {
    out.push(`  period: ${localDate(s.events.first_at)} → ${localDate(s.events.last_at)} (${s.timezone})`);
  }
  out.push(`  customers enrolled: ${fmtInt(s.customers_enrolled)}`);
  out.push(`  store: ${s.store}, ${(s.elapsed_ms / 1000).toFixed(1)} s`);
  if (s.placeholder_rewards.length > 0) {
    out.push(c.yellow(`  rewards not in the files (placeholders used): ${s.placeholder_rewards.join(', ')}`));
  }
  out.push('', c.bold('Rewards per rule'));
  const outcomeKeys = [
    'issued',
    'reserved',
    'not_matched',
    'cooldown',
    'cap_reached',
    'budget_exhausted',
    'codes_exhausted',
    'campaign_inactive',
    'error',
  ];
  const used = outcomeKeys.filter((k) => s.rules.some((r) => (r.outcomes[k] ?? 0) > 0));
  out.push(
    ...table(
      ['rule', 'reward', 'quantity', 'value', 'cost', ...used],
      s.rules.map((r) => [
        r.rule_name,
        r.reward,
        fmtInt(r.quantity),
        ruleAmount(r.value, r.value_unit),
        ruleAmount(r.cost, r.cost_unit),
        ...used.map((k) => fmtInt(r.outcomes[k] ?? 0)),
      ]),
      [false, false, true, true, true, ...used.map(() => true)],
    ).map((l) => `  ${l}`),
  );
  const caps = s.decisions.cap_reached ?? 0;
  const cooldowns = s.decisions.cooldown ?? 0;
  out.push(
    `  caps hit: ${fmtInt(caps)}, cooldowns hit: ${fmtInt(cooldowns)}, budget refusals: ${fmtInt(s.decisions.budget_exhausted ?? 0)}`,
  );
  const terms = (list: Array<[string, string]>) => list.map(([t, d]) => c.dim(`  ${t}: ${d}`));
  out.push('', c.bold('Budgets per period'));
  if (s.budgets.length === 0) {
    out.push(`  ${NO_BUDGETS}`);
  } else {
    const t = budgetTable(s, projections);
    out.push(
      ...table(
        t.headers.map((h) => h.toLowerCase()),
        t.rows,
        t.headers.map((_, i) => i >= 2 && i <= 7),
      ).map((l) => `  ${l}`),
      '',
      ...terms(BUDGET_TERMS),
    );
  }
  if (s.points !== null) {
    out.push('', c.bold('Points programme'));
    out.push(
      ...table(['points', 'over the replay'], pointsRows(s.points), [false, true]).map((l) => `  ${l}`),
    );
    out.push('', ...terms(POINTS_TERMS));
  }
  if (s.codes.length > 0) {
    out.push('', c.bold('Voucher codes'));
    out.push(
      ...table(
        ['reward', 'used', 'left'],
        s.codes.map((x) => [x.reward, fmtInt(x.used), fmtInt(x.available)]),
        [false, true, true],
      ).map((l) => `  ${l}`),
    );
  }
  if (s.expired.rewards + s.expired.reservations + s.expired.points > 0) {
    out.push(
      '',
      `Expired along the way: ${fmtInt(s.expired.rewards)} reward(s), ${fmtInt(s.expired.reservations)} reservation(s), ${fmtInt(s.expired.points)} point(s)`,
    );
  }
  if (s.late_events > 0) {
    out.push(
      '',
      c.yellow(
        `${fmtInt(s.late_events)} event(s) came more than a day out of time order: their caps and cooldowns may not have seen every earlier reward (sort the file by occurred_at, or use --store memory)`,
      ),
    );
  }
  if (s.rejected_samples.length > 0) {
    out.push('', c.red('Rejected events (first ones)'));
    for (const r of s.rejected_samples.slice(0, 5)) out.push(`  line ${r.line}: ${r.error}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerDryRunCommand(program: Command): void {
  const command = program
    .command('dry-run')
    .description(
      'Replay past events through the real engine on a scratch store (their timestamps drive the clock) and show every decision and a summary',
    )
    .requiredOption('--rules <path>', 'a project directory, or rule files / a directory of rule files')
    .requiredOption('--events <file>', 'events: .jsonl (one ingest input per line) or .csv (see README)');
  addEntityOptions(command)
    .option('--timezone <zone>', 'the tenant time zone for calendar windows (default: tenant file, else UTC)')
    .option('--json', 'print JSON: { events: [...], summary } (events capped like the table)')
    .option(
      '--report <file>',
      'write a backtest report: budget burn per day and projected exhaustion (.html or .md)',
    )
    .option('--table', `print every event's decisions (default: the first ${DEFAULT_TABLE_LIMIT} events)`)
    .option('--quiet', 'print only the summary')
    .addOption(
      new Option(
        '--store <kind>',
        'scratch store: auto and replay keep memory bounded by customers (what no later decision reads is forgotten as the replay goes; idempotency keys are kept 24 hours); memory keeps everything; sqlite uses a temporary file',
      )
        .choices(['auto', 'replay', 'memory', 'sqlite'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `\nExit codes: 0 ok, 1 definition errors or rejected events, 2 usage.\n\nExamples:\n  $ laas dry-run --rules examples/coffee-shop --events examples/coffee-shop/events/january.jsonl\n  $ laas dry-run --rules rules/ --rewards rewards/ --budgets budgets/ --events past.csv --report backtest.html --quiet\n`,
    )
    .action(async (opts: DryRunOptions) => {
      await runDryRun(opts);
    });
}

async function runDryRun(opts: DryRunOptions): Promise<void> {
  if (!existsSync(opts.events)) throw new UsageError(`no such events file: ${opts.events}`);
  if (opts.report !== undefined && !['.html', '.htm', '.md'].includes(extname(opts.report).toLowerCase())) {
    throw new UsageError('--report must name a .html or .md file');
  }
  const store = chooseStore(opts.store);
  const project = loadOrReport(sourcesOf(opts.rules, opts), 'dry-run');
  if (project === null) {
    process.exitCode = 1;
    return;
  }
  const c = colours(process.stdout);
  const limit = opts.quiet ? 0 : opts.table ? Number.POSITIVE_INFINITY : DEFAULT_TABLE_LIMIT;
  let shown = 0;
  let truncated = false;
  const printer = new TablePrinter(
    c,
    project.rules.map((r) => r.name),
  );
  if (opts.json) process.stdout.write('{"events":[');
  let result: Awaited<ReturnType<typeof replay>>;
  try {
    result = await replay(
      project,
      opts.events,
      { store, timezone: opts.timezone },
      {
        onRow(row) {
          if (shown >= limit) {
            truncated ||= limit > 0;
            return;
          }
          if (opts.json) process.stdout.write(`${shown === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`);
          else printer.row(row);
          shown++;
        },
      },
    );
  } catch (error) {
    if (opts.json) process.stdout.write(']}\n');
    if (error instanceof ScratchSetupError) {
      process.stderr.write(`laas dry-run: could not load the definitions: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  const { summary, scratch } = result;
  const localDate = (iso: string) => localNow(iso, summary.timezone).date;
  const projections = projectBudgets(summary, localDate);
  await scratch.close();
  if (opts.report !== undefined) {
    const ext = extname(opts.report).toLowerCase();
    writeFileSync(
      opts.report,
      ext === '.md'
        ? markdownReport(summary, projections, localDate)
        : htmlReport(summary, projections, localDate),
    );
  }
  if (opts.json) {
    process.stdout.write(
      `\n],"events_truncated":${truncated},"summary":${JSON.stringify({ ...summary, projections })}}\n`,
    );
  } else {
    if (truncated) {
      process.stdout.write(
        c.dim(`… the table stops after ${fmtInt(limit)} events (--table shows all, --quiet none)\n`),
      );
    }
    printSummary(summary, c, localDate, projections);
    if (opts.report !== undefined) process.stdout.write(`\nReport written to ${opts.report}\n`);
  }
  process.exitCode = summary.events.rejected > 0 ? 1 : 0;
}
