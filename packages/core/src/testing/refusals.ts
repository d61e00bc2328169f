import { expect } from 'vitest';
import { durationMs } from '../domain/common.js';
import type { Decision, DecisionOutcome } from '../domain/event.js';
import type { Cap, Rule } from '../domain/rule.js';
import { globalClaim } from '../engine/ingest.js';
import type { Store } from '../ports/store.js';
import { periodKey, type Timestamp } from '../time.js';
import type { Snapshot } from './invariants.js';

/**
 * The other half of the invariants: they check that no limit is ever exceeded; these check that no
 * refusal happens without its limit being reached. A store or engine that refuses too much (a
 * global-cap claim or a voucher code not given back, a budget charged twice) keeps every limit and
 * passes the invariants, but refuses something the state at that moment did not justify.
 */

/** Which limit a refusal hit. */
export type LimitHit = 'cooldown' | 'customer_cap' | 'global_cap' | 'budget' | 'codes';

/** The refusals whose justification this module checks. */
const REFUSALS: ReadonlySet<DecisionOutcome> = new Set([
  'cooldown',
  'cap_reached',
  'budget_exhausted',
  'codes_exhausted',
]);

export interface RefusalContext {
  /** The tenant's data just before the event was ingested. */
  before: Snapshot;
  /** The event's `occurred_at`, which is also when it was committed (the tests' clock). */
  at: Timestamp;
  customerId: string;
  timeZone: string;
  /** The event's earlier decisions: what they issued counts against the limits too. */
  earlier: readonly Decision[];
}

/** Whether an issuance earned at `earnedAt` counts in the window of `cap` for an event at `at`. */
function inCapWindow(cap: Cap, earnedAt: Timestamp, at: Timestamp, timeZone: string): boolean {
  if (cap.window === 'lifetime') return true;
  if (typeof cap.window === 'string')
    return periodKey(earnedAt, cap.window, timeZone) === periodKey(at, cap.window, timeZone);
  return Date.parse(earnedAt) >= Date.parse(at) - durationMs(cap.window.rolling);
}

/** The limit that justified a refusal, or a sentence saying why nothing did. */
export type Justification = { limit: LimitHit } | { unjustified: string };

/** Whether `decision` was justified in `ctx`; null when it is not a refusal of these kinds. */
export function justify(decision: Decision, ctx: RefusalContext): Justification | null {
  const why = reason(decision, ctx);
  if (why === null) return null;
  return LIMITS.has(why as LimitHit) ? { limit: why as LimitHit } : { unjustified: why };
}

const LIMITS: ReadonlySet<LimitHit> = new Set(['cooldown', 'customer_cap', 'global_cap', 'budget', 'codes']);

function reason(decision: Decision, ctx: RefusalContext): LimitHit | string | null {
  if (!REFUSALS.has(decision.outcome)) return null;
  const { before, at, customerId, timeZone } = ctx;
  const rule = before.rules.find((r) => r.id === decision.rule_id);
  if (rule === undefined) return `rule ${decision.rule_id} is unknown`;
  const earnedByRule = before.issuances.filter((i) => i.rule_id === rule.id);
  const what = `${decision.outcome} of rule "${rule.name}" at ${at}`;

  switch (decision.outcome) {
    case 'cooldown': {
      if (rule.cooldown === null) return `${what}: the rule has no cooldown`;
      const gap = durationMs(rule.cooldown);
      const recent = earnedByRule.some(
        (i) => i.customer_id === customerId && Date.parse(at) < Date.parse(i.earned_at) + gap,
      );
      return recent ? 'cooldown' : `${what}: nothing was earned within ${rule.cooldown}`;
    }
    case 'cap_reached': {
      const used = (cap: Cap) =>
        earnedByRule.filter(
          (i) =>
            (cap.scope === 'global' || i.customer_id === customerId) &&
            inCapWindow(cap, i.earned_at, at, timeZone),
        ).length;
      const full = rule.caps.find((cap) => used(cap) >= cap.max);
      if (full === undefined)
        return `${what}: every cap has room (${rule.caps.map((c) => `${used(c)}/${c.max}`).join(', ')})`;
      return full.scope === 'global' ? 'global_cap' : 'customer_cap';
    }
    case 'budget_exhausted':
      return justifyBudget(rule, ctx, what);
    case 'codes_exhausted': {
      const counts = before.codes.get(rule.reward_id);
      const drawnEarlier = ctx.earlier.filter(
        (d) => d.issuance_id !== undefined && rewardOf(before, d.rule_id) === rule.reward_id,
      ).length;
      if (counts === undefined) return `${what}: the reward has no code pool`;
      return counts.available - drawnEarlier <= 0
        ? 'codes'
        : `${what}: ${counts.available - drawnEarlier} codes were left`;
    }
    default:
      return null;
  }
}

function rewardOf(s: Snapshot, ruleId: string): string | undefined {
  return s.rules.find((r) => r.id === ruleId)?.reward_id;
}

function costOf(s: Snapshot, rule: Rule, quantity: number): number {
  return quantity * (s.rewards.find((r) => r.id === rule.reward_id)?.cost ?? 0);
}

function justifyBudget(rule: Rule, ctx: RefusalContext, what: string): LimitHit | string {
  const { before, at, timeZone } = ctx;
  const budget = before.budgets.find((b) => b.id === rule.budget_id);
  if (budget === undefined) return `${what}: the rule has no budget`;
  if (!budget.active) return 'budget';
  if (!budget.hard_cap) return `${what}: budget "${budget.name}" has no hard cap`;
  const key = periodKey(at, budget.period, timeZone);
  const period = before.periods.find((p) => p.budget_id === budget.id && p.period === key);
  let committed = period === undefined ? 0 : period.reserved + period.utilized + period.spent;
  for (const d of ctx.earlier) {
    const earlierRule = before.rules.find((r) => r.id === d.rule_id);
    if (d.issuance_id !== undefined && earlierRule?.budget_id === budget.id)
      committed += costOf(before, earlierRule, d.quantity ?? 1);
  }
  const limit = period?.limit ?? budget.limit;
  // A quantity formula's value is not in the decision: 1 is its least (anything less gives nothing).
  const cost = costOf(before, rule, typeof rule.quantity === 'number' ? rule.quantity : 1);
  return limit - committed < cost
    ? 'budget'
    : `${what}: budget "${budget.name}" had ${limit - committed} of ${limit} left in ${key}, the reward costs ${cost}`;
}

class RolledBack extends Error {}

/**
 * How many uses of a calendar or lifetime global cap the store has counted in the window of an
 * event at `at`, read through the port only: claim until refused, in a transaction rolled back.
 */
export async function globalCapCount(
  store: Store,
  tenantId: string,
  rule: Rule,
  capIndex: number,
  at: Timestamp,
  timeZone: string,
): Promise<number> {
  const cap = rule.caps[capIndex];
  if (cap === undefined || cap.scope !== 'global') throw new Error(`cap ${capIndex} is not a global cap`);
  const claim = globalClaim(rule, cap, capIndex, at, timeZone);
  let room = 0;
  try {
    await store.transaction(tenantId, async (tx) => {
      while (room < cap.max && (await tx.caps.claimGlobal(claim))) room++;
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return cap.max - room;
}

/**
 * Every calendar and lifetime global-cap counter equals the issuances it counts, in every window
 * that has any and in the window of `now`: a claim left behind by a refusal makes it larger.
 */
export async function expectGlobalCapCounters(
  store: Store,
  tenantId: string,
  s: Snapshot,
  now: Timestamp,
  timeZone: string,
): Promise<void> {
  for (const rule of s.rules) {
    const mine = s.issuances.filter((i) => i.rule_id === rule.id);
    for (const [index, cap] of rule.caps.entries()) {
      const window = cap.window;
      if (cap.scope !== 'global' || typeof window === 'object') continue;
      const keyOf = (at: Timestamp) => (window === 'lifetime' ? 'lifetime' : periodKey(at, window, timeZone));
      const windows = new Map([now, ...mine.map((i) => i.earned_at)].map((at) => [keyOf(at), at]));
      for (const [key, at] of windows) {
        const counted = mine.filter((i) => keyOf(i.earned_at) === key).length;
        expect(
          await globalCapCount(store, tenantId, rule, index, at, timeZone),
          `global cap ${index} of rule "${rule.name}" in ${key}`,
        ).toBe(counted);
      }
    }
  }
}
