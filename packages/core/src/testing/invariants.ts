import { expect } from 'vitest';
import { durationMs, type Page, type PageRequest } from '../domain/common.js';
import type { Issuance } from '../domain/issuance.js';
import { counterOf } from '../domain/issuance-state.js';
import type { Rule } from '../domain/rule.js';
import type { Engine } from '../engine/types.js';
import { periodKey } from '../time.js';

async function all<T>(fetch: (page: Partial<PageRequest>) => Promise<Page<T>>): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
    rows.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return rows;
}

/** Everything of one tenant the invariants talk about, read through the engine. */
export async function snapshot(engine: Engine, tenantId: string) {
  const [issuances, budgets, rules, customers, outbox, events, rewards] = await Promise.all([
    all((p) => engine.issuances.list(tenantId, {}, p)),
    all((p) => engine.budgets.list(tenantId, p)),
    all((p) => engine.rules.list(tenantId, p)),
    all((p) => engine.customers.list(tenantId, {}, p)),
    all((p) => engine.outbox.list(tenantId, p)),
    all((p) => engine.events.list(tenantId, {}, p)),
    all((p) => engine.rewards.list(tenantId, p)),
  ]);
  const periods = (await Promise.all(budgets.map((b) => engine.budgets.periods(tenantId, b.id)))).flat();
  const budgetLedger = (
    await Promise.all(budgets.map((b) => all((p) => engine.budgets.ledger(tenantId, b.id, undefined, p))))
  ).flat();
  const points = await Promise.all(
    customers.map(async (c) => ({
      customer: c,
      balance: await engine.points.balance(tenantId, c.id),
      ledger: await all((p) => engine.points.history(tenantId, c.id, p)),
    })),
  );
  const codes = new Map(
    await Promise.all(
      rewards
        .filter((r) => r.type === 'voucher')
        .map(async (r) => [r.id, await engine.rewards.codeCounts(tenantId, r.id)] as const),
    ),
  );
  return {
    issuances,
    budgets,
    periods,
    budgetLedger,
    rules,
    customers,
    outbox,
    events,
    rewards,
    points,
    codes,
  };
}
export type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/**
 * Asserts DESIGN.md's invariants 1, 2, 4, 5, 6 and 8 on one tenant's data. `timeZone` is the
 * tenant's, for calendar cap windows.
 */
export async function expectInvariants(
  engine: Engine,
  tenantId: string,
  timeZone: string,
): Promise<Snapshot> {
  const s = await snapshot(engine, tenantId);

  // 1 and 2: every period's counters equal the cost sums by state and the ledger sums; none is
  // negative; a hard cap never commits more than its limit.
  for (const period of s.periods) {
    const mine = s.issuances.filter(
      (i) => i.budget_id === period.budget_id && i.budget_period === period.period,
    );
    const sumBy = (counter: string) =>
      mine.filter((i) => counterOf(i.state) === counter).reduce((a, i) => a + i.cost, 0);
    const ledger = s.budgetLedger.filter(
      (e) => e.budget_id === period.budget_id && e.period === period.period,
    );
    const ledgerSum = (counter: string) =>
      ledger.reduce((a, e) => a + (e.to === counter ? e.amount : 0) - (e.from === counter ? e.amount : 0), 0);
    const where = `budget ${period.budget_id} period ${period.period}`;
    for (const counter of ['reserved', 'utilized', 'spent'] as const) {
      expect(period[counter], `${where}: ${counter} vs issuances`).toBe(sumBy(counter));
      expect(period[counter], `${where}: ${counter} vs ledger`).toBe(ledgerSum(counter));
      expect(period[counter], `${where}: ${counter} >= 0`).toBeGreaterThanOrEqual(0);
    }
    const budget = s.budgets.find((b) => b.id === period.budget_id);
    const limitFromLedger = budget === undefined ? 0 : budget.limit + ledgerSum('limit');
    expect(period.limit, `${where}: limit vs ledger`).toBe(limitFromLedger);
    if (budget?.hard_cap) {
      expect(period.reserved + period.utilized + period.spent, `${where}: hard cap`).toBeLessThanOrEqual(
        period.limit,
      );
    }
  }

  // 4: caps and cooldowns hold exactly.
  for (const rule of s.rules)
    expectCapsHold(
      rule,
      s.issuances.filter((i) => i.rule_id === rule.id),
      timeZone,
    );

  // 5: a code is handed to at most one issuance.
  const codes = s.issuances.flatMap((i) => (i.code === null ? [] : [i.code]));
  expect(new Set(codes).size, 'codes handed out once').toBe(codes.length);
  for (const reward of s.rewards.filter((r) => r.type === 'voucher')) {
    expect(s.codes.get(reward.id)?.used, `codes used of ${reward.name}`).toBe(
      s.issuances.filter((i) => i.reward_id === reward.id).length,
    );
  }

  // 6: a balance is never negative and equals its ledger (and its lots).
  for (const { customer, balance, ledger } of s.points) {
    expect(balance.balance, `balance of ${customer.id} >= 0`).toBeGreaterThanOrEqual(0);
    expect(balance.balance, `balance of ${customer.id} vs ledger`).toBe(
      ledger.reduce((a, e) => a + e.amount, 0),
    );
    expect(balance.balance, `balance of ${customer.id} vs lots`).toBe(
      balance.lots.reduce((a, l) => a + l.remaining, 0),
    );
  }

  // 8: every issuance's creation and every transition it went through has its outbox row.
  const outboxIds = (type: string) =>
    s.outbox.filter((e) => e.type === type).map((e) => (e.data as { issuance: Issuance }).issuance.id);
  const expectRows = (type: string, ids: string[]) =>
    expect(outboxIds(type).sort(), `outbox ${type}`).toEqual([...ids].sort());
  expectRows(
    'reward.redeemed',
    s.issuances.filter((i) => i.state === 'redeemed').map((i) => i.id),
  );
  expectRows(
    'reward.expired',
    s.issuances.filter((i) => i.state === 'expired').map((i) => i.id),
  );
  expectRows(
    'reward.cancelled',
    s.issuances.filter((i) => i.state === 'cancelled').map((i) => i.id),
  );
  const createdOrIssued = new Set([...outboxIds('reward.issued'), ...outboxIds('reward.reserved')]);
  for (const issuance of s.issuances)
    expect(createdOrIssued.has(issuance.id), `outbox row for ${issuance.id}`).toBe(true);
  for (const issuance of s.issuances.filter((i) => i.issued_at !== null)) {
    expect(outboxIds('reward.issued'), `reward.issued for ${issuance.id}`).toContain(issuance.id);
  }

  // Every stored event has its outcome.
  for (const event of s.events) expect(event.outcome, `outcome of event ${event.id}`).not.toBeNull();
  return s;
}

function expectCapsHold(rule: Rule, issuances: Issuance[], timeZone: string): void {
  const byEarned = [...issuances].sort((a, b) =>
    a.earned_at < b.earned_at ? -1 : a.earned_at > b.earned_at ? 1 : 0,
  );
  if (rule.cooldown !== null) {
    const gap = durationMs(rule.cooldown);
    const perCustomer = new Map<string, string>();
    for (const issuance of byEarned) {
      const last = perCustomer.get(issuance.customer_id);
      if (last !== undefined) {
        expect(
          Date.parse(issuance.earned_at) - Date.parse(last),
          `cooldown of rule ${rule.name}`,
        ).toBeGreaterThanOrEqual(gap);
      }
      perCustomer.set(issuance.customer_id, issuance.earned_at);
    }
  }
  for (const cap of rule.caps) {
    const groups = new Map<string, Issuance[]>();
    for (const issuance of byEarned) {
      const who = cap.scope === 'customer' ? issuance.customer_id : '*';
      const key = `${who}|${typeof cap.window === 'string' && cap.window !== 'lifetime' ? periodKey(issuance.earned_at, cap.window, timeZone) : '*'}`;
      groups.set(key, [...(groups.get(key) ?? []), issuance]);
    }
    for (const [key, group] of groups) {
      if (typeof cap.window === 'object') {
        const span = durationMs(cap.window.rolling);
        // Every issuance, counted with those earned within the rolling window before it.
        for (const [index, issuance] of group.entries()) {
          const since = Date.parse(issuance.earned_at) - span;
          const inWindow = group.slice(0, index + 1).filter((i) => Date.parse(i.earned_at) >= since).length;
          expect(inWindow, `rolling cap of rule ${rule.name} (${key})`).toBeLessThanOrEqual(cap.max);
        }
      } else {
        expect(group.length, `${cap.scope} cap of rule ${rule.name} (${key})`).toBeLessThanOrEqual(cap.max);
      }
    }
  }
}
