// The floor's check mode: after the SDK and the floor ingest the same small workload into two
// tenants of fresh schemas, their rows must agree: the same tables with the same row counts,
// the same customer stats, the same issuances (by rule, state, quantity, value, cost), the same
// budget and cap counters, the same outbox rows by type and the same decisions per event.

const TABLES = [
  'customers',
  'events',
  'issuances',
  'budget_periods',
  'budget_ledger',
  'points_lots',
  'points_ledger',
  'outbox',
  'cap_counters',
];

const byKey = (rows, key, value) => Object.fromEntries(rows.map((r) => [r[key], value(r)]).sort());
const json = (v) => (typeof v === 'string' ? JSON.parse(v) : v);
const sortedJson = (v) => JSON.stringify(Object.fromEntries(Object.entries(json(v)).sort()));

/** What a tenant's rows add up to; `query(sql, params)` answers rows (placeholders are `?`). */
export async function summarize(query, tenantId) {
  const where = 'WHERE tenant_id = ?';
  const counts = {};
  for (const table of TABLES) {
    const [row] = await query(`SELECT count(*) AS n FROM ${table} ${where}`, [tenantId]);
    counts[table] = Number(row.n);
  }
  const rules = byKey(await query(`SELECT id, name FROM rules ${where}`, [tenantId]), 'id', (r) => r.name);
  const issuances = {};
  for (const r of await query(`SELECT rule_id, state, quantity, value, cost FROM issuances ${where}`, [
    tenantId,
  ])) {
    const k = `${rules[r.rule_id]} ${r.state}`;
    issuances[k] ??= { n: 0, quantity: 0, value: 0, cost: 0 };
    const s = issuances[k];
    s.n += 1;
    s.quantity += Number(r.quantity);
    s.value += Number(r.value);
    s.cost += Number(r.cost);
  }
  const customers = byKey(
    await query(
      `SELECT external_ref, stats_counts, total_spend, points_balance, last_event_at FROM customers ${where}`,
      [tenantId],
    ),
    'external_ref',
    (r) =>
      `${sortedJson(r.stats_counts)} spend ${r.total_spend} points ${r.points_balance} ${r.last_event_at === null ? 'never' : 'seen'}`,
  );
  const budgets = byKey(
    await query(`SELECT period, "limit", reserved, utilized, spent FROM budget_periods ${where}`, [tenantId]),
    'period',
    (r) => `limit ${r.limit} reserved ${r.reserved} utilized ${r.utilized} spent ${r.spent}`,
  );
  const caps = byKey(
    (await query(`SELECT rule_id, cap_key, window_key, count FROM cap_counters ${where}`, [tenantId])).map(
      (r) => ({
        k: `${rules[r.rule_id]} ${r.cap_key} ${r.window_key}`,
        count: Number(r.count),
      }),
    ),
    'k',
    (r) => r.count,
  );
  const outbox = {};
  for (const r of await query(`SELECT type FROM outbox ${where}`, [tenantId]))
    outbox[r.type] = (outbox[r.type] ?? 0) + 1;
  const decisions = byKey(
    await query(`SELECT idempotency_key, outcome FROM events ${where}`, [tenantId]),
    'idempotency_key',
    (r) =>
      json(r.outcome)
        .decisions.map((d) => `${d.rule_name}: ${d.outcome}`)
        .join('; '),
  );
  return { counts, issuances, customers, budgets, caps, outbox, decisions };
}

/** Lines naming every difference between two summaries (empty when they agree). */
export function differences(sdk, floor) {
  const lines = [];
  for (const part of Object.keys(sdk)) {
    const keys = new Set([...Object.keys(sdk[part]), ...Object.keys(floor[part])]);
    for (const key of keys) {
      const a = JSON.stringify(sdk[part][key]);
      const b = JSON.stringify(floor[part][key]);
      if (a !== b) lines.push(`${part} ${key}: SDK ${a}, floor ${b}`);
    }
  }
  return lines;
}

/** Runs `ingest` over `list` one event at a time (so the two runs see the same order). */
export async function ingestAll(ingest, list) {
  for (const input of list) await ingest(input);
}

/** Throws, naming the first differences, unless both tenants wrote the same rows. */
export async function assertSameRows(label, query, sdkTenant, floorTenant) {
  const sdk = await summarize(query, sdkTenant);
  const floor = await summarize(query, floorTenant);
  const diff = differences(sdk, floor);
  if (diff.length > 0) {
    throw new Error(`${label}: the floor's rows differ from the SDK's:\n  ${diff.slice(0, 20).join('\n  ')}`);
  }
  const issued = Object.values(sdk.issuances).reduce((n, s) => n + s.n, 0);
  return `${label} check: the floor wrote the SDK's rows (${Object.entries(sdk.counts)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ')}; ${issued} issuances, ${Object.keys(sdk.decisions).length} events' decisions equal)`;
}
