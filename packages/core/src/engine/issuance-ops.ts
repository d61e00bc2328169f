import { durationMs } from '../domain/common.js';
import type { Issuance } from '../domain/issuance.js';
import { BUDGET_MOVES, type IssuanceAction, nextState } from '../domain/issuance-state.js';
import type { OutboxEventType } from '../domain/outbox.js';
import type { Reward } from '../domain/reward.js';
import { NotFoundError, StateConflictError } from '../errors.js';
import { addMs } from '../time.js';
import { moveBudget } from './budget-ops.js';
import { emit, type Operation } from './operation.js';
import { creditPoints, debitPoints } from './points-ops.js';

const OUTBOX_TYPE: Record<IssuanceAction, OutboxEventType> = {
  issue: 'reward.issued',
  redeem: 'reward.redeemed',
  cancel: 'reward.cancelled',
  expire: 'reward.expired',
};

/** When an issued reward stops being redeemable. */
export function expiryOf(reward: Reward, issuedAt: string): string | null {
  return reward.validity === null ? null : addMs(issuedAt, durationMs(reward.validity));
}

/** The outbox payload of a reward event. */
export function issuancePayload(issuance: Issuance): Record<string, unknown> {
  return { issuance };
}

export async function loadReward(op: Operation, rewardId: string): Promise<Reward> {
  const reward = await op.tx.rewards.get(rewardId);
  if (reward === null) throw new NotFoundError('reward', rewardId);
  return reward;
}

/**
 * Moves an issuance along the state machine inside the operation's transaction: the
 * compare-and-set on its state, the budget counters and ledger row of DESIGN.md's table, the
 * points of a points reward, and the outbox row. A transition the state machine lacks, or one
 * that lost a race, is a `StateConflictError` naming the state the issuance is in.
 */
export async function applyTransition(
  op: Operation,
  issuance: Issuance,
  action: IssuanceAction,
  options: {
    reason?: string;
    /** The caller took back (or gave) the points itself: a refund's clawback. */
    pointsSettled?: boolean;
  } = {},
): Promise<Issuance> {
  const to = nextState(issuance.state, action, issuance.id);
  const reward = await loadReward(op, issuance.reward_id);
  const next: Issuance = { ...issuance, state: to };
  if (action === 'issue') {
    next.issued_at = op.now;
    next.expires_at = expiryOf(reward, op.now);
  } else if (action === 'redeem') {
    next.redeemed_at = op.now;
  } else if (action === 'cancel') {
    next.cancelled_at = op.now;
    next.cancel_reason = options.reason ?? 'cancelled';
  }

  const written = await op.tx.issuances.transition(next, issuance.state);
  if (written === null) {
    const current = await op.tx.issuances.get(issuance.id);
    nextState(current?.state ?? issuance.state, action, issuance.id);
    throw new StateConflictError('The reward changed while this request ran; try again', {
      state: current?.state,
    });
  }

  if (issuance.budget_id !== null && issuance.budget_period !== null && issuance.cost > 0) {
    const move =
      action === 'cancel'
        ? issuance.state === 'reserved'
          ? BUDGET_MOVES.cancel_reserved
          : BUDGET_MOVES.cancel_issued
        : BUDGET_MOVES[action];
    await moveBudget(
      op,
      issuance.budget_id,
      issuance.budget_period,
      issuance.id,
      move.kind,
      issuance.cost,
      move.from,
      move.to,
    );
  }

  if (reward.type === 'points' && options.pointsSettled !== true) {
    if (action === 'issue')
      await creditPoints(op, issuance.customer_id, issuance.value, issuance.id, issuance.earned_at);
    // Taking back points already credited, less what a refund clawed back already: refused (and
    // nothing changes) if they were spent.
    if (action === 'cancel' && issuance.state === 'issued') {
      const held = await op.tx.points.netForIssuance(issuance.customer_id, issuance.id);
      if (held > 0)
        await debitPoints(op, issuance.customer_id, held, 'adjust', issuance.id, {
          reason: 'reward cancelled',
        });
    }
  }
  if (action === 'cancel' && reward.type !== 'points' && issuance.rule_id === null) {
    // A reward bought with points (redeemPoints): cancelling it gives the points paid back.
    const paid = -(await op.tx.points.netForIssuance(issuance.customer_id, issuance.id));
    if (paid > 0) {
      await creditPoints(op, issuance.customer_id, paid, issuance.id, op.now, {
        kind: 'adjust',
        reason: 'reward cancelled: points returned',
      });
    }
  }

  await emit(op, OUTBOX_TYPE[action], issuancePayload(written));
  return written;
}
