// The SQLite floor: an ingest with the SDK's effects as prepared statements on its own connection
// to the store's file. Each event is one savepoint (read the customer, plan in JS, guarded writes);
// events queued within one event-loop turn share a COMMIT, as the store's group commit does.
import Database from 'better-sqlite3';
import { planEvent } from './plan.mjs';

/** At most this many events share a COMMIT (the store's GROUP_MAX). */
const GROUP_MAX = 64;

const COLUMNS = {
  issuances:
    'tenant_id id customer_id reward_id rule_id event_id state quantity value cost code budget_id budget_period earned_at created_at issued_at expires_at reserve_deadline redeemed_at cancelled_at cancel_reason',
  budget_ledger: 'tenant_id id budget_id period issuance_id kind amount from to at',
  points_lots: 'tenant_id id customer_id issuance_id earned_at expires_at amount remaining',
  points_ledger: 'tenant_id id customer_id kind amount lot_id issuance_id at reason actor',
  outbox: 'tenant_id id type data created_at dispatched_at',
  events: 'tenant_id id customer_id type occurred_at data idempotency_key payload_hash outcome created_at',
};

function insertStatements(db) {
  const out = {};
  for (const [table, list] of Object.entries(COLUMNS)) {
    const cols = list.split(' ');
    const stmt = db.prepare(
      `INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
    );
    // Objects are stored as JSON text; every column is bound (better-sqlite3 wants them all).
    out[table] = (row) =>
      stmt.run(
        Object.fromEntries(
          cols.map((c) => [
            c,
            row[c] !== null && typeof row[c] === 'object' ? JSON.stringify(row[c]) : row[c],
          ]),
        ),
      );
  }
  return out;
}

function prepare(db) {
  const q = (sql) => db.prepare(sql);
  return {
    eventByKey: q('SELECT payload_hash, outcome FROM events WHERE tenant_id = ? AND idempotency_key = ?'),
    customerByRef: q('SELECT * FROM customers WHERE tenant_id = ? AND external_ref = ?'),
    lastEarned: q(
      'SELECT max(earned_at) AS last FROM issuances WHERE tenant_id = ? AND rule_id = ? AND customer_id = ?',
    ),
    countEarned: q(
      'SELECT count(*) AS n FROM issuances WHERE tenant_id = ? AND rule_id = ? AND customer_id = ? AND (? IS NULL OR earned_at >= ?)',
    ),
    countRuleSince: q(
      'SELECT count(*) AS n FROM issuances WHERE tenant_id = ? AND rule_id = ? AND earned_at >= ?',
    ),
    capRow: q(
      'INSERT INTO cap_counters (tenant_id, rule_id, cap_key, window_key, count) VALUES (?, ?, ?, ?, 0) ON CONFLICT DO NOTHING',
    ),
    capClaim: q(
      `INSERT INTO cap_counters (tenant_id, rule_id, cap_key, window_key, count) VALUES (@t, @rule, @key, @window, 1)
       ON CONFLICT (tenant_id, rule_id, cap_key, window_key) DO UPDATE SET count = count + 1 WHERE count < @max`,
    ),
    capRelease: q(
      'UPDATE cap_counters SET count = count - 1 WHERE tenant_id = ? AND rule_id = ? AND cap_key = ? AND window_key = ? AND count > 0',
    ),
    budgetUpsert: q(
      `INSERT INTO budget_periods (tenant_id, budget_id, period, "limit", reserved, utilized)
       VALUES (@t, @budget, @period, @limit, @reserved, @utilized)
       ON CONFLICT (tenant_id, budget_id, period) DO UPDATE
         SET reserved = reserved + excluded.reserved, utilized = utilized + excluded.utilized
         WHERE NOT @hard OR reserved + utilized + spent + @cost <= "limit"
       RETURNING *`,
    ),
    budgetCreate: q(
      'INSERT INTO budget_periods (tenant_id, budget_id, period, "limit") VALUES (@t, @budget, @period, @limit) ON CONFLICT DO NOTHING',
    ),
    budgetGuarded: q(
      `UPDATE budget_periods SET reserved = reserved + @reserved, utilized = utilized + @utilized
       WHERE tenant_id = @t AND budget_id = @budget AND period = @period AND reserved + utilized + spent + @cost <= "limit"
       RETURNING *`,
    ),
    markExhausted: q(
      'UPDATE budget_periods SET exhausted_notified = 1 WHERE tenant_id = ? AND budget_id = ? AND period = ? AND NOT exhausted_notified',
    ),
    markThreshold: q(
      'UPDATE budget_periods SET threshold_notified = 1 WHERE tenant_id = ? AND budget_id = ? AND period = ? AND NOT threshold_notified',
    ),
    customerStats: q(
      `UPDATE customers SET stats_counts = json_set(stats_counts, @path, coalesce(json_extract(stats_counts, @path), 0) + 1),
         total_spend = total_spend + @spend,
         last_event_at = CASE WHEN last_event_at IS NULL OR last_event_at < @at THEN @at ELSE last_event_at END,
         points_balance = points_balance + @points
       WHERE tenant_id = @t AND id = @id`,
    ),
    insert: insertStatements(db),
  };
}

function toCustomer(row) {
  return {
    ...row,
    attributes: JSON.parse(row.attributes),
    tags: JSON.parse(row.tags),
    stats: {
      counts: JSON.parse(row.stats_counts),
      total_spend: row.total_spend,
      points_balance: row.points_balance,
    },
  };
}

/** The candidate's guards in the SDK's order; the refusal, or null once everything is claimed. */
function runGuards(s, t, customerId, at, cand) {
  if (cand.cooldown_ms !== null) {
    const { last } = s.lastEarned.get(t, cand.rule_id, customerId);
    if (last !== null && at < new Date(Date.parse(last) + cand.cooldown_ms).toISOString()) {
      return { outcome: 'cooldown', reason: `Cooldown of ${cand.cooldown}: last earned at ${last}` };
    }
  }
  for (const cap of cand.customer_caps) {
    const { n } = s.countEarned.get(t, cand.rule_id, customerId, cap.since, cap.since);
    if (n >= cap.max) return { outcome: 'cap_reached', reason: `The ${cap.words} is reached (${n} earned)` };
  }
  const claimed = [];
  const giveBack = () => {
    for (const cap of claimed) s.capRelease.run(t, cand.rule_id, cap.cap_key, cap.window_key);
  };
  for (const cap of cand.global_caps) {
    let ok;
    if (cap.rolling_since !== null) {
      s.capRow.run(t, cand.rule_id, cap.cap_key, 'rolling');
      ok = s.countRuleSince.get(t, cand.rule_id, cap.rolling_since).n < cap.max;
    } else {
      ok =
        s.capClaim.run({ t, rule: cand.rule_id, key: cap.cap_key, window: cap.window_key, max: cap.max })
          .changes === 1;
      if (ok) claimed.push(cap);
    }
    if (!ok) {
      giveBack();
      return { outcome: 'cap_reached', reason: `The ${cap.words} is reached` };
    }
  }
  const refused = cand.budget === null ? null : claimBudget(s, t, cand);
  if (refused !== null) giveBack();
  return refused;
}

function claimBudget(s, t, cand) {
  const b = cand.budget;
  if (!b.active) return { outcome: 'budget_exhausted', reason: `Budget "${b.name}" is switched off` };
  const args = {
    t,
    budget: b.id,
    period: b.period,
    limit: b.limit,
    cost: cand.cost,
    hard: b.hard_cap ? 1 : 0,
    reserved: cand.immediate ? 0 : cand.cost,
    utilized: cand.immediate ? cand.cost : 0,
  };
  let row;
  if (b.hard_cap && cand.cost > b.limit) {
    s.budgetCreate.run(args);
    row = s.budgetGuarded.get(args);
  } else {
    row = s.budgetUpsert.get(args);
  }
  if (row === undefined) {
    if (s.markExhausted.run(t, b.id, b.period).changes === 1) s.insert.outbox(b.exhausted_outbox);
    return { outcome: 'budget_exhausted', reason: `Budget "${b.name}" has no room for ${cand.cost}` };
  }
  const committed = row.reserved + row.utilized + row.spent;
  if (
    b.soft_cap_ratio !== null &&
    committed >= b.soft_cap_ratio * row.limit &&
    s.markThreshold.run(t, b.id, b.period).changes === 1
  ) {
    const o = b.threshold_outbox;
    s.insert.outbox({ ...o, data: { ...o.data, limit: row.limit, committed } });
  }
  return null;
}

function writeIssuance(s, cand) {
  s.insert.issuances(cand.issuance);
  for (const row of cand.budget_ledger) s.insert.budget_ledger(row);
  if (cand.points !== null) {
    s.insert.points_lots(cand.points.lot);
    s.insert.points_ledger(cand.points.ledger);
  }
  s.insert.outbox(cand.outbox);
}

/** One event inside the open transaction: the SDK's effects, its outcome returned. */
function ingestOne(s, config, input) {
  const t = config.tenant.id;
  const seen = s.eventByKey.get(t, input.idempotency_key);
  if (seen !== undefined) return JSON.parse(seen.outcome);
  const row = s.customerByRef.get(t, input.customer.external_ref);
  if (row === undefined) throw new Error(`no customer ${input.customer.external_ref}`);
  const plan = planEvent(config, toCustomer(row), input);
  const decisions = [];
  const issued = [];
  let points = 0;
  for (const entry of plan.decisions) {
    const cand = entry.candidate;
    if (cand === undefined) {
      decisions.push(entry);
      continue;
    }
    const refused = runGuards(s, t, plan.customer_id, plan.at, cand);
    if (refused !== null) {
      decisions.push({ rule_id: cand.rule_id, rule_name: cand.rule_name, ...refused });
      continue;
    }
    writeIssuance(s, cand);
    if (cand.points !== null) points += cand.points.amount;
    decisions.push(cand.decision);
    issued.push(cand.issuance.id);
  }
  s.customerStats.run({
    path: `$."${plan.type}"`,
    spend: plan.spend,
    at: plan.at,
    points,
    t,
    id: plan.customer_id,
  });
  const outcome = {
    event_id: plan.event.id,
    customer_id: plan.customer_id,
    enrolled: false,
    decisions,
    issuance_ids: issued,
  };
  s.insert.events({ ...plan.event, outcome });
  return outcome;
}

/** `ingest(input)` for the tenant of `config` on `file`, group-committed; `close()` when done. */
export function sqliteFloor(file, config) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  const s = prepare(db);
  const queue = [];
  let scheduled = false;

  function flush() {
    scheduled = false;
    const group = queue.splice(0, GROUP_MAX);
    const results = [];
    db.exec('BEGIN IMMEDIATE');
    for (const { input } of group) {
      db.exec('SAVEPOINT floor');
      try {
        results.push({ outcome: ingestOne(s, config, input) });
        db.exec('RELEASE floor');
      } catch (error) {
        db.exec('ROLLBACK TO floor');
        db.exec('RELEASE floor');
        results.push({ error });
      }
    }
    db.exec('COMMIT');
    group.forEach((waiter, i) => {
      const r = results[i];
      if (r.error === undefined) waiter.resolve(r.outcome);
      else waiter.reject(r.error);
    });
    schedule();
  }

  function schedule() {
    if (!scheduled && queue.length > 0) {
      scheduled = true;
      setImmediate(flush);
    }
  }

  return {
    db,
    ingest(input) {
      return new Promise((resolve, reject) => {
        queue.push({ input, resolve, reject });
        schedule();
      });
    },
    close: () => db.close(),
  };
}
