// The loyalty module of a point-of-sale backend: LaaS embedded on the POS's own SQLite database.

import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine, NotFoundError } from '@laas/core';

// Fixed ids: the programme is set up once, and every later start finds it again.
export const SHOP_ID = '0193b000-0000-7000-8000-000000000001';
export const POINTS_ID = '0193b000-0000-7000-8000-000000000101';
export const FIVE_OFF_ID = '0193b000-0000-7000-8000-000000000102';

/** Opens (and on first use sets up) the loyalty programme in `filename`. */
export async function openLoyalty(filename) {
  const store = sqliteStore({ filename });
  await store.migrate();
  const engine = createEngine({ store });
  try {
    await engine.tenants.get(SHOP_ID);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await engine.tenants.create({
      id: SHOP_ID,
      name: 'Corner Grocer',
      timezone: 'Africa/Nairobi',
      settings: { currency: 'KES' },
    });
    await engine.rewards.create(SHOP_ID, { id: POINTS_ID, name: 'Points', type: 'points', value: 1 });
    await engine.rewards.create(SHOP_ID, {
      id: FIVE_OFF_ID,
      name: 'KES 50 off',
      type: 'discount_amount',
      value: 5000,
      points_price: 50,
      validity: '30d',
    });
    await engine.rules.create(SHOP_ID, {
      name: '1 point per KES 100',
      event_types: ['purchase'],
      quantity: { floor: { '/': [{ var: 'event.amount' }, 10000] } },
      reward_id: POINTS_ID,
    });
  }
  return { engine, close: () => store.close() };
}

/**
 * Records a sale. The idempotency key is the till and receipt number: a retried request (a
 * timeout, a double click) never credits twice.
 */
export async function checkout(loyalty, { till, receipt, phone, amount, at }) {
  const result = await loyalty.engine.ingest(SHOP_ID, {
    idempotency_key: `${till}-${receipt}`,
    type: 'purchase',
    ...(at === undefined ? {} : { occurred_at: at }),
    customer: { phone },
    data: { amount, store_id: till },
  });
  const earned = result.issuances.reduce((sum, i) => sum + (i.state === 'issued' ? i.value : 0), 0);
  const { balance } = await loyalty.engine.points.balance(SHOP_ID, result.customer_id);
  return { customerId: result.customer_id, earned, balance, replayed: result.replayed };
}

/** At the till: the customer spends points on a catalog reward, applied to this sale at once. */
export async function redeemAtTill(loyalty, { customerId, rewardId }) {
  const issuance = await loyalty.engine.redeemPoints(SHOP_ID, customerId, { reward_id: rewardId });
  const redeemed = await loyalty.engine.redeem(SHOP_ID, { issuance_id: issuance.id });
  const { balance } = await loyalty.engine.points.balance(SHOP_ID, customerId);
  return { discount: redeemed.value, state: redeemed.state, balance };
}
