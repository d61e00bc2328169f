/**
 * Reminders before expiry: the port (`tx.reminders`: listing what expires soon, the once-only
 * marker) and the worker's pass (`runReminders`: `points.expiring`, `reward.expiring`), on any
 * Store. Every test makes its own tenants.
 */
import { describe, expect } from 'vitest';
import type { OutboxEvent } from '../domain/outbox.js';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import { runReminders } from '../worker/reminders.js';
import { at, tenantRow } from './contract-kit.js';
import { DAY, setup, uniqueKey, uniquePhone } from './fixtures.js';
import type { ConformanceTest } from './port-contracts.js';

export function describeRemindersContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);

  describe('reminders', () => {
    test('reminders: a marker is set once per subject and tenant; a rolled-back mark leaves nothing', async () => {
      const a = newId();
      const b = newId();
      await run(a, (tx) => tx.tenants.insert(tenantRow(a)));
      await run(b, (tx) => tx.tenants.insert(tenantRow(b)));
      const subject = newId();
      expect(await run(a, (tx) => tx.reminders.remindedAt('lot', subject))).toBeNull();
      await expect(
        run(a, async (tx) => {
          expect(await tx.reminders.markReminded('lot', subject, at())).toBe(true);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await run(a, (tx) => tx.reminders.remindedAt('lot', subject))).toBeNull();
      expect(await run(a, (tx) => tx.reminders.markReminded('lot', subject, at()))).toBe(true);
      expect(await run(a, (tx) => tx.reminders.markReminded('lot', subject, at(5)))).toBe(false);
      expect(await run(a, (tx) => tx.reminders.remindedAt('lot', subject))).toBe(at());
      // The kinds are separate, and so are the tenants.
      expect(await run(a, (tx) => tx.reminders.markReminded('issuance', subject, at()))).toBe(true);
      expect(await run(b, (tx) => tx.reminders.remindedAt('lot', subject))).toBeNull();
      expect(await run(b, (tx) => tx.reminders.markReminded('lot', subject, at()))).toBe(true);
    });

    test('reminders: concurrent marks of one subject: exactly one wins', async () => {
      const a = newId();
      await run(a, (tx) => tx.tenants.insert(tenantRow(a)));
      const subject = newId();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => run(a, (tx) => tx.reminders.markReminded('issuance', subject, at()))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('reminders: points.expiring and reward.expiring N days before expiry, once, even when passes run twice or at once', async () => {
      const { engine, clock, tenant } = await setup(
        getStore(),
        { name: 'Reminders shop', settings: { points_expiry: '10d', reminder_days: 3 } },
        '2026-11-01T09:00:00.000Z',
      );
      const t = tenant.id;
      const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
      const voucher = await engine.rewards.create(t, {
        name: 'Coffee',
        type: 'voucher',
        value: 5,
        validity: '8d',
      });
      await engine.rewards.uploadCodes(t, voucher.id, { codes: ['R1', 'R2', 'R3'] });
      await engine.rules.create(t, {
        name: 'points',
        event_types: ['purchase'],
        reward_id: points.id,
        quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
      });
      await engine.rules.create(t, { name: 'coffee', event_types: ['visit'], reward_id: voucher.id });
      const ann = uniquePhone();
      const ben = uniquePhone();
      const buy = (phone: string, amount: number) =>
        engine.ingest(t, {
          idempotency_key: uniqueKey(),
          type: 'purchase',
          customer: { phone },
          data: { amount },
        });
      await buy(ann, 500); // lot of 5, expires day 10
      await buy(ann, 700); // lot of 7, expires day 10
      const kept = (
        await engine.ingest(t, { idempotency_key: uniqueKey(), type: 'visit', customer: { phone: ann } })
      ).issuances[0];
      const redeemed = (
        await engine.ingest(t, { idempotency_key: uniqueKey(), type: 'visit', customer: { phone: ben } })
      ).issuances[0];
      await engine.redeem(t, { issuance_id: redeemed?.id as string });
      clock.advance(DAY);
      await buy(ben, 300); // expires day 11

      const expiring = async (): Promise<OutboxEvent[]> =>
        (await engine.outbox.list(t, { limit: 200 })).items.filter(
          (e) => e.type === 'points.expiring' || e.type === 'reward.expiring',
        );
      // Day 6: the voucher expires on day 9 and the lots on days 11 and 12: 3 days ahead sees the voucher only.
      clock.set('2026-11-06T10:00:00.000Z');
      expect(await runReminders(engine, tenant, clock())).toEqual({ points: 0, rewards: 1 });
      const [rewardReminder] = await expiring();
      expect(rewardReminder).toMatchObject({
        type: 'reward.expiring',
        data: { issuance: { id: kept?.id, state: 'issued' }, expires_at: kept?.expires_at },
      });
      // Day 9 (the voucher, past its expiry, is not listed again): Ann's two lots in one event; Ben's lot too.
      clock.set('2026-11-09T10:00:00.000Z');
      expect(await runReminders(engine, tenant, clock())).toEqual({ points: 2, rewards: 0 });
      const pointsEvents = (await expiring()).filter((e) => e.type === 'points.expiring');
      const annCustomer = (await engine.customers.list(t, { phone: ann })).items[0];
      const benCustomer = (await engine.customers.list(t, { phone: ben })).items[0];
      const annEvent = pointsEvents.find((e) => e.data.customer_id === annCustomer?.id);
      expect(annEvent?.data).toMatchObject({
        points: 12,
        expires_at: '2026-11-11T09:00:00.000Z',
        balance: 12,
      });
      expect(annEvent?.data.lots).toHaveLength(2);
      expect(pointsEvents.find((e) => e.data.customer_id === benCustomer?.id)?.data ?? {}).toMatchObject({
        points: 3,
        expires_at: '2026-11-12T09:00:00.000Z',
      });

      // Again, and three at once: nothing more.
      expect(await runReminders(engine, tenant, clock())).toEqual({ points: 0, rewards: 0 });
      const concurrent = await Promise.all([1, 2, 3].map(() => runReminders(engine, tenant, clock())));
      expect(concurrent.reduce((n, r) => n + r.points + r.rewards, 0)).toBe(0);
      expect(await expiring()).toHaveLength(3);
    });

    test('reminders: concurrent first passes write each reminder once; a tenant with reminders off gets none', async () => {
      const { engine, clock, tenant } = await setup(
        getStore(),
        { name: 'Concurrent reminders', settings: { points_expiry: '5d', reminder_days: 2 } },
        '2026-11-01T09:00:00.000Z',
      );
      const off = await engine.tenants.create({ name: 'No reminders', settings: { points_expiry: '5d' } });
      expect(off.settings.reminder_days).toBeNull();
      for (const shop of [tenant, off]) {
        const points = await engine.rewards.create(shop.id, { name: 'Points', type: 'points', value: 1 });
        await engine.rules.create(shop.id, {
          name: 'p',
          event_types: ['visit'],
          reward_id: points.id,
          quantity: 2,
        });
        for (let i = 0; i < 8; i++)
          await engine.ingest(shop.id, {
            idempotency_key: uniqueKey(),
            type: 'visit',
            customer: { phone: uniquePhone() },
          });
      }
      clock.advance(4 * DAY);
      const results = await Promise.all([1, 2, 3, 4].map(() => runReminders(engine, tenant, clock())));
      expect(results.reduce((n, r) => n + r.points, 0)).toBe(8);
      const events = (await engine.outbox.list(tenant.id, { limit: 200 })).items.filter(
        (e) => e.type === 'points.expiring',
      );
      expect(new Set(events.map((e) => e.data.customer_id)).size).toBe(8);
      expect(events).toHaveLength(8);
      expect(await runReminders(engine, off, clock())).toEqual({ points: 0, rewards: 0 });
    });
  });
}
