/**
 * Refunds and returns, and manual points adjustments (docs/refunds.md).
 *
 * A `refund` (or `return`) event names the event it refunds; inside the refund's own ingest
 * transaction, with its customer locked, {@link applyRefund} reverses what the original earned
 * where it still can. Everything here runs in the caller's transaction.
 */
import type { LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import { type AdjustPointsInput, adjustPointsSchema, type PointsAdjustment } from '../domain/points.js';
import { isRefundType, type RefundOutcome, type RefundPointsLine } from '../domain/refund.js';
import { NotFoundError, StateConflictError, ValidationError } from '../errors.js';
import { isUuid } from '../ids.js';
import { applyTransition, loadReward } from './issuance-ops.js';
import type { Operation } from './operation.js';
import { parseInput } from './parse-input.js';
import { creditPoints, debitPoints } from './points-ops.js';

/** The reason written on a refund's cancellations (`cancel_reason`). */
export const REFUND_CANCEL_REASON = 'refund';

const BY_ID = 'data.original_event_id';
const BY_KEY = 'data.original_idempotency_key';

/**
 * The event a refund names: `data.original_event_id` (the id ingest answered), or
 * `data.original_idempotency_key` (the key the till sent with the original, often its receipt
 * number). It must be an event of the refund's own customer (else `NOT_FOUND` naming the field)
 * and not itself a refund.
 */
async function findOriginal(op: Operation, refund: LoyaltyEvent): Promise<LoyaltyEvent> {
  const byId = refund.data.original_event_id;
  const byKey = refund.data.original_idempotency_key;
  if (byId === undefined && byKey === undefined) {
    throw new ValidationError(`A ${refund.type} names the event it refunds: ${BY_ID} (or ${BY_KEY})`, [
      { path: BY_ID, message: `is required (or ${BY_KEY})` },
    ]);
  }
  if (byId !== undefined && typeof byId !== 'string') {
    throw new ValidationError(`Invalid event: ${BY_ID} must be an event id`, [
      { path: BY_ID, message: 'must be an event id (a uuid string)' },
    ]);
  }
  if (byKey !== undefined && (typeof byKey !== 'string' || byKey.length === 0 || byKey.length > 255)) {
    throw new ValidationError(`Invalid event: ${BY_KEY} must be an idempotency key`, [
      { path: BY_KEY, message: 'must be the idempotency key of the original event (1-255 characters)' },
    ]);
  }
  const path = byId !== undefined ? BY_ID : BY_KEY;
  const named = (byId ?? byKey) as string;
  let original: LoyaltyEvent | null = null;
  if (byId !== undefined) {
    // A string that is no uuid cannot name an event (and PostgreSQL would refuse it as a uuid).
    original = isUuid(byId) ? await op.tx.events.get(byId) : null;
    if (original !== null && byKey !== undefined && original.idempotency_key !== byKey) {
      throw new ValidationError(`Invalid event: ${BY_ID} and ${BY_KEY} name different events`, [
        { path: BY_KEY, message: `is not the idempotency key of event ${byId}` },
      ]);
    }
  } else {
    original = await op.tx.events.findByIdempotencyKey(byKey as string);
  }
  // Another customer's event is as unknown as a missing one: nothing of it is revealed.
  if (original === null || original.customer_id !== refund.customer_id || original.id === refund.id) {
    throw new NotFoundError('event', named, {
      field: path,
      issues: [{ path, message: 'no event of this customer has it' }],
    });
  }
  if (isRefundType(original.type)) {
    throw new ValidationError(`Invalid event: ${path} names a ${original.type}; name the event it refunded`, [
      { path, message: `names a ${original.type}, not an event that earned` },
    ]);
  }
  return original;
}

/** True when a rule's quantity reads the event's amount: its points are refunded pro rata. */
function amountBased(quantity: unknown): boolean {
  return JSON.stringify(quantity ?? null).includes('"event.amount"');
}

/**
 * Reverses what `original` earned, as far as the refund reaches (see docs/refunds.md):
 * - points credited by its points issuances are clawed back (a ledger row `adjust` per lot, with
 *   the reason), pro rata to the amount refunded for amount-based rules, all at once on the full
 *   refund otherwise; the balance never goes below zero, what it cannot cover is the shortfall;
 * - when the original becomes fully refunded, its reserved and issued rewards are cancelled
 *   through the state machine (budget released, `reward.cancelled`), reason `refund`;
 * - redeemed rewards stay redeemed and are listed.
 * Refunds of one original add up to at most its amount: what earlier refunds took is read from
 * their records, so a second full refund reverses nothing more.
 */
export async function applyRefund(op: Operation, refund: LoyaltyEvent): Promise<RefundOutcome> {
  const original = await findOriginal(op, refund);
  const previous = await op.tx.refunds.listForOriginal(original.id);
  const wasFull = previous.some((r) => r.full);
  const raw = original.data.amount;
  const originalAmount = typeof raw === 'number' && raw > 0 ? raw : null;

  let amount: number | null = null;
  let before = 0;
  let full = true;
  if (originalAmount !== null) {
    before = previous.reduce((sum, r) => sum + (r.amount ?? 0), 0);
    const left = wasFull ? 0 : Math.max(0, originalAmount - before);
    const asked = typeof refund.data.amount === 'number' ? refund.data.amount : left;
    amount = Math.min(asked, left);
    full = wasFull || before + amount >= originalAmount;
  }
  const becomesFull = full && !wasFull;

  const customer = await op.tx.customers.get(refund.customer_id);
  let balance = customer?.stats.points_balance ?? 0;
  const outcome: RefundOutcome = {
    original_event_id: original.id,
    amount,
    full,
    points_clawed: 0,
    points_shortfall: 0,
    points: [],
    cancelled_issuance_ids: [],
    redeemed_issuance_ids: [],
  };

  for (const issuanceId of original.outcome?.issuance_ids ?? []) {
    const issuance = await op.tx.issuances.get(issuanceId);
    if (issuance === null) continue;
    if (issuance.state === 'redeemed') {
      outcome.redeemed_issuance_ids.push(issuance.id);
      continue;
    }
    if (issuance.state !== 'issued' && issuance.state !== 'reserved') continue;
    const reward = await loadReward(op, issuance.reward_id);
    if (reward.type === 'points' && issuance.state === 'issued' && !wasFull) {
      const line = await clawBack(op, refund, original, issuance, {
        originalAmount,
        before,
        amount,
        becomesFull,
        balance,
      });
      if (line !== null) {
        balance -= line.clawed;
        outcome.points.push(line);
        outcome.points_clawed += line.clawed;
        outcome.points_shortfall += line.shortfall;
      }
    }
    if (becomesFull) {
      await applyTransition(op, issuance, 'cancel', { reason: REFUND_CANCEL_REASON, pointsSettled: true });
      outcome.cancelled_issuance_ids.push(issuance.id);
    }
  }

  await op.tx.refunds.insert({
    id: refund.id,
    tenant_id: op.tenant.id,
    customer_id: refund.customer_id,
    created_at: op.now,
    ...outcome,
  });
  return outcome;
}

interface ClawBackArgs {
  originalAmount: number | null;
  /** What earlier refunds of the original took of its amount. */
  before: number;
  amount: number | null;
  becomesFull: boolean;
  balance: number;
}

async function clawBack(
  op: Operation,
  refund: LoyaltyEvent,
  original: LoyaltyEvent,
  issuance: Issuance,
  args: ClawBackArgs,
): Promise<RefundPointsLine | null> {
  const { originalAmount, before, amount, becomesFull } = args;
  const rule = issuance.rule_id === null ? null : await op.tx.rules.get(issuance.rule_id);
  // A deleted rule's formula is unknown: its points are treated as amount-based (pro rata).
  const proRata = originalAmount !== null && amount !== null && (rule === null || amountBased(rule.quantity));
  let due: number;
  if (proRata) {
    // Floors of the running totals: several partial refunds add up to exactly the full value.
    const owed = (share: number) => Math.floor((issuance.value * share) / originalAmount);
    due = owed(before + amount) - owed(before);
  } else {
    due = becomesFull ? issuance.value : 0;
  }
  const held = await op.tx.points.netForIssuance(issuance.customer_id, issuance.id);
  due = Math.max(0, Math.min(due, held));
  if (due === 0) return null;
  const clawed = Math.min(due, Math.max(0, args.balance));
  if (clawed > 0) {
    await debitPoints(op, issuance.customer_id, clawed, 'adjust', issuance.id, {
      reason: `${refund.type} ${refund.id} of event ${original.id}`,
    });
  }
  return { issuance_id: issuance.id, due, clawed, shortfall: due - clawed };
}

/**
 * A manual credit (`amount` > 0, a new lot) or debit (`amount` < 0, earliest-expiring lots first)
 * of a customer's points: ledger rows of kind `adjust` carrying the reason and the actor. A debit
 * the balance does not cover is a `StateConflictError` naming the balance, and nothing changes.
 */
export async function adjustPoints(
  op: Operation,
  customerId: string,
  raw: AdjustPointsInput,
  actor: string | null,
): Promise<PointsAdjustment> {
  const input = parseInput(adjustPointsSchema, raw, 'points adjustment');
  const customer = isUuid(customerId) ? await op.tx.customers.lock(customerId) : null;
  if (customer === null) throw new NotFoundError('customer', customerId);
  if (customer.status === 'erased') {
    throw new StateConflictError('This customer is erased: its points cannot change', {
      state: customer.status,
      customer_id: customer.id,
    });
  }
  const note = { reason: input.reason, actor };
  if (input.amount > 0) {
    await creditPoints(op, customer.id, input.amount, null, op.now, { kind: 'adjust', ...note });
  } else {
    await debitPoints(op, customer.id, -input.amount, 'adjust', null, note);
  }
  const after = await op.tx.customers.get(customer.id);
  return {
    customer_id: customer.id,
    amount: input.amount,
    reason: input.reason,
    actor,
    balance: after?.stats.points_balance ?? 0,
    at: op.now,
  };
}
