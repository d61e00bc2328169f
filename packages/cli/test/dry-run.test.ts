import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { laas } from './helpers.js';

const SHOP = 'examples/coffee-shop';
const JANUARY = `${SHOP}/events/january.jsonl`;
const RETAIL = 'examples/retail-points';

interface Summary {
  events: { read: number; processed: number; rejected: number };
  rules: Array<{ rule_name: string; issuances: number; outcomes: Record<string, number> }>;
  budgets: Array<{
    name: string;
    periods: Array<{ period: string; committed: number; limit: number; refused: number }>;
  }>;
  projections: Array<{ budget: string; status: string; text: string }>;
  store: string;
}

/** A project with one rule and a cooldown: the events' timestamps must drive the clock. */
function cooldownProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'laas-cooldown-'));
  mkdirSync(join(dir, 'rules'));
  mkdirSync(join(dir, 'rewards'));
  writeFileSync(
    join(dir, 'rewards', 'coffee.json'),
    JSON.stringify({ id: '0192f1a0-0000-7000-8000-000000000a01', name: 'Coffee', type: 'item', cost: 100 }),
  );
  writeFileSync(
    join(dir, 'rules', 'welcome.yaml'),
    'id: 0192f1a0-0000-7000-8000-000000000a02\nname: Coffee every visit, once a day\nevent_types: [visit]\nreward_id: 0192f1a0-0000-7000-8000-000000000a01\ncooldown: 1d\n',
  );
  const events = [
    '2025-03-01T09:00:00Z',
    '2025-03-01T18:00:00Z', // 9 h later: cooldown
    '2025-03-02T09:00:00Z', // 24 h later: issued again
  ].map((at) => JSON.stringify({ type: 'visit', occurred_at: at, customer: { phone: '+233201234567' } }));
  writeFileSync(join(dir, 'events.jsonl'), `${events.join('\n')}\n`);
  return dir;
}

describe('laas dry-run', () => {
  it('prints a table of decisions per event and a summary', async () => {
    const r = await laas(['dry-run', '--rules', SHOP, '--events', JANUARY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/line\s+occurred_at\s+type\s+customer\s+rule\s+outcome\s+reason/);
    expect(r.stdout).toMatch(
      /Stamp card: every 5th visit earns a free coffee\s+issued\s+Issued 1 × "Free coffee"/,
    );
    expect(r.stdout).toContain('Rewards per rule');
    // GHS 50.00 (5,000 pesewas) shown as money, never as "5,000 GHS".
    expect(r.stdout).toMatch(
      /Monthly treats\s+2025-01\s+GHS\s50\.00\s+GHS\s63\.00\s+GHS\s13\.50\s+GHS\s49\.50\s+2\s/,
    );
    expect(r.stdout).not.toMatch(/5,000 GHS/);
    expect(r.stdout).toMatch(
      /Stamp card: every 5th visit earns a free coffee\s+Free coffee\s+15\s+GHS\s0\.00\s+GHS\s45\.00/,
    );
    // Each figure of the budget table defined in one sentence.
    for (const term of ['Limit', 'Issued', 'Returned', 'Committed', 'Refused', 'Rate / day', 'Runs out']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${term.replace('/', '\\/')}: [A-Z].+\\.$`, 'm'));
    }
    expect(r.stdout).toMatch(/caps hit: \d+, cooldowns hit: \d+/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('the events timestamps drive the clock: a cooldown holds between events', async () => {
    const dir = cooldownProject();
    const r = await laas(['dry-run', '--rules', dir, '--events', join(dir, 'events.jsonl'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.events.map((e: { decisions: Array<{ outcome: string }> }) => e.decisions[0]?.outcome)).toEqual(
      ['issued', 'cooldown', 'issued'],
    );
  });

  it('CSV and JSONL of the same events give the same summary; the replay, memory and sqlite stores agree', async () => {
    const [jsonl, csv, sqlite, memory] = await Promise.all([
      laas(['dry-run', '--rules', SHOP, '--events', JANUARY, '--json', '--quiet']),
      laas(['dry-run', '--rules', SHOP, '--events', `${SHOP}/events/january.csv`, '--json', '--quiet']),
      laas(['dry-run', '--rules', SHOP, '--events', JANUARY, '--json', '--quiet', '--store', 'sqlite']),
      laas(['dry-run', '--rules', SHOP, '--events', JANUARY, '--json', '--quiet', '--store', 'memory']),
    ]);
    const a = JSON.parse(jsonl.stdout).summary as Summary;
    const b = JSON.parse(csv.stdout).summary as Summary;
    const c = JSON.parse(sqlite.stdout).summary as Summary;
    const d = JSON.parse(memory.stdout).summary as Summary;
    expect(a.events.processed).toBe(211);
    expect(a.store).toBe('replay');
    expect(c.store).toBe('sqlite');
    expect(d.store).toBe('memory');
    for (const other of [b, c, d]) {
      expect(other.rules).toEqual(a.rules);
      expect(other.budgets).toEqual(a.budgets);
    }
    const stamp = a.rules.find((x) => x.rule_name.startsWith('Stamp card'));
    expect(stamp?.issuances).toBeGreaterThan(0);
    expect(a.budgets[0]?.periods[0]?.committed).toBeLessThanOrEqual(5000);
  });

  it('counts and names the events that come more than a day out of time order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-late-'));
    const file = join(dir, 'late.jsonl');
    const visit = (day: number, ref: string) =>
      JSON.stringify({
        type: 'visit',
        occurred_at: `2025-01-${String(day).padStart(2, '0')}T10:00:00Z`,
        customer: { external_ref: ref },
      });
    // Five days in order, then one from the first day: the replay store has compacted past it.
    writeFileSync(file, `${[1, 2, 3, 4, 5].map((d) => visit(d, 'c1')).join('\n')}\n${visit(1, 'c2')}\n`);
    const json = await laas(['dry-run', '--rules', SHOP, '--events', file, '--json', '--quiet']);
    expect(JSON.parse(json.stdout).summary.late_events).toBe(1);
    const text = await laas(['dry-run', '--rules', SHOP, '--events', file, '--quiet']);
    expect(text.stdout).toContain('1 event(s) came more than a day out of time order');
    const sorted = await laas(['dry-run', '--rules', SHOP, '--events', JANUARY, '--json', '--quiet']);
    expect(JSON.parse(sorted.stdout).summary.late_events).toBe(0);
  });

  it('rejected rows are reported with their line and make the exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-bad-events-'));
    const file = join(dir, 'events.jsonl');
    writeFileSync(
      file,
      [
        '{"type":"visit","occurred_at":"2025-01-01T10:00:00Z","customer":{"external_ref":"a"}}',
        'not json',
        '{"type":"visit","customer":{"external_ref":"a"}}',
        '{"type":"visit","occurred_at":"2025-01-01T11:00:00Z","customer":{"phone":"12"}}',
      ].join('\n'),
    );
    const r = await laas(['dry-run', '--rules', SHOP, '--events', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('line 2: not valid JSON');
    expect(r.stdout).toContain('line 3: occurred_at is missing');
    expect(r.stdout).toMatch(/line 4: .*E\.164/);
    expect(r.stdout).toMatch(/1 processed.*3 rejected/s);
  });

  it('--json keeps amounts in minor units and names their currency', async () => {
    const r = await laas(['dry-run', '--rules', SHOP, '--events', JANUARY, '--json', '--quiet']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).summary;
    expect(s.currency).toBe('GHS');
    expect(s.budgets[0]).toMatchObject({ name: 'Monthly treats', unit: 'GHS', currency: 'GHS', limit: 5000 });
    expect(s.budgets[0].periods[0]).toMatchObject({ limit: 5000, charged: 6300, committed: 4950 });
    expect(s.projections[0]).toMatchObject({ currency: 'GHS', limit: 5000 });
    const stamp = s.rules.find((x: { rule_name: string }) => x.rule_name.startsWith('Stamp card'));
    expect(stamp).toMatchObject({ cost: 4500, cost_unit: 'GHS', value_unit: 'GHS' });
    // No reward credits points: no points programme.
    expect(s.points).toBeNull();
  });

  it('a points programme gets its own summary; money and points budgets each in their unit', async () => {
    const args = ['dry-run', '--rules', RETAIL, '--events', `${RETAIL}/events/purchases.csv`, '--quiet'];
    const [text, json] = await Promise.all([laas(args), laas([...args, '--json'])]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Monthly rewards\s+2025-01\s+\$40\.00\s+\$60\.00\s+\$60\.00\s+\$0\.00\s+2\s/);
    expect(text.stdout).toMatch(/Points issued\s+2025-01\s+12,000 points \(soft\)\s+12,595 points/);
    expect(text.stdout).not.toContain('4,000 USD');
    expect(text.stdout).toContain('Points programme');
    expect(text.stdout).toMatch(/Earned\s+47,418 points/);
    expect(text.stdout).toMatch(/Spent\s+0 points/);
    expect(text.stdout).toMatch(/Expired\s+12,209 points/);
    expect(text.stdout).toMatch(/Outstanding\s+35,209 points/);
    expect(text.stdout).toMatch(/^ {2}Outstanding: Points customers still hold at the end of the replay/m);
    const s = JSON.parse(json.stdout).summary;
    expect(s.points).toEqual({ earned: 47418, spent: 0, expired: 12209, outstanding: 35209 });
    expect(s.currency).toBe('USD');
    const units = s.budgets.map((b: { name: string; unit: string; currency: string | null }) => [
      b.name,
      b.unit,
      b.currency,
    ]);
    expect(units).toEqual([
      ['Monthly rewards', 'USD', 'USD'],
      ['Points issued', 'points', null],
    ]);
  });

  it('each currency with its own minor-unit digits: yen have none, Kuwaiti dinars three', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-currencies-'));
    for (const d of ['rules', 'rewards', 'budgets']) mkdirSync(join(dir, d));
    writeFileSync(
      join(dir, 'tenant.yaml'),
      'name: Kissa\ntimezone: Asia/Tokyo\nsettings:\n  currency: JPY\n',
    );
    writeFileSync(
      join(dir, 'rewards', 'r.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000c01\nname: Tea\ntype: item\ncost: 120\n',
    );
    writeFileSync(
      join(dir, 'budgets', 'yen.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000c02\nname: Yen\nunit: JPY\nlimit: 500\nperiod: month\n',
    );
    writeFileSync(
      join(dir, 'budgets', 'dinar.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000c03\nname: Dinar\nunit: KWD\nlimit: 1234\nperiod: month\n',
    );
    writeFileSync(
      join(dir, 'rules', 'r.yaml'),
      '- id: 0192f1a0-0000-7000-8000-000000000c04\n  name: Yen tea\n  event_types: [visit]\n  reward_id: 0192f1a0-0000-7000-8000-000000000c01\n  budget_id: 0192f1a0-0000-7000-8000-000000000c02\n- id: 0192f1a0-0000-7000-8000-000000000c05\n  name: Dinar tea\n  event_types: [visit]\n  reward_id: 0192f1a0-0000-7000-8000-000000000c01\n  budget_id: 0192f1a0-0000-7000-8000-000000000c03\n',
    );
    const events = [1, 2].map((d) =>
      JSON.stringify({
        type: 'visit',
        occurred_at: `2025-03-0${d}T10:00:00Z`,
        customer: { external_ref: `c${d}` },
      }),
    );
    writeFileSync(join(dir, 'events.jsonl'), events.join('\n'));
    const r = await laas(['dry-run', '--rules', dir, '--events', join(dir, 'events.jsonl'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Yen tea\s+Tea\s+2\s+¥0\s+¥240\s/);
    expect(r.stdout).toMatch(/Yen\s+2025-03\s+¥500\s+¥240\s+¥0\s+¥240\s+0\s/);
    expect(r.stdout).toMatch(/Dinar\s+2025-03\s+KWD\s1\.234\s+KWD\s0\.240\s/);
  });

  it('says plainly when a project has no budgets', async () => {
    const dir = cooldownProject();
    const r = await laas(['dry-run', '--rules', dir, '--events', join(dir, 'events.jsonl'), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Budgets per period\n {2}This project has no budgets\./);
    const md = join(dir, 'out.md');
    const html = join(dir, 'out.html');
    await laas(['dry-run', '--rules', dir, '--events', join(dir, 'events.jsonl'), '--quiet', '--report', md]);
    await laas([
      'dry-run',
      '--rules',
      dir,
      '--events',
      join(dir, 'events.jsonl'),
      '--quiet',
      '--report',
      html,
    ]);
    expect(readFileSync(md, 'utf8')).toContain('This project has no budgets.');
    expect(readFileSync(html, 'utf8')).toContain('<p id="no-budgets">This project has no budgets.</p>');
  });

  it('--report out.md writes the burn per day and when each budget runs out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-report-'));
    const out = join(dir, 'backtest.md');
    const r = await laas(['dry-run', '--rules', SHOP, '--events', JANUARY, '--quiet', '--report', out]);
    expect(r.code).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain(
      '| Budget | Period | Limit | Issued | Returned | Committed | Refused | Rate / day | Runs out |',
    );
    expect(md).toMatch(
      /\| Monthly treats \| 2025-01 \| GHS\s50\.00 \| GHS\s63\.00 \| GHS\s13\.50 \| GHS\s49\.50 \| 2 \|/,
    );
    expect(md).toMatch(/\| 2025-01-0\d \| GHS\s\d+\.\d\d \|/);
    expect(md).toContain('- **Committed**: ');
  });

  it('projects exhaustion within the period, or says it will not run out in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-projection-'));
    for (const d of ['rules', 'rewards', 'budgets']) mkdirSync(join(dir, d));
    writeFileSync(
      join(dir, 'rewards', 'r.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000b01\nname: Coffee\ntype: item\ncost: 100\n',
    );
    writeFileSync(
      join(dir, 'budgets', 'b.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000b02\nname: Small\nlimit: 1000\nperiod: month\n',
    );
    writeFileSync(
      join(dir, 'budgets', 'big.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000b03\nname: Big\nlimit: 100000\nperiod: month\n',
    );
    writeFileSync(
      join(dir, 'rules', 'r.yaml'),
      '- id: 0192f1a0-0000-7000-8000-000000000b04\n  name: Small one\n  event_types: [visit]\n  reward_id: 0192f1a0-0000-7000-8000-000000000b01\n  budget_id: 0192f1a0-0000-7000-8000-000000000b02\n- id: 0192f1a0-0000-7000-8000-000000000b05\n  name: Big one\n  event_types: [visit]\n  reward_id: 0192f1a0-0000-7000-8000-000000000b01\n  budget_id: 0192f1a0-0000-7000-8000-000000000b03\n',
    );
    // One visit a day for the first 5 days of March: 100 a day on each budget.
    const events = [1, 2, 3, 4, 5].map((d) =>
      JSON.stringify({
        type: 'visit',
        occurred_at: `2025-03-0${d}T10:00:00Z`,
        customer: { external_ref: `c${d}` },
      }),
    );
    writeFileSync(join(dir, 'events.jsonl'), events.join('\n'));
    const r = await laas([
      'dry-run',
      '--rules',
      dir,
      '--events',
      join(dir, 'events.jsonl'),
      '--json',
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const { projections } = JSON.parse(r.stdout).summary as Summary;
    expect(projections.find((p) => p.budget === 'Small')).toMatchObject({
      status: 'projected',
      text: 'runs out around 2025-03-10',
    });
    expect(projections.find((p) => p.budget === 'Big')?.status).toBe('not_within_period');
    expect(projections.find((p) => p.budget === 'Big')?.text).toContain('not within this period');
  });

  it('big inputs: the table stops after 1000 events unless --table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-big-'));
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({
        type: 'visit',
        occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
        customer: { external_ref: `c${i % 50}` },
      }),
    );
    writeFileSync(join(dir, 'e.jsonl'), lines.join('\n'));
    const r = await laas(['dry-run', '--rules', SHOP, '--events', join(dir, 'e.jsonl'), '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.events).toHaveLength(1000);
    expect(out.events_truncated).toBe(true);
    expect(out.summary.events.processed).toBe(1200);
  });
});

describe('laas diff', () => {
  it('lists every event whose outcome changes under the new rules; exit 1 when some do', async () => {
    const common = ['--rewards', `${SHOP}/rewards`, '--budgets', `${SHOP}/budgets`, '--events', JANUARY];
    const r = await laas(['diff', `${SHOP}/rules`, `${SHOP}/proposals/stamp-every-4`, ...common, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.summary.changed).toBeGreaterThan(0);
    expect(out.changes.length).toBe(out.summary.changed);
    // The stamp card rule keeps its id, so its decisions are compared rule to rule.
    const stamp = out.changes
      .flatMap((c: { rules: Array<{ rule: string; old: unknown; new: unknown }> }) => c.rules)
      .filter((r: { rule: string }) => r.rule.startsWith('Stamp card'));
    expect(stamp.length).toBeGreaterThan(0);
    expect(stamp[0].old).not.toBeNull();
    expect(stamp[0].new).not.toBeNull();
    expect(stamp[0].old.outcome).not.toBe(stamp[0].new.outcome);
    const text = await laas(['diff', `${SHOP}/rules`, `${SHOP}/proposals/stamp-every-4`, ...common]);
    expect(text.stdout).toMatch(
      /line \d+ {2}2025-01-\d\dT[\d:]+Z {2}visit {2}c\d+\n( {4}.*\n)* {4}Stamp card: every \d\w\w visit earns a free coffee: \w+ → \w+/,
    );
    expect(text.stdout).toMatch(/211 event\(s\) replayed, \d+ with a different outcome/);
  });

  it('exit 0 when nothing changes', async () => {
    const r = await laas(['diff', SHOP, SHOP, '--events', JANUARY]);
    expect(r.stdout).toContain('0 with a different outcome');
    expect(r.code).toBe(0);
  });
});

describe('laas test', () => {
  it('passes the coffee-shop fixtures', async () => {
    const r = await laas(['test', SHOP]);
    expect(r.stdout).toContain('✓ The fifth visit earns a free coffee');
    expect(r.stdout).toMatch(/3 fixture\(s\): 3 passed, 0 failed/);
    expect(r.code).toBe(0);
  });

  it('reports a failing fixture with expected and actual, exit 1, --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-fixtures-'));
    for (const d of ['rules', 'rewards', 'fixtures']) mkdirSync(join(dir, d));
    writeFileSync(
      join(dir, 'rewards', 'r.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000c01\nname: Coffee\ntype: item\n',
    );
    writeFileSync(
      join(dir, 'rules', 'r.yaml'),
      'id: 0192f1a0-0000-7000-8000-000000000c02\nname: Big spender\nevent_types: [purchase]\ncondition: { ">=": [{ var: event.amount }, 1000] }\nreward_id: 0192f1a0-0000-7000-8000-000000000c01\n',
    );
    writeFileSync(
      join(dir, 'fixtures', 'ok.yaml'),
      'name: spends 10.00\nevents:\n  - type: purchase\n    occurred_at: 2025-01-01T10:00:00Z\n    customer: { external_ref: a }\n    data: { amount: 1000 }\n    expect: { decisions: { Big spender: issued }, issued: [Coffee] }\n',
    );
    writeFileSync(
      join(dir, 'fixtures', 'wrong.yaml'),
      'name: a wrong expectation\nevents:\n  - type: purchase\n    occurred_at: 2025-01-01T10:00:00Z\n    customer: { external_ref: a }\n    data: { amount: 999 }\n    expect: { decisions: { Big spender: issued } }\n',
    );
    const r = await laas(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✓ spends 10.00');
    expect(r.stdout).toContain('✗ a wrong expectation');
    expect(r.stdout).toContain('- expected: issued');
    expect(r.stdout).toContain('+ actual:   not_matched');
    expect(r.stdout).toContain('2 fixture(s): 1 passed, 1 failed');
    const json = await laas(['test', dir, '--json']);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ passed: 1, failed: 1 });
    expect(out.fixtures[1].mismatches[0]).toMatchObject({ expected: 'issued', actual: 'not_matched' });
  });
});
