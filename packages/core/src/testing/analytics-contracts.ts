/**
 * The analytics port (`tx.analytics`) and the customer search (`CustomerListFilter.q`), through
 * the public engine, with exact figures: a known programme in `America/New_York` across the end
 * of daylight saving time (2026-11-01 is 25 hours long), on any Store.
 */
import { describe, expect } from 'vitest';
import type { AnalyticsDay } from '../domain/analytics.js';
import { UnprocessableInputError } from '../errors.js';
import type { Store } from '../ports/store.js';
import { rejection } from './contract-kit.js';
import { setup, uniqueKey, uniquePhone } from './fixtures.js';
import type { ConformanceTest } from './port-contracts.js';

const ZONE = 'America/New_York';

function day(date: string, counts: Partial<Omit<AnalyticsDay, 'date'>> = {}): AnalyticsDay {
  return {
    date,
    events: 0,
    enrolments: 0,
    issued: 0,
    redeemed: 0,
    points_earned: 0,
    points_spent: 0,
    points_expired: 0,
    ...counts,
  };
}

export function describeAnalyticsContracts(getStore: () => Store, test: ConformanceTest): void {
  describe('analytics', () => {
    test('analytics: exact daily figures in the tenant time zone across a DST change, budgets, top rules, isolation', async () => {
      const { engine, clock, tenant } = await setup(
        getStore(),
        { name: 'Analytics shop', timezone: ZONE, settings: { points_expiry: '3d', currency: 'USD' } },
        '2026-10-29T00:00:00.000Z',
      );
      const t = tenant.id;
      const coffeeBudget = await engine.budgets.create(t, {
        name: 'Coffee budget',
        unit: 'USD',
        limit: 1000,
        period: 'month',
        hard_cap: true,
      });
      const welcomeBudget = await engine.budgets.create(t, {
        name: 'Welcome budget',
        unit: 'USD',
        limit: 300,
        period: 'month',
        hard_cap: true,
      });
      await engine.budgets.create(t, { name: 'Retired', limit: 50, period: 'month', active: false });
      const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
      const coffee = await engine.rewards.create(t, {
        name: 'Free coffee',
        type: 'item',
        cost: 300,
        validity: '30d',
      });
      const gift = await engine.rewards.create(t, { name: 'Gift', type: 'item', cost: 300 });
      const mug = await engine.rewards.create(t, { name: 'Mug', type: 'item', points_price: 30 });
      await engine.rules.create(t, {
        name: 'Points per dollar',
        event_types: ['purchase'],
        reward_id: points.id,
        quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
      });
      await engine.rules.create(t, {
        name: 'Coffee on visit',
        event_types: ['visit'],
        reward_id: coffee.id,
        budget_id: coffeeBudget.id,
      });
      const giftRule = await engine.rules.create(t, {
        name: 'Welcome gift',
        event_types: ['signup'],
        reward_id: gift.id,
        budget_id: welcomeBudget.id,
      });

      const [phoneA, phoneB, phoneC, phoneZ] = [uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone()];
      const ingest = async (at: string, type: string, phone: string, amount?: number) => {
        clock.set(at);
        return engine.ingest(t, {
          idempotency_key: uniqueKey(),
          type,
          customer: { phone },
          ...(amount === undefined ? {} : { data: { amount } }),
        });
      };

      // 23:30 on Oct 29 in New York (EDT): before the range, though Oct 30 in UTC.
      await ingest('2026-10-30T03:30:00.000Z', 'visit', phoneZ);
      // Oct 30, 10:00 EDT: A enrolls, earns 50 points.
      const a = await ingest('2026-10-30T14:00:00.000Z', 'purchase', phoneA, 5000);
      // Oct 30, 23:30 EDT (Oct 31 in UTC): a coffee, charged 300 to October.
      const coffeeA = await ingest('2026-10-31T03:30:00.000Z', 'visit', phoneA);
      // Oct 31: D is enrolled by hand, nothing else happens.
      clock.set('2026-10-31T12:00:00.000Z');
      await engine.customers.create(t, { phone: uniquePhone() });
      // Nov 1, 01:30 EDT (the first one): B enrolls, earns 20.
      await ingest('2026-11-01T05:30:00.000Z', 'purchase', phoneB, 2000);
      // Nov 1, 23:30 EST, in the 25th hour of the day (Nov 2 in UTC): a coffee, charged to November.
      const coffeeB = await ingest('2026-11-02T04:30:00.000Z', 'visit', phoneB);
      // Nov 2: A spends 30 points on a mug, redeems the coffee; B's coffee is cancelled (300 released);
      // A signs up: the welcome gift takes the whole welcome budget.
      clock.set('2026-11-02T13:00:00.000Z');
      await engine.redeemPoints(t, a.customer_id, { reward_id: mug.id });
      clock.set('2026-11-02T15:00:00.000Z');
      await engine.redeem(t, { issuance_id: coffeeA.issuances[0]?.id as string });
      clock.set('2026-11-02T16:00:00.000Z');
      await engine.cancel(t, coffeeB.issuances[0]?.id as string, 'till error');
      await ingest('2026-11-02T18:00:00.000Z', 'signup', phoneA);
      // Nov 3, 07:00 EST: A's remaining 20 points expire (earned Oct 30 14:00Z, 3 days).
      clock.set('2026-11-03T12:00:00.000Z');
      expect((await engine.expireDue(t)).points_expired).toBe(20);
      // Nov 3: C enrolls with a visit: a coffee, 300.
      await ingest('2026-11-03T14:00:00.000Z', 'visit', phoneC);
      // Nov 4, 00:00 EST: just after the range. B earns 1 point (it counts in the liability only).
      await ingest('2026-11-04T05:00:00.000Z', 'purchase', phoneB, 100);
      await engine.rules.delete(t, giftRule.id);

      // Another tenant's activity in the same days must never show.
      const other = await setup(
        getStore(),
        { name: 'Other shop', timezone: ZONE },
        '2026-11-02T12:00:00.000Z',
      );
      const otherPoints = await other.engine.rewards.create(other.tenant.id, {
        name: 'Points',
        type: 'points',
        value: 1,
      });
      await other.engine.rules.create(other.tenant.id, {
        name: 'Other points',
        event_types: ['purchase'],
        reward_id: otherPoints.id,
        quantity: 7,
      });
      await other.engine.budgets.create(other.tenant.id, { name: 'Other budget', limit: 10 });
      await other.engine.ingest(other.tenant.id, {
        idempotency_key: uniqueKey(),
        type: 'purchase',
        customer: { phone: uniquePhone() },
        data: { amount: 100 },
      });

      clock.set('2026-11-04T12:00:00.000Z');
      const summary = await engine.analytics.summary(t, { from: '2026-10-30', to: '2026-11-03' });
      expect(summary).toEqual({
        from: '2026-10-30',
        to: '2026-11-03',
        timezone: ZONE,
        currency: 'USD',
        days: [
          day('2026-10-30', { events: 2, enrolments: 1, issued: 2, points_earned: 50 }),
          day('2026-10-31', { enrolments: 1 }),
          day('2026-11-01', { events: 2, enrolments: 1, issued: 2, points_earned: 20 }),
          day('2026-11-02', { events: 1, issued: 2, redeemed: 1, points_spent: 30 }),
          day('2026-11-03', { events: 1, enrolments: 1, issued: 1, points_expired: 20 }),
        ],
        totals: {
          events: 6,
          enrolments: 4,
          issued: 7,
          redeemed: 1,
          points_earned: 70,
          points_spent: 30,
          points_expired: 20,
        },
        points_liability: 21,
        budgets: [
          {
            id: coffeeBudget.id,
            name: 'Coffee budget',
            unit: 'USD',
            limit: 1000,
            period: 'month',
            hard_cap: true,
            current_period: '2026-11',
            used: 300,
            remaining: 700,
            days: [
              { date: '2026-10-30', amount: 300 },
              { date: '2026-10-31', amount: 0 },
              { date: '2026-11-01', amount: 300 },
              { date: '2026-11-02', amount: -300 },
              { date: '2026-11-03', amount: 300 },
            ],
            // 600 over the range's 5 days: 120 a day; 700 left lasts ceil(5.83) = 6 days from Nov 4.
            projected_exhaustion: '2026-11-10',
          },
          {
            id: welcomeBudget.id,
            name: 'Welcome budget',
            unit: 'USD',
            limit: 300,
            period: 'month',
            hard_cap: true,
            current_period: '2026-11',
            used: 300,
            remaining: 0,
            days: [
              { date: '2026-10-30', amount: 0 },
              { date: '2026-10-31', amount: 0 },
              { date: '2026-11-01', amount: 0 },
              { date: '2026-11-02', amount: 300 },
              { date: '2026-11-03', amount: 0 },
            ],
            // Exhausted: the day of its last charge.
            projected_exhaustion: '2026-11-02',
          },
        ],
        top_rules: [
          { rule_id: expect.any(String), name: 'Coffee on visit', issued: 3 },
          { rule_id: expect.any(String), name: 'Points per dollar', issued: 2 },
          { rule_id: giftRule.id, name: '(deleted rule)', issued: 1 },
        ],
      });

      // One day: the 25-hour Nov 1 alone, and a range whose days are all empty.
      const nov1 = await engine.analytics.summary(t, { from: '2026-11-01', to: '2026-11-01' });
      expect(nov1.days).toEqual([
        day('2026-11-01', { events: 2, enrolments: 1, issued: 2, points_earned: 20 }),
      ]);
      expect(nov1.top_rules.map((r) => [r.name, r.issued])).toEqual([
        ['Coffee on visit', 1],
        ['Points per dollar', 1],
      ]);
      const empty = await engine.analytics.summary(t, { from: '2026-09-01', to: '2026-09-02' });
      expect(empty.days).toEqual([day('2026-09-01'), day('2026-09-02')]);
      expect(empty.top_rules).toEqual([]);
      expect(empty.budgets.map((b) => [b.name, b.projected_exhaustion])).toEqual([
        ['Coffee budget', null],
        ['Welcome budget', '2026-11-02'],
      ]);

      // The other tenant sees only its own figures.
      other.clock.set('2026-11-04T12:00:00.000Z');
      const theirs = await other.engine.analytics.summary(other.tenant.id, {
        from: '2026-10-30',
        to: '2026-11-03',
      });
      expect(theirs.totals).toEqual({
        events: 1,
        enrolments: 1,
        issued: 1,
        redeemed: 0,
        points_earned: 7,
        points_spent: 0,
        points_expired: 0,
      });
      expect(theirs.days[3]).toEqual(
        day('2026-11-02', { events: 1, enrolments: 1, issued: 1, points_earned: 7 }),
      );
      expect(theirs.points_liability).toBe(7);
      expect(theirs.budgets.map((b) => [b.name, b.used, b.days.every((d) => d.amount === 0)])).toEqual([
        ['Other budget', 0, true],
      ]);
      expect(theirs.top_rules.map((r) => [r.name, r.issued])).toEqual([['Other points', 1]]);
    });

    test('analytics: the default range is the 30 days ending today; a reversed or over-366-day range is refused naming to', async () => {
      const { engine, tenant } = await setup(
        getStore(),
        { name: 'Range shop', timezone: ZONE },
        // Nov 2, 02:00 UTC is still Nov 1 in New York.
        '2026-11-02T02:00:00.000Z',
      );
      const t = tenant.id;
      const byDefault = await engine.analytics.summary(t);
      expect([byDefault.from, byDefault.to, byDefault.days.length]).toEqual(['2026-10-03', '2026-11-01', 30]);
      const toOnly = await engine.analytics.summary(t, { to: '2026-03-31' });
      expect([toOnly.from, toOnly.to]).toEqual(['2026-03-02', '2026-03-31']);
      const year = await engine.analytics.summary(t, { from: '2025-11-01', to: '2026-11-01' });
      expect(year.days).toHaveLength(366);
      for (const range of [
        { from: '2026-11-02', to: '2026-11-01' },
        { from: '2025-10-31', to: '2026-11-01' },
      ]) {
        const error = await rejection(engine.analytics.summary(t, range));
        expect(error).toBeInstanceOf(UnprocessableInputError);
        expect(error).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: 'to' }] });
      }
      const malformed = await rejection(engine.analytics.summary(t, { from: '2026-02-30' }));
      expect(malformed).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: 'from' }] });
    });

    test('customer search: phone digits (3 or more), external_ref prefix, name substring, case-insensitive, % and _ literal', async () => {
      const { engine, tenant } = await setup(getStore(), { name: 'Search shop' });
      const t = tenant.id;
      const one = await engine.customers.create(t, {
        phone: '+263771234567',
        name: 'Tariro Moyo',
        external_ref: 'CARD-100',
      });
      const two = await engine.customers.create(t, {
        phone: '+263779999000',
        name: 'Ana 50% off',
        external_ref: 'card_200',
      });
      const three = await engine.customers.create(t, { external_ref: 'X%Y', name: 'Kofi_Mensah' });
      const four = await engine.customers.create(t, {
        phone: '+14155550100',
        name: 'Percy',
        external_ref: 'ABC-1',
      });
      const names = { [one.id]: 'one', [two.id]: 'two', [three.id]: 'three', [four.id]: 'four' };
      const search = async (q: string, filter: Record<string, string> = {}) =>
        (await engine.customers.list(t, { q, ...filter })).items.map((c) => names[c.id]);

      expect(await search('(77) 123-4')).toEqual(['one']);
      expect(await search('555')).toEqual(['four']);
      expect(await search('card')).toEqual(['two', 'one']);
      expect(await search('CARD_')).toEqual(['two']);
      expect(await search('%')).toEqual(['two']);
      expect(await search('_')).toEqual(['three']);
      expect(await search('x%')).toEqual(['three']);
      expect(await search('moyo')).toEqual(['one']);
      expect(await search('12')).toEqual([]);
      expect(await search('\\')).toEqual([]);
      expect(await search('abc')).toEqual(['four']);
      expect(await search('moyo', { status: 'blocked' })).toEqual([]);
      expect(await search('zzz', { phone: '+263771234567' })).toEqual([]);
      expect(await search('TARIRO', { phone: '+263771234567' })).toEqual(['one']);
      const first = await engine.customers.list(t, { q: 'card' }, { limit: 1 });
      expect(first.items.map((c) => names[c.id])).toEqual(['two']);
      const second = await engine.customers.list(
        t,
        { q: 'card' },
        { limit: 1, cursor: first.next_cursor ?? '' },
      );
      expect(second.items.map((c) => names[c.id])).toEqual(['one']);
      expect(second.next_cursor).toBeNull();
    });
  });
}
