import { durationMs } from '../domain/common.js';
import type { Customer } from '../domain/customer.js';
import type { LoyaltyEvent } from '../domain/event.js';
import type { RefundOutcome } from '../domain/refund.js';
import {
  type CustomerTier,
  TIER_BUCKET_POINTS,
  TIER_BUCKET_SPEND,
  type TierProgramme,
  type TierWindow,
  tierCountBucket,
  tierProgrammeInputSchema,
} from '../domain/tier.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { addDays, addMs, localNow, type Timestamp } from '../time.js';
import { emit, type Operation } from './operation.js';
import { parseInput } from './parse-input.js';
import type { RuleContext } from './rule-context.js';

/** Due downgrades handled per transaction by the worker. */
const DOWNGRADE_BATCH = 100;

/** What `GET /customers/:cid/tier` answers. */
export interface CustomerTierView {
  customer_id: string;
  /** The current level's name; null: none (or no tier programme). */
  tier: string | null;
  since: Timestamp | null;
  measure: TierProgramme['measure'] | null;
  /** The qualifying measure over the programme's window, now. */
  qualifying_value: number;
  /** When the customer drops to the level the measure qualifies for, unless it recovers first. */
  downgrade_due_at: Timestamp | null;
  /** The next level up and how much of the measure it still needs; null at the top. */
  next: { tier: string; threshold: number; remaining: number } | null;
}

/** The first local day (`YYYY-MM-DD`) of the programme's window as seen at `now`. */
export function windowStartDay(window: TierWindow, now: Timestamp, timeZone: string): string {
  const today = localNow(now, timeZone).date;
  if ('rolling' in window) return addDays(today, 1 - Number.parseInt(window.rolling, 10));
  return window.calendar === 'month' ? `${today.slice(0, 8)}01` : `${today.slice(0, 5)}01-01`;
}

/** The buckets the programme's measure sums. */
export function measureBuckets(programme: TierProgramme): string[] {
  if (programme.measure === 'spend') return [TIER_BUCKET_SPEND];
  if (programme.measure === 'points_earned') return [TIER_BUCKET_POINTS];
  return programme.event_types.map(tierCountBucket);
}

/** The customer's qualifying measure over the window ending at `now`. */
export async function qualifyingValue(
  op: Operation,
  programme: TierProgramme,
  customerId: string,
  now: Timestamp,
): Promise<number> {
  const from = windowStartDay(programme.window, now, op.tenant.timezone);
  return op.tx.tiers.sumBuckets(customerId, measureBuckets(programme), from);
}

/** The index of the highest level `value` reaches; -1 when none. */
function rankOf(programme: TierProgramme, value: number): number {
  let rank = -1;
  programme.levels.forEach((level, i) => {
    if (value >= level.threshold) rank = i;
  });
  return rank;
}

/**
 * Recomputes one customer's tier at `now` and stores it: an upgrade happens at once; a drop below
 * the current level starts the grace period (`downgrade_due_at`), and the downgrade happens only
 * once that has passed with the measure still short; a recovery clears it. The caller holds the
 * customer's lock, which makes this exact under concurrency. Returns the tier now held.
 */
export async function refreshTier(
  op: Operation,
  programme: TierProgramme,
  customerId: string,
  now: Timestamp,
): Promise<CustomerTier> {
  const value = await qualifyingValue(op, programme, customerId, now);
  const row = await op.tx.tiers.getCustomerTier(customerId);
  const levels = programme.levels;
  const current = row?.tier ?? null;
  const currentRank = current === null ? -1 : levels.findIndex((l) => l.name === current);
  const target = rankOf(programme, value);
  let tier = current;
  let due = row?.downgrade_due_at ?? null;
  let reason: 'upgrade' | 'downgrade' | null = null;

  if (current !== null && currentRank === -1) {
    // The programme was redefined without this level: there is no threshold left to grant grace on.
    tier = target === -1 ? null : (levels[target]?.name ?? null);
    reason = target === -1 ? 'downgrade' : 'upgrade';
    due = null;
  } else if (target > currentRank) {
    tier = levels[target]?.name ?? null;
    reason = 'upgrade';
    due = null;
  } else if (target === currentRank) {
    due = null;
  } else {
    const grace = durationMs(programme.grace === '0d' ? '0m' : programme.grace);
    if (grace === 0 || (due !== null && due <= now)) {
      tier = target === -1 ? null : (levels[target]?.name ?? null);
      reason = 'downgrade';
      due = null;
    } else if (due === null) {
      due = addMs(now, grace);
    }
  }

  const next: CustomerTier = {
    tenant_id: op.tenant.id,
    customer_id: customerId,
    tier,
    since: reason === null && row !== null ? row.since : now,
    qualifying_value: value,
    downgrade_due_at: due,
    programme_version: programme.version,
    updated_at: now,
  };
  if (
    row === null ||
    reason !== null ||
    row.qualifying_value !== value ||
    row.downgrade_due_at !== due ||
    row.programme_version !== programme.version
  ) {
    await op.tx.tiers.putCustomerTier(next);
  }
  if (reason !== null && tier !== current) {
    await emit(op, 'customer.tier_changed', {
      customer_id: customerId,
      from: current,
      to: tier,
      reason,
      measure: programme.measure,
      value,
      at: now,
    });
  }
  return next;
}

/**
 * Ingest's hook, after the event is stored and the stats updated, before the rules run: adds the
 * event to the customer's buckets and recomputes the tier; `customer.tier` of the rule context is
 * the tier after this event. Does nothing for a tenant without a tier programme.
 */
export async function tiersAtIngest(
  op: Operation,
  customer: Customer,
  event: LoyaltyEvent,
  context: RuleContext,
  refund: RefundOutcome | null = null,
): Promise<void> {
  const programme = await programmeOf(op);
  if (programme === null) {
    context.customer.tier = null;
    return;
  }
  const day = localNow(event.occurred_at, op.tenant.timezone).date;
  const amount = event.data.amount;
  if (event.type === 'purchase' && typeof amount === 'number' && amount > 0) {
    await op.tx.tiers.addToBucket(customer.id, TIER_BUCKET_SPEND, day, amount);
  }
  if (refund !== null) await unqualify(op, customer.id, refund);
  await op.tx.tiers.addToBucket(customer.id, tierCountBucket(event.type), day, 1);
  const row = await refreshTier(op, programme, customer.id, op.now);
  context.customer.tier = row.tier;
}

/**
 * A refund takes back what the refunded purchase qualified with: its refunded amount from the
 * spend, and the points it clawed back from the points earned, on the original event's day (the
 * day they were counted on), so that buying into a tier and returning the goods does not keep it.
 * The customer's visits still count the original event.
 */
async function unqualify(op: Operation, customerId: string, refund: RefundOutcome): Promise<void> {
  const original = await op.tx.events.get(refund.original_event_id);
  if (original === null) return;
  const day = localNow(original.occurred_at, op.tenant.timezone).date;
  if (original.type === 'purchase' && refund.amount !== null && refund.amount > 0) {
    await op.tx.tiers.addToBucket(customerId, TIER_BUCKET_SPEND, day, -refund.amount);
  }
  if (refund.points_clawed > 0) {
    await op.tx.tiers.addToBucket(customerId, TIER_BUCKET_POINTS, day, -refund.points_clawed);
  }
}

/**
 * Ingest's hook after the rules: the points this event earned count toward a `points_earned`
 * programme at once (an upgrade they bring happens in the same transaction).
 */
export async function tiersAfterRules(op: Operation, customer: Customer): Promise<void> {
  const programme = await programmeOf(op);
  if (programme === null || programme.measure !== 'points_earned') return;
  await refreshTier(op, programme, customer.id, op.now);
}

/** The tier programme: an ingest's cached one, else read in the operation's transaction. */
function programmeOf(op: Operation): Promise<TierProgramme | null> {
  return op.config === undefined ? op.tx.tiers.getProgramme() : op.config.tierProgramme(op.tx);
}

/** `creditPoints`' hook: every earned lot adds to the customer's `points` bucket of its day. */
export async function recordPointsEarned(
  op: Operation,
  customerId: string,
  amount: number,
  earnedAt: Timestamp,
): Promise<void> {
  if (amount <= 0) return;
  if ((await programmeOf(op)) === null) return;
  const day = localNow(earnedAt, op.tenant.timezone).date;
  await op.tx.tiers.addToBucket(customerId, TIER_BUCKET_POINTS, day, amount);
}

/** `engine.tiers.put`: validates and stores the programme, bumping its version. */
export async function putTierProgramme(op: Operation, raw: unknown): Promise<TierProgramme> {
  const input = parseInput(tierProgrammeInputSchema, raw, 'tier programme');
  const before = await op.tx.tiers.getProgramme();
  const programme: TierProgramme = {
    tenant_id: op.tenant.id,
    measure: input.measure,
    event_types: input.event_types ?? [],
    window: input.window,
    grace: input.grace,
    levels: input.levels,
    version: (before?.version ?? 0) + 1,
    created_at: before?.created_at ?? op.now,
    updated_at: op.now,
  };
  await op.tx.tiers.putProgramme(programme);
  return programme;
}

/** `engine.tiers.customer`: locks the customer, brings its tier up to date, and shows it. */
export async function customerTierView(op: Operation, customerId: string): Promise<CustomerTierView> {
  const customer = isUuid(customerId) ? await op.tx.customers.lock(customerId) : null;
  if (customer === null) throw new NotFoundError('customer', customerId);
  const programme = await op.tx.tiers.getProgramme();
  if (programme === null) {
    return {
      customer_id: customerId,
      tier: null,
      since: null,
      measure: null,
      qualifying_value: 0,
      downgrade_due_at: null,
      next: null,
    };
  }
  const row = await refreshTier(op, programme, customerId, op.now);
  const rank = row.tier === null ? -1 : programme.levels.findIndex((l) => l.name === row.tier);
  const up = programme.levels[rank + 1];
  return {
    customer_id: customerId,
    tier: row.tier,
    since: row.since,
    measure: programme.measure,
    qualifying_value: row.qualifying_value,
    downgrade_due_at: row.downgrade_due_at,
    next:
      up === undefined
        ? null
        : {
            tier: up.name,
            threshold: up.threshold,
            remaining: Math.max(0, up.threshold - row.qualifying_value),
          },
  };
}

/**
 * One batch of the worker's due downgrades: each customer is locked (as ingest locks it) and its
 * tier recomputed at `now`, so a concurrent ingest or a second worker never applies one twice.
 * Returns how many rows were due (the caller loops while a full batch came back) and how many
 * tiers changed.
 */
export async function applyDueDowngrades(
  op: Operation,
  now: Timestamp,
): Promise<{ due: number; changed: number }> {
  const due = await op.tx.tiers.listDowngradesDue(now, DOWNGRADE_BATCH);
  if (due.length === 0) return { due: 0, changed: 0 };
  const programme = await op.tx.tiers.getProgramme();
  let changed = 0;
  for (const listed of due) {
    const customer = await op.tx.customers.lock(listed.customer_id);
    const row = await op.tx.tiers.getCustomerTier(listed.customer_id);
    if (row === null || row.downgrade_due_at === null || row.downgrade_due_at > now) continue;
    if (customer === null || programme === null) {
      // Nothing left to recompute against: stop listing it.
      await op.tx.tiers.putCustomerTier({ ...row, downgrade_due_at: null, updated_at: now });
      continue;
    }
    const after = await refreshTier(op, programme, listed.customer_id, now);
    if (after.tier !== row.tier) changed++;
  }
  return { due: due.length, changed };
}

export { DOWNGRADE_BATCH };
