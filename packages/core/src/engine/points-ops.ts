import { durationMs, MAX_AMOUNT } from '../domain/common.js';
import type { PointsLot } from '../domain/points.js';

/** Why a ledger row was written and by whom, for rows other than a plain earn, spend or expiry. */
export interface LedgerNote {
  kind?: 'earn' | 'adjust';
  reason?: string | null;
  actor?: string | null;
}

import { StateConflictError, UnprocessableInputError } from '../errors.js';
import { addMs } from '../time.js';
import type { Operation } from './operation.js';
import { recordPointsEarned } from './tiers.js';

/** Credits points as one lot that expires per the tenant's `points_expiry`, with its ledger row. */
export async function creditPoints(
  op: Operation,
  customerId: string,
  amount: number,
  issuanceId: string | null,
  earnedAt: string,
  note: LedgerNote = {},
): Promise<PointsLot> {
  const expiry = op.tenant.settings.points_expiry;
  const lot: PointsLot = {
    id: op.newId(),
    tenant_id: op.tenant.id,
    customer_id: customerId,
    issuance_id: issuanceId,
    earned_at: earnedAt,
    expires_at: expiry === null ? null : addMs(earnedAt, durationMs(expiry)),
    amount,
    remaining: amount,
  };
  await op.tx.points.insertLot(lot);
  const balance = await op.tx.customers.adjustPointsBalance(customerId, amount);
  if (balance === null) throw new Error('crediting points cannot make a balance negative');
  if (balance > MAX_AMOUNT) {
    throw new UnprocessableInputError(
      `This would take the customer's points balance past the maximum of ${MAX_AMOUNT}`,
      [{ path: 'points', message: `the balance would pass ${MAX_AMOUNT}`, code: 'too_big' }],
    );
  }
  await op.tx.points.appendLedger({
    id: op.newId(),
    tenant_id: op.tenant.id,
    customer_id: customerId,
    kind: note.kind ?? 'earn',
    amount,
    lot_id: lot.id,
    issuance_id: issuanceId,
    at: op.now,
    reason: note.reason ?? null,
    actor: note.actor ?? null,
  });
  await recordPointsEarned(op, customerId, amount, earnedAt);
  return lot;
}

/**
 * Debits points, earliest-expiring lots first, with one ledger row per lot touched. The guarded
 * balance update refuses a debit the balance does not cover: a `StateConflictError` naming the
 * balance, and nothing changes.
 */
export async function debitPoints(
  op: Operation,
  customerId: string,
  amount: number,
  kind: 'redeem' | 'adjust',
  issuanceId: string | null,
  note: Omit<LedgerNote, 'kind'> = {},
): Promise<void> {
  const balance = await op.tx.customers.adjustPointsBalance(customerId, -amount);
  if (balance === null) {
    const customer = await op.tx.customers.get(customerId);
    const have = customer?.stats.points_balance ?? 0;
    throw new StateConflictError(`Not enough points: the balance is ${have} and ${amount} are needed`, {
      balance: have,
      required: amount,
    });
  }
  for (const taken of await op.tx.points.consumeLots(customerId, amount)) {
    await op.tx.points.appendLedger({
      id: op.newId(),
      tenant_id: op.tenant.id,
      customer_id: customerId,
      kind,
      amount: -taken.amount,
      lot_id: taken.lot_id,
      issuance_id: issuanceId,
      at: op.now,
      reason: note.reason ?? null,
      actor: note.actor ?? null,
    });
  }
}
