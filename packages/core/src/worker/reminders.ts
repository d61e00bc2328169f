import type { PointsLot } from '../domain/points.js';
import { reminderDaysOf, type Tenant } from '../domain/tenant.js';
import type { Engine } from '../engine/types.js';
import { newId as uuidv7 } from '../ids.js';

const DAY_MS = 86_400_000;
/** Lots or issuances handled per transaction. */
const BATCH = 200;

/** What one reminder pass of a tenant wrote. */
export interface RemindersResult {
  /** `points.expiring` events (one per customer and batch of lots). */
  points: number;
  /** `reward.expiring` events (one per issuance). */
  rewards: number;
}

/**
 * The reminders of one tenant as of `now`, when `tenant.settings.reminder_days` is set: for
 * points lots with points left and issued rewards whose expiry lies within that many days, a
 * `points.expiring` (per customer: the points, the earliest `expires_at`, and each lot) and a
 * `reward.expiring` (the issuance and its `expires_at`) outbox event, written in the same
 * transaction as the lot's or the issuance's reminder marker and only when that transaction set
 * the marker. So each lot and each issuance is reminded of once, however often the pass runs and
 * however many workers run it at once (the marker's guarded insert decides; see
 * `ReminderRepository.markReminded`).
 */
export async function runReminders(
  engine: Engine,
  tenant: Tenant,
  now: Date,
  newId: () => string = uuidv7,
): Promise<RemindersResult> {
  const result: RemindersResult = { points: 0, rewards: 0 };
  const days = reminderDaysOf(tenant.settings);
  if (days === null) return result;
  const at = now.toISOString();
  const until = new Date(now.getTime() + days * DAY_MS).toISOString();
  const append = (
    tx: Parameters<Parameters<Engine['transaction']>[1]>[0],
    type: 'points.expiring' | 'reward.expiring',
    data: Record<string, unknown>,
  ) => tx.outbox.append({ id: newId(), tenant_id: tenant.id, type, data, created_at: at });

  for (;;) {
    const { listed, written } = await engine.transaction(tenant.id, async (tx) => {
      let written = 0;
      const lots = await tx.reminders.listLotsToRemind(at, until, BATCH);
      const byCustomer = new Map<string, PointsLot[]>();
      for (const lot of lots) {
        if (!(await tx.reminders.markReminded('lot', lot.id, at))) continue;
        const group = byCustomer.get(lot.customer_id) ?? [];
        group.push(lot);
        byCustomer.set(lot.customer_id, group);
      }
      for (const [customerId, group] of byCustomer) {
        const customer = await tx.customers.get(customerId);
        await append(tx, 'points.expiring', {
          customer_id: customerId,
          points: group.reduce((sum, lot) => sum + lot.remaining, 0),
          expires_at: group.map((lot) => lot.expires_at as string).sort()[0],
          balance: customer?.stats.points_balance ?? null,
          lots: group.map((lot) => ({ lot_id: lot.id, points: lot.remaining, expires_at: lot.expires_at })),
        });
        written++;
      }
      return { listed: lots.length, written };
    });
    // Counted from what committed (a transaction the database aborted runs again from scratch).
    result.points += written;
    if (listed < BATCH) break;
  }

  for (;;) {
    const { listed, written } = await engine.transaction(tenant.id, async (tx) => {
      let written = 0;
      const issuances = await tx.reminders.listIssuancesToRemind(at, until, BATCH);
      for (const issuance of issuances) {
        if (!(await tx.reminders.markReminded('issuance', issuance.id, at))) continue;
        // A points reward's points are already on the wallet: their lots get the reminder.
        const reward = await tx.rewards.get(issuance.reward_id);
        if (reward === null || reward.type === 'points') continue;
        await append(tx, 'reward.expiring', { issuance, expires_at: issuance.expires_at });
        written++;
      }
      return { listed: issuances.length, written };
    });
    result.rewards += written;
    if (listed < BATCH) break;
  }
  return result;
}
