import { describe, expect } from 'vitest';
import { MAX_AMOUNT } from '../domain/common.js';
import { createEngine } from '../engine/create-engine.js';
import type { IngestResult } from '../engine/types.js';
import { LaasError, StateConflictError } from '../errors.js';
import { newId } from '../ids.js';
import type { Store } from '../ports/store.js';
import { DAY, setup, uniqueKey, uniquePhone } from './fixtures.js';
import { expectInvariants } from './invariants.js';
import type { ConformanceTest } from './port-contracts.js';

async function rejection(promise: Promise<unknown>): Promise<LaasError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LaasError) return error;
    throw error;
  }
  throw new Error('expected the operation to be refused');
}

function outcomes(results: IngestResult[], ruleName: string): string[] {
  return results.map((r) => r.decisions.find((d) => d.rule_name === ruleName)?.outcome ?? 'none');
}

/** The eight scenarios of the core issue, end to end through the engine, on any Store. */
export function describeScenarios(getStore: () => Store, test: ConformanceTest): void {
  describe('scenarios', () => {
    test('1. stamp card: every 5th visit earns a free coffee, and the decisions say why', async () => {
      const { engine, clock, tenant } = await setup(getStore());
      const coffee = await engine.rewards.create(tenant.id, { name: 'Free coffee', type: 'item', cost: 250 });
      await engine.rules.create(tenant.id, {
        name: 'Stamp card',
        event_types: ['visit'],
        condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 5] }, 0] },
        reward_id: coffee.id,
      });
      const phone = uniquePhone();
      const results: IngestResult[] = [];
      for (let visit = 1; visit <= 15; visit++) {
        clock.advance(DAY);
        results.push(
          await engine.ingest(tenant.id, {
            idempotency_key: uniqueKey(),
            type: 'visit',
            customer: { phone },
          }),
        );
      }
      const issuedOn = results.flatMap((r, i) => (r.decisions[0]?.outcome === 'issued' ? [i + 1] : []));
      expect(issuedOn).toEqual([5, 10, 15]);
      expect(results[0]?.enrolled).toBe(true);
      expect(results[3]?.decisions[0]).toMatchObject({
        outcome: 'not_matched',
        reason: 'The condition was false',
      });
      expect(results[4]?.decisions[0]?.reason).toContain('Free coffee');
      const issuances = await engine.issuances.list(tenant.id, { customer_id: results[0]!.customer_id });
      expect(issuances.items).toHaveLength(3);
      expect(issuances.items.every((i) => i.state === 'issued')).toBe(true);
    });

    test('2. points: 1 point per currency unit, expiring after 12 months, spent earliest-expiring first', async () => {
      const { engine, clock, tenant } = await setup(
        getStore(),
        { settings: { points_expiry: '365d' } },
        '2026-01-01T10:00:00.000Z',
      );
      const points = await engine.rewards.create(tenant.id, { name: 'Points', type: 'points', value: 1 });
      const mug = await engine.rewards.create(tenant.id, { name: 'Mug', type: 'item', points_price: 100 });
      await engine.rules.create(tenant.id, {
        name: 'Points per dollar',
        event_types: ['purchase'],
        reward_id: points.id,
        quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
      });
      const phone = uniquePhone();
      const buy = async (amount: number, at: string) => {
        clock.set(at);
        return engine.ingest(tenant.id, {
          idempotency_key: uniqueKey(),
          type: 'purchase',
          customer: { phone },
          data: { amount },
        });
      };
      const first = await buy(4550, '2026-01-01T10:00:00.000Z');
      await buy(3000, '2026-02-01T10:00:00.000Z');
      await buy(5000, '2026-03-01T10:00:00.000Z');
      const customerId = first.customer_id;
      expect((await engine.points.balance(tenant.id, customerId)).balance).toBe(125);

      clock.set('2026-04-01T10:00:00.000Z');
      const mugIssuance = await engine.redeemPoints(tenant.id, customerId, { reward_id: mug.id });
      expect(mugIssuance.state).toBe('issued');
      const { balance, lots } = await engine.points.balance(tenant.id, customerId);
      expect(balance).toBe(25);
      // January's 45 and February's 30 went first; March's lot keeps 25.
      expect(lots.map((l) => [l.amount, l.remaining])).toEqual([[50, 25]]);
      const history = await engine.points.history(tenant.id, customerId);
      expect(
        history.items
          .filter((e) => e.kind === 'redeem')
          .map((e) => e.amount)
          .sort(),
      ).toEqual([-25, -30, -45]);

      const refused = await rejection(engine.redeemPoints(tenant.id, customerId, { reward_id: mug.id }));
      expect(refused.code).toBe('STATE_CONFLICT');
      expect((await engine.points.balance(tenant.id, customerId)).balance).toBe(25);

      // Twelve months after March's purchase its remaining 25 points expire; never below zero.
      await engine.expireDue(tenant.id, new Date('2027-02-28T10:00:00.000Z'));
      expect((await engine.points.balance(tenant.id, customerId)).balance).toBe(25);
      const expired = await engine.expireDue(tenant.id, new Date('2027-03-02T10:00:00.000Z'));
      expect(expired.points_expired).toBe(25);
      expect((await engine.points.balance(tenant.id, customerId)).balance).toBe(0);
      const all = await engine.points.history(tenant.id, customerId, { limit: 200 });
      expect(all.items.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
    });

    test('3. hard-capped monthly budget: the 21st reward is budget_exhausted, next month works, cancelling frees room, one soft-cap alert per period', async () => {
      const { engine, clock, tenant } = await setup(getStore(), {}, '2026-11-02T10:00:00.000Z');
      const budget = await engine.budgets.create(tenant.id, {
        name: 'November treats',
        limit: 10_000,
        period: 'month',
        hard_cap: true,
        soft_cap_ratio: 0.8,
      });
      const treat = await engine.rewards.create(tenant.id, { name: 'Cake', type: 'item', cost: 500 });
      await engine.rules.create(tenant.id, {
        name: 'Cake on every purchase',
        event_types: ['purchase'],
        reward_id: treat.id,
        budget_id: budget.id,
      });
      const buy = async (at: string) => {
        clock.set(at);
        return engine.ingest(tenant.id, {
          idempotency_key: uniqueKey(),
          type: 'purchase',
          customer: { phone: uniquePhone() },
          data: { amount: 1000 },
          occurred_at: at,
        });
      };
      const november: IngestResult[] = [];
      for (let i = 0; i < 21; i++)
        november.push(await buy(`2026-11-${String(3 + (i % 20)).padStart(2, '0')}T12:00:00.000Z`));
      const novemberOutcomes = outcomes(november, 'Cake on every purchase');
      expect(novemberOutcomes.slice(0, 20).every((o) => o === 'issued')).toBe(true);
      expect(novemberOutcomes[20]).toBe('budget_exhausted');
      expect(november[20]?.decisions[0]?.reason).toContain('November treats');
      let periods = await engine.budgets.periods(tenant.id, budget.id);
      expect(periods.find((p) => p.period === '2026-11')).toMatchObject({
        utilized: 10_000,
        reserved: 0,
        spent: 0,
      });

      const december = await buy('2026-12-01T12:00:00.000Z');
      expect(december.decisions[0]?.outcome).toBe('issued');

      await engine.cancel(tenant.id, november[0]!.issuance_ids[0]!, 'refunded');
      const again = await buy('2026-11-28T12:00:00.000Z');
      expect(again.decisions[0]?.outcome).toBe('issued');
      periods = await engine.budgets.periods(tenant.id, budget.id);
      expect(periods.find((p) => p.period === '2026-11')).toMatchObject({ utilized: 10_000 });

      const outbox = await engine.outbox.list(tenant.id, { limit: 200 });
      const thresholds = outbox.items.filter((e) => e.type === 'budget.threshold');
      expect(thresholds).toHaveLength(1);
      expect(thresholds[0]?.data).toMatchObject({ budget_id: budget.id, period: '2026-11' });
    });

    test('4. birthday rule with a 7-day cooldown and a per-customer cap of 2 per month', async () => {
      const { engine, clock, tenant } = await setup(
        getStore(),
        { timezone: 'Africa/Harare' },
        '2026-11-01T08:00:00.000Z',
      );
      const treat = await engine.rewards.create(tenant.id, { name: 'Birthday cupcake', type: 'item' });
      // Matches in the customer's birthday month (a week-long window could not show both limits:
      // a 7-day cooldown allows at most one reward per week).
      await engine.rules.create(tenant.id, {
        name: 'Birthday month',
        event_types: ['visit'],
        condition: {
          '==': [{ substr: [{ var: 'customer.birthday' }, 5, 2] }, { substr: [{ var: 'now.date' }, 5, 2] }],
        },
        reward_id: treat.id,
        cooldown: '7d',
        caps: [{ scope: 'customer', max: 2, window: 'month' }],
      });
      const phone = uniquePhone();
      const customer = await engine.customers.create(tenant.id, { phone, birthday: '1990-11-20' });
      const visit = async (at: string) => {
        clock.set(at);
        const r = await engine.ingest(tenant.id, {
          idempotency_key: uniqueKey(),
          type: 'visit',
          customer: { id: customer.id },
        });
        return r.decisions[0]!;
      };
      expect((await visit('2026-11-01T08:00:00.000Z')).outcome).toBe('issued');
      const cooling = await visit('2026-11-05T08:00:00.000Z');
      expect(cooling.outcome).toBe('cooldown');
      expect(cooling.reason).toContain('7d');
      expect((await visit('2026-11-08T08:00:00.000Z')).outcome).toBe('issued');
      const capped = await visit('2026-11-20T08:00:00.000Z');
      expect(capped.outcome).toBe('cap_reached');
      expect(capped.reason).toContain('2 per month');
      expect((await visit('2026-12-01T08:00:00.000Z')).outcome).toBe('not_matched');
    });

    test('5. a voucher with 3 codes: the 4th is codes_exhausted and no code is handed out twice', async () => {
      const { engine, clock, tenant } = await setup(getStore());
      const voucher = await engine.rewards.create(tenant.id, { name: '10% off', type: 'voucher', value: 10 });
      const upload = await engine.rewards.uploadCodes(tenant.id, voucher.id, {
        codes: ['AAA-1', 'BBB-2', 'CCC-3'],
      });
      expect(upload).toEqual({ added: 3, duplicates: [] });
      await engine.rules.create(tenant.id, {
        name: 'Voucher per visit',
        event_types: ['visit'],
        reward_id: voucher.id,
      });
      const results: IngestResult[] = [];
      for (let i = 0; i < 4; i++) {
        clock.advance(60_000);
        results.push(
          await engine.ingest(tenant.id, {
            idempotency_key: uniqueKey(),
            type: 'visit',
            customer: { phone: uniquePhone() },
          }),
        );
      }
      expect(outcomes(results, 'Voucher per visit')).toEqual([
        'issued',
        'issued',
        'issued',
        'codes_exhausted',
      ]);
      const codes = results.flatMap((r) => r.issuances.map((i) => i.code));
      expect(new Set(codes).size).toBe(3);
      expect(codes.sort()).toEqual(['AAA-1', 'BBB-2', 'CCC-3']);
      expect(await engine.rewards.codeCounts(tenant.id, voucher.id)).toEqual({ available: 0, used: 3 });
    });

    test('6. replaying an idempotency key returns the same outcome; another payload with it is refused', async () => {
      const { engine, tenant } = await setup(getStore());
      const points = await engine.rewards.create(tenant.id, { name: 'Points', type: 'points', value: 1 });
      await engine.rules.create(tenant.id, {
        name: 'Points',
        event_types: ['purchase'],
        reward_id: points.id,
        quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
      });
      const event = {
        idempotency_key: uniqueKey(),
        type: 'purchase',
        customer: { phone: uniquePhone() },
        data: { amount: 2500 },
      };
      const first = await engine.ingest(tenant.id, event);
      const again = await engine.ingest(tenant.id, structuredClone(event));
      expect(again.replayed).toBe(true);
      expect(first.replayed).toBe(false);
      const { replayed: _a, ...firstOutcome } = first;
      const { replayed: _b, ...againOutcome } = again;
      expect(againOutcome).toEqual(firstOutcome);
      expect((await engine.points.balance(tenant.id, first.customer_id)).balance).toBe(25);
      expect((await engine.events.list(tenant.id, { customer_id: first.customer_id })).items).toHaveLength(1);

      const reused = await rejection(engine.ingest(tenant.id, { ...event, data: { amount: 9900 } }));
      expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(reused.httpStatus).toBe(422);
      expect((await engine.points.balance(tenant.id, first.customer_id)).balance).toBe(25);
    });

    test('7. redeeming twice is a STATE_CONFLICT, and an expired reward cannot be redeemed', async () => {
      const { engine, clock, tenant } = await setup(getStore());
      const coupon = await engine.rewards.create(tenant.id, {
        name: '5 off',
        type: 'discount_amount',
        value: 500,
        validity: '1d',
      });
      await engine.rules.create(tenant.id, { name: 'Coupon', event_types: ['visit'], reward_id: coupon.id });
      const ingestOne = async () =>
        (
          await engine.ingest(tenant.id, {
            idempotency_key: uniqueKey(),
            type: 'visit',
            customer: { phone: uniquePhone() },
          })
        ).issuances[0]!;
      const first = await ingestOne();
      const redeemed = await engine.redeem(tenant.id, { issuance_id: first.id });
      expect(redeemed.state).toBe('redeemed');
      const twice = await rejection(engine.redeem(tenant.id, { issuance_id: first.id }));
      expect(twice.code).toBe('STATE_CONFLICT');
      expect(twice.details).toMatchObject({ state: 'redeemed' });

      const second = await ingestOne();
      clock.advance(2 * DAY);
      const late = await rejection(engine.redeem(tenant.id, { issuance_id: second.id }));
      expect(late.code).toBe('STATE_CONFLICT');
      expect(late.message).toContain('expired');
      expect((await engine.expireDue(tenant.id)).expired).toBe(1);
      expect((await engine.issuances.get(tenant.id, second.id)).state).toBe('expired');
      const afterExpiry = await rejection(engine.redeem(tenant.id, { issuance_id: second.id }));
      expect(afterExpiry.details).toMatchObject({ state: 'expired' });
    });

    test('8. a manual reward left reserved past its deadline is cancelled by expireDue and its budget released', async () => {
      const { engine, clock, tenant } = await setup(getStore(), {}, '2026-11-10T10:00:00.000Z');
      const budget = await engine.budgets.create(tenant.id, {
        name: 'Hampers',
        limit: 5000,
        period: 'month',
      });
      const hamper = await engine.rewards.create(tenant.id, {
        name: 'Hamper',
        type: 'item',
        cost: 2000,
        issue_mode: 'manual',
        reservation_ttl: '2d',
      });
      await engine.rules.create(tenant.id, {
        name: 'Big spender',
        event_types: ['purchase'],
        reward_id: hamper.id,
        budget_id: budget.id,
      });
      const result = await engine.ingest(tenant.id, {
        idempotency_key: uniqueKey(),
        type: 'purchase',
        customer: { phone: uniquePhone() },
        data: { amount: 90_000 },
      });
      expect(result.decisions[0]?.outcome).toBe('reserved');
      const id = result.issuance_ids[0]!;
      expect((await engine.budgets.periods(tenant.id, budget.id))[0]).toMatchObject({
        reserved: 2000,
        utilized: 0,
      });

      clock.advance(DAY);
      expect((await engine.expireDue(tenant.id)).cancelled).toBe(0);
      clock.advance(2 * DAY);
      expect((await engine.expireDue(tenant.id)).cancelled).toBe(1);
      const cancelled = await engine.issuances.get(tenant.id, id);
      expect(cancelled).toMatchObject({ state: 'cancelled', cancel_reason: 'reservation deadline passed' });
      expect((await engine.budgets.periods(tenant.id, budget.id))[0]).toMatchObject({
        reserved: 0,
        utilized: 0,
        spent: 0,
      });
      const ledger = await engine.budgets.ledger(tenant.id, budget.id);
      expect(ledger.items.map((e) => e.kind).sort()).toEqual(['release', 'reserve']);
      const issued = await rejection(engine.issueReserved(tenant.id, id));
      expect(issued.code).toBe('STATE_CONFLICT');
    });

    test('two clocks: occurred_at is bounded, and a budget is charged to the period the money is committed in', async () => {
      // June 3rd: a till sending May, next January, 2199 or 1970 must not find a fresh budget period.
      const { engine, tenant } = await setup(getStore(), {}, '2026-06-03T10:00:00.000Z');
      const budget = await engine.budgets.create(tenant.id, {
        name: 'Monthly',
        limit: 500,
        period: 'month',
        hard_cap: true,
      });
      const cake = await engine.rewards.create(tenant.id, { name: 'Cake', type: 'item', cost: 500 });
      await engine.rules.create(tenant.id, {
        name: 'Cake',
        event_types: ['purchase'],
        reward_id: cake.id,
        budget_id: budget.id,
      });
      const purchase = (occurred_at?: string) => ({
        idempotency_key: uniqueKey(),
        type: 'purchase',
        customer: { phone: uniquePhone() },
        data: { amount: 1000 },
        ...(occurred_at === undefined ? {} : { occurred_at }),
      });

      const first = await engine.ingest(tenant.id, purchase());
      expect(outcomes([first], 'Cake')).toEqual(['issued']);
      expect(first.issuances[0]?.budget_period).toBe('2026-06');

      for (const when of ['2027-01-15T10:00:00Z', '2199-03-01T00:00:00Z', '2026-06-03T10:06:00Z']) {
        const refused = await rejection(engine.ingest(tenant.id, purchase(when)));
        expect(refused.code).toBe('VALIDATION_ERROR');
        expect(refused.httpStatus).toBe(422);
        expect(refused.details?.issues?.[0]?.path).toBe('occurred_at');
      }
      for (const when of ['1970-01-01T00:00:00Z', '2023-06-01T00:00:00Z', '2026-05-03T09:59:00Z']) {
        const refused = await rejection(engine.ingest(tenant.id, purchase(when)));
        expect(refused.httpStatus).toBe(422);
        expect(refused.message).toContain('backdate_limit');
      }
      // Within the window: accepted, its stats dated in May, its money charged to June (full).
      const skewed = await engine.ingest(tenant.id, purchase('2026-06-03T10:04:00Z'));
      expect(outcomes([skewed], 'Cake')).toEqual(['budget_exhausted']);
      const may = await engine.ingest(tenant.id, purchase('2026-05-25T12:00:00Z'));
      expect(outcomes([may], 'Cake')).toEqual(['budget_exhausted']);

      // Importing history: with no limit, 1970 is accepted, and still charged to June.
      await engine.tenants.update(tenant.id, { settings: { backdate_limit: null } });
      const old = await engine.ingest(tenant.id, purchase('1970-01-01T00:00:00Z'));
      expect(outcomes([old], 'Cake')).toEqual(['budget_exhausted']);
      const periods = await engine.budgets.periods(tenant.id, budget.id);
      expect(periods.map((p) => [p.period, p.reserved + p.utilized + p.spent])).toEqual([['2026-06', 500]]);
    });

    test('one maximum: figures past it are refused at input, an error decision at ingest, never a store error', async () => {
      const { engine, tenant } = await setup(getStore());
      const points = await engine.rewards.create(tenant.id, {
        name: 'Points',
        type: 'points',
        value: 1_000_000_000,
      });
      const coffee = await engine.rewards.create(tenant.id, { name: 'Coffee', type: 'item', cost: 100 });
      // 1. At input: a literal quantity, an amount, a limit, a top-up past 10^12.
      const literal = await rejection(
        engine.rules.create(tenant.id, {
          name: 'Huge',
          event_types: ['purchase'],
          reward_id: coffee.id,
          quantity: 1e20,
        }),
      );
      expect(literal.details?.issues?.[0]?.path).toBe('quantity');
      expect(literal.httpStatus).toBe(422);
      const amount = await rejection(
        engine.ingest(tenant.id, {
          idempotency_key: uniqueKey(),
          type: 'purchase',
          customer: { phone: uniquePhone() },
          data: { amount: 2 ** 53 - 1 },
        }),
      );
      expect(amount.details?.issues?.[0]?.path).toBe('data.amount');
      const limit = await rejection(
        engine.budgets.create(tenant.id, { name: 'B', limit: 2 ** 53 - 1, period: 'none' }),
      );
      expect(limit.details?.issues?.[0]?.path).toBe('limit');
      const budget = await engine.budgets.create(tenant.id, {
        name: 'B',
        limit: MAX_AMOUNT - 10,
        period: 'none',
      });
      const topUp = await rejection(engine.topUp(tenant.id, budget.id, { amount: 2 ** 53 - 1 }));
      expect(topUp.details?.issues?.[0]?.path).toBe('amount');
      const pastMax = await rejection(engine.topUp(tenant.id, budget.id, { amount: 100 }));
      expect(pastMax.httpStatus).toBe(422);

      // 2. At ingest: a computed quantity worth more than the maximum is that rule's `error`;
      // the event and the other rules' rewards commit.
      await engine.rules.create(tenant.id, {
        name: 'Points per cent',
        event_types: ['purchase'],
        reward_id: points.id,
        quantity: { var: 'event.amount' },
      });
      await engine.rules.create(tenant.id, {
        name: 'Coffee',
        event_types: ['purchase'],
        reward_id: coffee.id,
      });
      const phone = uniquePhone();
      const result = await engine.ingest(tenant.id, {
        idempotency_key: uniqueKey(),
        type: 'purchase',
        customer: { phone },
        data: { amount: MAX_AMOUNT },
      });
      expect(outcomes([result], 'Points per cent')).toEqual(['error']);
      expect(result.decisions.find((d) => d.rule_name === 'Points per cent')?.reason).toContain('maximum');
      expect(outcomes([result], 'Coffee')).toEqual(['issued']);

      // 3. A customer's total past the maximum refuses that event, and changes nothing.
      const refused = await rejection(
        engine.ingest(tenant.id, {
          idempotency_key: uniqueKey(),
          type: 'purchase',
          customer: { phone },
          data: { amount: 1 },
        }),
      );
      expect(refused.httpStatus).toBe(422);
      expect(refused.details?.issues?.[0]?.path).toBe('data.amount');
      const customer = await engine.customers.get(tenant.id, result.customer_id);
      expect(customer.stats.total_spend).toBe(MAX_AMOUNT);
    });

    test('a new budget limit applies to the current period too, keeps its top-ups, and never goes below what is committed', async () => {
      const { engine, tenant } = await setup(getStore());
      const budget = await engine.budgets.create(tenant.id, {
        name: 'Monthly',
        limit: 1000,
        period: 'month',
        hard_cap: true,
      });
      const cake = await engine.rewards.create(tenant.id, { name: 'Cake', type: 'item', cost: 600 });
      await engine.rules.create(tenant.id, {
        name: 'Cake',
        event_types: ['visit'],
        reward_id: cake.id,
        budget_id: budget.id,
      });
      const visit = () =>
        engine.ingest(tenant.id, {
          idempotency_key: uniqueKey(),
          type: 'visit',
          customer: { phone: uniquePhone() },
        });
      expect(outcomes([await visit()], 'Cake')).toEqual(['issued']);
      expect(outcomes([await visit()], 'Cake')).toEqual(['budget_exhausted']);
      await engine.topUp(tenant.id, budget.id, { amount: 100 });
      await engine.budgets.update(tenant.id, budget.id, { limit: 1200 });
      const [period] = await engine.budgets.periods(tenant.id, budget.id);
      expect(period?.limit).toBe(1300);
      expect(outcomes([await visit()], 'Cake')).toEqual(['issued']);
      const refused = await rejection(engine.budgets.update(tenant.id, budget.id, { limit: 500 }));
      expect(refused.code).toBe('STATE_CONFLICT');
      expect((await engine.budgets.get(tenant.id, budget.id)).limit).toBe(1200);
      expect((await engine.budgets.periods(tenant.id, budget.id))[0]?.limit).toBe(1300);
      await expectInvariants(engine, tenant.id, tenant.timezone);
    });

    test('a refused reward gives back its global-cap use and its voucher code, every time', async () => {
      const { engine, tenant } = await setup(getStore());
      const t = tenant.id;
      const budget = await engine.budgets.create(t, {
        name: 'Tiny',
        limit: 500,
        period: 'month',
        hard_cap: true,
      });
      const voucher = await engine.rewards.create(t, {
        name: 'Voucher',
        type: 'voucher',
        value: 5,
        cost: 500,
      });
      await engine.rewards.uploadCodes(t, voucher.id, { codes: ['C1', 'C2', 'C3'] });
      await engine.rules.create(t, {
        name: 'voucher',
        event_types: ['visit'],
        reward_id: voucher.id,
        budget_id: budget.id,
        caps: [{ scope: 'global', max: 3, window: 'month' }],
      });
      // A rule whose reward is worth more than the maximum: an 'error' decision, after the cap and
      // pool it would claim from were already looked at.
      const bulk = await engine.rewards.create(t, { name: 'Bulk', type: 'voucher', value: 1, cost: 2 });
      await engine.rewards.uploadCodes(t, bulk.id, { codes: ['B1'] });
      await engine.rules.create(t, {
        name: 'bulk',
        event_types: ['bulk'],
        reward_id: bulk.id,
        quantity: { var: 'event.n' },
        caps: [{ scope: 'global', max: 1, window: 'lifetime' }],
      });
      const send = async (type: string, data: Record<string, unknown> = {}) => {
        const r = await engine.ingest(t, {
          idempotency_key: uniqueKey(),
          type,
          customer: { phone: uniquePhone() },
          data,
        });
        return r.decisions[0]?.outcome;
      };
      expect([await send('visit'), await send('visit'), await send('visit')]).toEqual([
        'issued',
        'budget_exhausted',
        'budget_exhausted',
      ]);
      expect(await engine.rewards.codeCounts(t, voucher.id)).toMatchObject({ available: 2, used: 1 });
      await engine.topUp(t, budget.id, { amount: 1000 });
      // The two refusals took nothing: the cap of 3 and the pool of 3 have room for two more.
      expect([await send('visit'), await send('visit'), await send('visit')]).toEqual([
        'issued',
        'issued',
        'cap_reached',
      ]);
      expect(await engine.rewards.codeCounts(t, voucher.id)).toMatchObject({ available: 0, used: 3 });

      expect(await send('bulk', { n: MAX_AMOUNT })).toBe('error');
      expect(await send('bulk', { n: 1 })).toBe('issued');
      expect(await engine.rewards.codeCounts(t, bulk.id)).toMatchObject({ available: 0, used: 1 });
      await expectInvariants(engine, t, tenant.timezone);
    });

    test('redeem, cancel and expiry racing on one issuance: exactly one wins, the others are 409 naming the state', async () => {
      const { engine, clock, tenant } = await setup(getStore());
      const t = tenant.id;
      const budget = await engine.budgets.create(t, {
        name: 'Coffee',
        limit: 100_000,
        period: 'month',
        hard_cap: true,
      });
      const coffee = await engine.rewards.create(t, {
        name: 'Coffee',
        type: 'item',
        cost: 100,
        validity: '1d',
      });
      await engine.rules.create(t, {
        name: 'coffee',
        event_types: ['visit'],
        reward_id: coffee.id,
        budget_id: budget.id,
      });
      const winners: string[] = [];
      for (let round = 0; round < 12; round++) {
        const earned = await engine.ingest(t, {
          idempotency_key: uniqueKey(),
          type: 'visit',
          customer: { phone: uniquePhone() },
        });
        const id = earned.issuance_ids[0]!;
        // Every other round the reward is past its expiry, so the expiry run has it to take too.
        const pastExpiry = round % 2 === 1;
        if (pastExpiry) clock.advance(DAY + 1000);
        const racers = [
          ['redeem', () => engine.redeem(t, { issuance_id: id })],
          ['cancel', () => engine.cancel(t, id, 'race')],
          ['expire', () => engine.expireDue(t)],
        ] as const;
        // Started in a different order each round: stores that run one transaction at a time
        // serve them in the order they were started.
        const order = [0, 1, 2].map((i) => racers[(i + round) % 3]!);
        const settled = await Promise.allSettled(order.map(([, run]) => run()));
        const final = await engine.issuances.get(t, id);
        const won: string[] = [];
        for (const [index, [name]] of order.entries()) {
          const result = settled[index]!;
          if (name === 'expire') {
            expect(result.status).toBe('fulfilled');
            if (result.status === 'fulfilled' && (result.value as { expired: number }).expired > 0)
              won.push(name);
            continue;
          }
          if (result.status === 'fulfilled') {
            won.push(name);
            continue;
          }
          const error = result.reason as LaasError;
          expect(error, `${name} in round ${round}`).toBeInstanceOf(StateConflictError);
          expect(error.httpStatus).toBe(409);
          // A redemption refused for its date before the expiry run wrote it says "expired".
          const named = (error.details as { state?: string }).state;
          const truthful = [final.state, ...(name === 'redeem' && pastExpiry ? ['expired'] : [])];
          expect(truthful, `${name} lost to ${final.state}`).toContain(named);
        }
        expect(won, `round ${round}: ${final.state}`).toHaveLength(1);
        const expected = { redeem: 'redeemed', cancel: 'cancelled', expire: 'expired' } as const;
        expect(final.state).toBe(expected[won[0] as keyof typeof expected]);
        if (pastExpiry) expect(won[0]).not.toBe('redeem');
        winners.push(won[0]!);
      }
      // Budget counters follow each winner (invariants 1 and 2), one outbox row per transition (8).
      const s = await expectInvariants(engine, t, tenant.timezone);
      const transitions = ['reward.redeemed', 'reward.cancelled', 'reward.expired'];
      expect(s.outbox.filter((e) => transitions.includes(e.type))).toHaveLength(12);
      expect(new Set(winners).size).toBeGreaterThan(1);
    });

    test('idempotent requests store their response with their effect, in one transaction', async () => {
      const { engine, tenant } = await setup(getStore());
      const phone = uniquePhone();
      const create = () =>
        engine.idempotent(tenant.id, { key: 'create-1', fingerprint: 'f1' }, async () => ({
          status: 201,
          body: await engine.customers.create(tenant.id, { phone }),
        }));
      const results = await Promise.all([create(), create(), create()]);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect((await engine.customers.list(tenant.id)).items).toHaveLength(1);

      const reused = await rejection(
        engine.idempotent(tenant.id, { key: 'create-1', fingerprint: 'other' }, async () => ({
          status: 201,
          body: null,
        })),
      );
      expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');

      // A request that fails stores nothing (its effect is rolled back with it) and may be retried.
      const failed = await rejection(
        engine.idempotent(tenant.id, { key: 'create-2', fingerprint: 'f2' }, async () => {
          await engine.customers.create(tenant.id, { phone: uniquePhone() });
          return { status: 201, body: await engine.customers.create(tenant.id, { phone }) };
        }),
      );
      expect(failed.code).toBe('STATE_CONFLICT');
      expect((await engine.customers.list(tenant.id)).items).toHaveLength(1);
      const retried = await engine.idempotent(
        tenant.id,
        { key: 'create-2', fingerprint: 'f2' },
        async () => ({
          status: 201,
          body: 'ok',
        }),
      );
      expect(retried).toEqual({ status: 201, body: 'ok', replayed: false });
    });

    test('engine.transaction: engine calls inside join it; a throw rolls them back too', async () => {
      const { engine, tenant } = await setup(getStore());
      const phone = uniquePhone();
      const joined = await engine.transaction(tenant.id, async (tx) => {
        const customer = await engine.customers.create(tenant.id, { phone });
        // The same transaction sees the engine's uncommitted write.
        expect((await tx.customers.get(customer.id))?.phone).toBe(phone);
        await tx.outbox.append({
          id: newId(),
          tenant_id: tenant.id,
          type: 'customer.enrolled',
          data: { customer_id: customer.id, marker: 'joined' },
          created_at: new Date().toISOString(),
        });
        return customer;
      });
      expect((await engine.customers.get(tenant.id, joined.id)).phone).toBe(phone);

      const other = uniquePhone();
      const failed = await rejection(
        engine.transaction(tenant.id, async (tx) => {
          const customer = await engine.customers.create(tenant.id, { phone: other });
          await tx.outbox.append({
            id: newId(),
            tenant_id: tenant.id,
            type: 'customer.enrolled',
            data: { customer_id: customer.id, marker: 'rolled back' },
            created_at: new Date().toISOString(),
          });
          throw new StateConflictError('changed my mind');
        }),
      );
      expect(failed.code).toBe('STATE_CONFLICT');
      const customers = (await engine.customers.list(tenant.id)).items;
      expect(customers.map((c) => c.phone)).toEqual([phone]);
      const markers = (await engine.outbox.list(tenant.id)).items.map((e) => e.data.marker);
      expect(markers).toContain('joined');
      expect(markers).not.toContain('rolled back');
      await expect(engine.transaction(tenant.id, () => engine.customers.list(newId()))).rejects.toThrow(
        /two tenants/,
      );
    });

    test('a rule changed by another engine (another process) applies to the next event', async () => {
      const { engine, tenant } = await setup(getStore());
      const other = createEngine({ store: getStore() });
      const coffee = await engine.rewards.create(tenant.id, { name: 'Coffee', type: 'item' });
      const rule = await engine.rules.create(tenant.id, {
        name: 'Every visit',
        event_types: ['visit'],
        reward_id: coffee.id,
      });
      const visit = async () =>
        (
          await engine.ingest(tenant.id, {
            idempotency_key: uniqueKey(),
            type: 'visit',
            customer: { phone: uniquePhone() },
          })
        ).decisions;
      expect((await visit())[0]?.outcome).toBe('issued');
      await other.rules.update(tenant.id, rule.id, { active: false });
      expect(await visit()).toEqual([]);
      await other.rules.update(tenant.id, rule.id, { active: true, condition: false });
      expect((await visit())[0]?.outcome).toBe('not_matched');
    });
  });
}
