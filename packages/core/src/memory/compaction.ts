import { type Duration, durationMs } from '../domain/common.js';
import type { Issuance } from '../domain/issuance.js';
import type { PointsLot } from '../domain/points.js';
import type { Rule } from '../domain/rule.js';
import type { SortedKeys } from './sorted-keys.js';
import { earnedKey, ms, type Table, type TenantData } from './state.js';

/** What one {@link compactTenant} forgot, row by row. */
export interface CompactionReport {
  events: number;
  issuances: number;
  lots: number;
  points_ledger: number;
  budget_ledger: number;
  outbox: number;
  earned_keys: number;
}

const DAY_MS = 86_400_000;
/**
 * How far back the start of a calendar window can lie from any instant in any time zone (a year
 * window that began 366 days ago, plus a day of time-zone slack).
 */
const CALENDAR_WINDOW_MS = {
  day: 2 * DAY_MS,
  week: 8 * DAY_MS,
  month: 32 * DAY_MS,
  year: 367 * DAY_MS,
} as const;

/**
 * How far back a rule's cooldown and caps look from an event: `null` when a lifetime cap counts
 * every issuance the rule ever made (its keys are all kept), 0 when nothing reads its history.
 */
export function ruleLookBackMs(rule: Pick<Rule, 'cooldown' | 'caps'>): number | null {
  let back = rule.cooldown === null ? 0 : durationMs(rule.cooldown);
  for (const cap of rule.caps) {
    if (cap.window === 'lifetime') return null;
    const window =
      typeof cap.window === 'string' ? CALENDAR_WINDOW_MS[cap.window] : durationMs(cap.window.rolling);
    back = Math.max(back, window);
  }
  return back;
}

/**
 * Forgets, in one tenant's data, what no later ingest or expiry can read any more: events (with
 * their idempotency keys and outcomes) older than `keep`; every points and budget ledger row and
 * outbox row written up to `now` (no decision reads them); issuances that can no longer change
 * (redeemed, expired, cancelled, or issued without an expiry) and spent points lots; and the
 * earned-at keys of each rule older than its cooldown and caps can look back. What remains is
 * bounded by the customers and by what happened within those windows, not by the number of events.
 * A replayed event whose issuances were forgotten returns its decisions without them.
 *
 * Only a replay store calls this (see `replayStore`): a live store keeps its history. It runs
 * between transactions, so nothing of it is undo-logged.
 */
export function compactTenant(data: TenantData, now: Date, keep: Duration): CompactionReport {
  const nowMs = now.getTime();
  const cutoff = nowMs - durationMs(keep);
  const report: CompactionReport = {
    events: 0,
    issuances: 0,
    lots: 0,
    points_ledger: 0,
    budget_ledger: 0,
    outbox: 0,
    earned_keys: 0,
  };

  report.events = dropOlder(data.events, (event) => {
    if (ms(event.created_at) >= cutoff) return false;
    if (event.idempotency_key !== null && data.eventByKey.get(event.idempotency_key) === event.id)
      data.eventByKey.delete(event.idempotency_key);
    return true;
  });
  // A customer's ledger ids ascend too: what is dropped is a prefix of each.
  report.points_ledger = dropOlder(data.pointsLedger, (entry) => {
    if (ms(entry.at) > nowMs) return false;
    const keys = data.pointsLedgerByCustomer.get(entry.customer_id);
    keys?.dropBelow(`${entry.id}\u0000`);
    if (keys?.size === 0) data.pointsLedgerByCustomer.delete(entry.customer_id);
    return true;
  });
  report.budget_ledger = dropOlder(data.budgetLedger, (entry) => ms(entry.at) <= nowMs);
  const outboxIds = new Set<string>();
  report.outbox = dropOlder(data.outbox, (row) => {
    if (ms(row.created_at) > nowMs) return false;
    outboxIds.add(row.id);
    data.dispatchedAt.delete(row.id);
    return true;
  });
  data.undispatched.removeAll(outboxIds);

  const issuanceIds = new Set<string>();
  const forgetIssuance = (id: string, issuance: Issuance): void => {
    data.issuances.rows.delete(id);
    issuanceIds.add(id);
    if (issuance.code !== null && data.issuanceByCode.get(issuance.code) === id)
      data.issuanceByCode.delete(issuance.code);
  };
  if (data.settledIssuances === null) {
    for (const [id, issuance] of data.issuances.rows) if (isSettled(issuance)) forgetIssuance(id, issuance);
  } else {
    for (const id of data.settledIssuances) {
      const issuance = data.issuances.rows.get(id);
      if (issuance !== undefined && isSettled(issuance)) forgetIssuance(id, issuance);
    }
  }
  // From now on the store lists what becomes settled or spent: the next compaction visits only those.
  data.settledIssuances = [];
  data.issuances.order.removeAll(issuanceIds);
  report.issuances = issuanceIds.size;

  const forgetLot = (id: string, lot: PointsLot): void => {
    data.lots.delete(id);
    const keys = data.lotsByCustomer.get(lot.customer_id);
    keys?.remove(id); // a short list: one customer's lots
    if (keys?.size === 0) data.lotsByCustomer.delete(lot.customer_id);
    report.lots++;
  };
  if (data.spentLots === null) {
    for (const [id, lot] of data.lots) if (lot.remaining === 0) forgetLot(id, lot);
  } else {
    for (const id of data.spentLots) {
      const lot = data.lots.get(id);
      if (lot !== undefined && lot.remaining === 0) forgetLot(id, lot);
    }
  }
  data.spentLots = [];

  // Earned keys: a rule's caps and cooldown read back a bounded time (or, for a lifetime cap, all).
  const lookBack = new Map<string, number | null>();
  for (const rule of data.rules.rows.values()) lookBack.set(rule.id, ruleLookBackMs(rule));
  const trim = (ruleId: string, keys: SortedKeys): number => {
    const back = lookBack.has(ruleId) ? lookBack.get(ruleId) : 0;
    if (back === null) return 0;
    // A day of slack: an event may carry a time a little before the clock that compacted.
    return keys.dropBelow(earnedKey(now.getTime() - (back as number) - DAY_MS, ''));
  };
  for (const [ruleId, keys] of data.earnedByRule) {
    report.earned_keys += trim(ruleId, keys);
    if (keys.size === 0) data.earnedByRule.delete(ruleId);
  }
  for (const [key, keys] of data.earnedByRuleCustomer) {
    report.earned_keys += trim(key.slice(0, key.indexOf('\u0000')), keys);
    if (keys.size === 0) data.earnedByRuleCustomer.delete(key);
  }
  return report;
}

/** An issuance that can no longer change: redeemed, expired, cancelled, or issued without an expiry. */
export function isSettled(issuance: Issuance): boolean {
  return (
    issuance.state === 'redeemed' ||
    issuance.state === 'expired' ||
    issuance.state === 'cancelled' ||
    (issuance.state === 'issued' && issuance.expires_at === null)
  );
}

/**
 * Drops a table's oldest rows (its ids ascend with creation: UUIDv7) while `forget` says the row is
 * old enough (it also removes the row from the table's other indexes); stops at the first it keeps.
 */
function dropOlder<V extends { id: string }>(table: Table<V>, forget: (row: V) => boolean): number {
  let n = 0;
  for (; n < table.order.size; n++) {
    const id = table.order.at(n) as string;
    const row = table.rows.get(id);
    if (row !== undefined && !forget(row)) break;
    table.rows.delete(id);
  }
  if (n > 0) table.order.dropBelow(table.order.at(n) ?? '\uffff');
  return n;
}
