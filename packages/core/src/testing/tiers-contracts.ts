/**
 * The tier part of the conformance suite (`tx.tiers` and the engine's tier programme), registered
 * by `describePortContracts` so that every Store runs it: the port's rows and its atomic bucket
 * increments, tenant isolation, rollback, and — through the engine — upgrade at once, downgrade
 * only after the grace period, `customer.tier` in the rule context, and a property that the stored
 * qualifying value equals the value recomputed from the customer's events.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { CustomerTier, TierProgramme } from '../domain/tier.js';
import type { Engine } from '../engine/types.js';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import { at, DAY, HOUR, rejection, tenantRow } from './contract-kit.js';
import { setup, uniqueKey, uniquePhone } from './fixtures.js';
import type { ConformanceTest } from './port-contracts.js';

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A spend programme, Bronze from 0 and Gold from 10,000, over a rolling year with 30 days' grace. */
export function programmeRow(tenantId: string, over: Partial<TierProgramme> = {}): TierProgramme {
  return {
    tenant_id: tenantId,
    measure: 'spend',
    event_types: [],
    window: { rolling: '365d' },
    grace: '30d',
    levels: [
      { name: 'Bronze', threshold: 0 },
      { name: 'Gold', threshold: 10_000 },
    ],
    version: 1,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function tierRow(tenantId: string, over: Partial<CustomerTier> = {}): CustomerTier {
  return {
    tenant_id: tenantId,
    customer_id: newId(),
    tier: 'Gold',
    since: at(),
    qualifying_value: 12_345,
    downgrade_due_at: null,
    programme_version: 1,
    updated_at: at(),
    ...over,
  };
}

/** `YYYY-MM-DD` of `iso` in `timeZone`, by Intl (independent of the engine's own time helpers). */
function localDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(iso));
}

function minusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10);
}

async function tierChanges(engine: Engine, tenantId: string): Promise<Array<Record<string, unknown>>> {
  const page = await engine.outbox.list(tenantId, { limit: 200 });
  // Oldest first, whatever order the store lists in (ids are UUIDv7: ascending in time).
  return page.items
    .filter((e) => e.type === 'customer.tier_changed')
    .sort((x, y) => (x.id < y.id ? -1 : 1))
    .map((e) => e.data);
}

/** Registers the tier contracts of the Store that `getStore` returns. */
export function describeTierContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);
  async function newTenant(): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id)));
    return id;
  }

  describe('tiers', () => {
    test('tiers: put, get, replace and delete one tenant’s programme; another tenant sees none', async () => {
      const a = await newTenant();
      const b = await newTenant();
      expect(await run(a, (tx) => tx.tiers.getProgramme())).toBeNull();
      const first = programmeRow(a);
      await run(a, (tx) => tx.tiers.putProgramme(first));
      expect(await run(a, (tx) => tx.tiers.getProgramme())).toEqual(first);
      expect(await run(b, (tx) => tx.tiers.getProgramme())).toBeNull();
      const second = programmeRow(a, {
        measure: 'visits',
        event_types: ['visit', 'purchase'],
        window: { calendar: 'month' },
        grace: '0d',
        version: 2,
        updated_at: at(HOUR),
      });
      await run(a, (tx) => tx.tiers.putProgramme(second));
      expect(await run(a, (tx) => tx.tiers.getProgramme())).toEqual(second);
      expect(await run(b, (tx) => tx.tiers.deleteProgramme())).toBe(false);
      expect(await run(a, (tx) => tx.tiers.deleteProgramme())).toBe(true);
      expect(await run(a, (tx) => tx.tiers.getProgramme())).toBeNull();
      // A row of another tenant is refused, whatever the store.
      expect(await rejection(run(b, (tx) => tx.tiers.putProgramme(programmeRow(a))))).toBeInstanceOf(Error);
    });

    test('tiers: customer tier rows upsert; due downgrades list the earliest first, bounded, own tenant only', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const plain = tierRow(a);
      const late = tierRow(a, { downgrade_due_at: at(3 * DAY) });
      const early = tierRow(a, { downgrade_due_at: at(DAY), tier: null, qualifying_value: 0 });
      const notYet = tierRow(a, { downgrade_due_at: at(10 * DAY) });
      const foreign = tierRow(b, { downgrade_due_at: at(DAY) });
      await run(a, async (tx) => {
        for (const row of [plain, late, early, notYet]) await tx.tiers.putCustomerTier(row);
      });
      await run(b, (tx) => tx.tiers.putCustomerTier(foreign));
      expect(await run(a, (tx) => tx.tiers.getCustomerTier(plain.customer_id))).toEqual(plain);
      expect(await run(a, (tx) => tx.tiers.getCustomerTier(foreign.customer_id))).toBeNull();
      expect(await run(a, (tx) => tx.tiers.listDowngradesDue(at(5 * DAY), 10))).toEqual([early, late]);
      expect(await run(a, (tx) => tx.tiers.listDowngradesDue(at(5 * DAY), 1))).toEqual([early]);
      expect(await run(a, (tx) => tx.tiers.listDowngradesDue(at(0), 10))).toEqual([]);
      const cleared = { ...late, downgrade_due_at: null, tier: 'Bronze', updated_at: at(HOUR) };
      await run(a, (tx) => tx.tiers.putCustomerTier(cleared));
      expect(await run(a, (tx) => tx.tiers.getCustomerTier(late.customer_id))).toEqual(cleared);
      expect(await run(a, (tx) => tx.tiers.listDowngradesDue(at(5 * DAY), 10))).toEqual([early]);
      expect(await run(b, (tx) => tx.tiers.listDowngradesDue(at(5 * DAY), 10))).toEqual([foreign]);
      expect(await rejection(run(b, (tx) => tx.tiers.putCustomerTier(tierRow(a))))).toBeInstanceOf(Error);
    });

    test('tiers: buckets add up per day and measure, sum from a day over the given measures, per tenant', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const customer = newId();
      await run(a, async (tx) => {
        await tx.tiers.addToBucket(customer, 'spend', '2026-10-30', 500);
        await tx.tiers.addToBucket(customer, 'spend', '2026-10-30', 250);
        await tx.tiers.addToBucket(customer, 'spend', '2026-11-02', 1_000);
        await tx.tiers.addToBucket(customer, 'count:visit', '2026-11-01', 1);
        await tx.tiers.addToBucket(customer, 'count:purchase', '2026-11-02', 1);
        await tx.tiers.addToBucket(newId(), 'spend', '2026-11-02', 99);
      });
      await run(b, (tx) => tx.tiers.addToBucket(customer, 'spend', '2026-11-02', 7));
      await run(a, async (tx) => {
        expect(await tx.tiers.sumBuckets(customer, ['spend'], '2026-01-01')).toBe(1_750);
        expect(await tx.tiers.sumBuckets(customer, ['spend'], '2026-10-30')).toBe(1_750);
        expect(await tx.tiers.sumBuckets(customer, ['spend'], '2026-10-31')).toBe(1_000);
        expect(await tx.tiers.sumBuckets(customer, ['spend'], '2026-11-03')).toBe(0);
        expect(await tx.tiers.sumBuckets(customer, ['count:visit', 'count:purchase'], '2026-11-01')).toBe(2);
        expect(await tx.tiers.sumBuckets(customer, ['count:visit', 'count:visit'], '2026-11-01')).toBe(1);
        expect(await tx.tiers.sumBuckets(customer, [], '2026-01-01')).toBe(0);
        expect(await tx.tiers.sumBuckets(newId(), ['spend'], '2026-01-01')).toBe(0);
      });
      expect(await run(b, (tx) => tx.tiers.sumBuckets(customer, ['spend'], '2026-01-01'))).toBe(7);
    });

    test('tiers: a rolled-back transaction leaves no programme, tier row or bucket behind', async () => {
      const a = await newTenant();
      const row = tierRow(a);
      const failed = await rejection(
        run(a, async (tx) => {
          await tx.tiers.putProgramme(programmeRow(a));
          await tx.tiers.putCustomerTier(row);
          await tx.tiers.addToBucket(row.customer_id, 'spend', '2026-11-02', 5);
          throw new Error('roll back');
        }),
      );
      expect((failed as Error).message).toBe('roll back');
      await run(a, async (tx) => {
        expect(await tx.tiers.getProgramme()).toBeNull();
        expect(await tx.tiers.getCustomerTier(row.customer_id)).toBeNull();
        expect(await tx.tiers.sumBuckets(row.customer_id, ['spend'], '2000-01-01')).toBe(0);
      });
    });

    test('tiers: concurrent increments of one bucket all count', async () => {
      const a = await newTenant();
      const customer = newId();
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          run(a, (tx) => tx.tiers.addToBucket(customer, 'spend', '2026-11-02', i + 1)),
        ),
      );
      expect(await run(a, (tx) => tx.tiers.sumBuckets(customer, ['spend'], '2026-11-02'))).toBe(78);
    });

    test('tiers: engine upgrades at once, downgrades only after the grace period, and a rule on customer.tier issues', async () => {
      const { engine, clock, tenant } = await setup(getStore(), { timezone: 'Africa/Harare' });
      const t = tenant.id;
      await engine.tiers.put(t, {
        measure: 'spend',
        window: { rolling: '30d' },
        grace: '7d',
        levels: [
          { name: 'Silver', threshold: 1_000 },
          { name: 'Gold', threshold: 5_000 },
        ],
      });
      const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
      await engine.rules.create(t, {
        name: 'Gold earns 2x',
        event_types: ['purchase'],
        condition: { '==': [{ var: 'customer.tier' }, 'Gold'] },
        reward_id: points.id,
        quantity: { '*': [2, { floor: [{ '/': [{ var: 'event.amount' }, 100] }] }] },
      });
      const phone = uniquePhone();
      const buy = (amount: number) =>
        engine.ingest(t, {
          idempotency_key: uniqueKey('tier'),
          type: 'purchase',
          customer: { phone },
          data: { amount },
        });

      const first = await buy(800);
      expect(first.issuances).toEqual([]);
      const cid = first.customer_id;
      expect((await engine.tiers.customer(t, cid)).tier).toBeNull();
      await buy(300);
      expect((await engine.tiers.customer(t, cid)).tier).toBe('Silver');
      // The upgrade to Gold happens at once: this very event's rules see customer.tier = "Gold".
      const gold = await buy(4_000);
      expect(gold.issuances.map((i) => i.value)).toEqual([80]);
      const view = await engine.tiers.customer(t, cid);
      expect(view).toMatchObject({
        tier: 'Gold',
        qualifying_value: 5_100,
        downgrade_due_at: null,
        next: null,
      });

      // 31 days later the purchases left the window: below Gold, the grace period starts.
      clock.advance(31 * DAY);
      const below = await buy(100);
      expect(below.issuances.map((i) => i.value)).toEqual([2]);
      const grace = await engine.tiers.customer(t, cid);
      expect(grace.tier).toBe('Gold');
      expect(grace.qualifying_value).toBe(100);
      expect(grace.downgrade_due_at).toBe(new Date(Date.parse(clock.iso()) + 7 * DAY).toISOString());
      expect(await engine.tiers.applyDue(t, clock())).toBe(0);
      clock.advance(6 * DAY);
      expect(await engine.tiers.applyDue(t, clock())).toBe(0);
      expect((await engine.tiers.customer(t, cid)).tier).toBe('Gold');
      clock.advance(DAY);
      expect(await engine.tiers.applyDue(t, clock())).toBe(1);
      expect(await engine.tiers.applyDue(t, clock())).toBe(0);
      expect(await engine.tiers.customer(t, cid)).toMatchObject({ tier: null, downgrade_due_at: null });
      const noLonger = await buy(200);
      expect(noLonger.issuances).toEqual([]);

      const changes = await tierChanges(engine, t);
      expect(changes.map((c) => [c.from, c.to, c.reason])).toEqual([
        [null, 'Silver', 'upgrade'],
        ['Silver', 'Gold', 'upgrade'],
        ['Gold', null, 'downgrade'],
      ]);
      expect(changes[1]).toMatchObject({ customer_id: cid, measure: 'spend', value: 5_100 });
    });

    test('tiers: a recovery during the grace period clears the downgrade; an invalid programme is refused with field paths', async () => {
      const { engine, clock, tenant } = await setup(getStore());
      const t = tenant.id;
      const bad = await rejection(
        engine.tiers.put(t, {
          measure: 'visits',
          window: { rolling: '90d' },
          levels: [
            { name: 'A', threshold: 5 },
            { name: 'a', threshold: 5 },
          ],
        }),
      );
      expect(bad).toMatchObject({ code: 'VALIDATION_ERROR' });
      const paths = ((bad as { details?: { issues?: Array<{ path: string }> } }).details?.issues ?? []).map(
        (i) => i.path,
      );
      expect(paths).toEqual(expect.arrayContaining(['levels.1.name', 'levels.1.threshold', 'event_types']));
      expect(await engine.tiers.get(t)).toBeNull();

      await engine.tiers.put(t, {
        measure: 'visits',
        event_types: ['visit'],
        window: { calendar: 'month' },
        grace: '10d',
        levels: [{ name: 'Regular', threshold: 2 }],
      });
      clock.set('2026-11-20T10:00:00.000Z');
      const phone = uniquePhone();
      const visit = () =>
        engine.ingest(t, { idempotency_key: uniqueKey('v'), type: 'visit', customer: { phone } });
      const cid = (await visit()).customer_id;
      await engine.ingest(t, {
        idempotency_key: uniqueKey('p'),
        type: 'purchase',
        customer: { phone },
        data: { amount: 10 },
      });
      expect((await engine.tiers.customer(t, cid)).tier).toBeNull();
      await visit();
      expect((await engine.tiers.customer(t, cid)).tier).toBe('Regular');
      // A new month: the count restarts, the grace period starts, and two visits recover it.
      clock.set('2026-12-01T10:00:00.000Z');
      const started = await engine.tiers.customer(t, cid);
      expect(started).toMatchObject({
        tier: 'Regular',
        qualifying_value: 0,
        downgrade_due_at: '2026-12-11T10:00:00.000Z',
      });
      await visit();
      await visit();
      expect(await engine.tiers.customer(t, cid)).toMatchObject({
        tier: 'Regular',
        qualifying_value: 2,
        downgrade_due_at: null,
      });
      clock.set('2026-12-20T10:00:00.000Z');
      expect(await engine.tiers.applyDue(t, clock())).toBe(0);
      expect((await engine.tiers.customer(t, cid)).tier).toBe('Regular');
      expect((await tierChanges(engine, t)).length).toBe(1);
    });

    test('tiers: concurrent events of one customer upgrade it once', async () => {
      const { engine, tenant } = await setup(getStore());
      const t = tenant.id;
      await engine.tiers.put(t, {
        measure: 'spend',
        window: { rolling: '365d' },
        levels: [{ name: 'Gold', threshold: 1_000 }],
      });
      const phone = uniquePhone();
      const cid = (
        await engine.ingest(t, { idempotency_key: uniqueKey('c'), type: 'visit', customer: { phone } })
      ).customer_id;
      await Promise.all(
        Array.from({ length: 8 }, () =>
          engine.ingest(t, {
            idempotency_key: uniqueKey('c'),
            type: 'purchase',
            customer: { id: cid },
            data: { amount: 250 },
          }),
        ),
      );
      expect(await engine.tiers.customer(t, cid)).toMatchObject({ tier: 'Gold', qualifying_value: 2_000 });
      expect((await tierChanges(engine, t)).map((c) => c.to)).toEqual(['Gold']);
    });

    test('tiers: the stored qualifying value equals the value recomputed from the customer’s events (property)', async () => {
      const step = fc.record({
        gapHours: fc.integer({ min: 0, max: 72 }),
        backHours: fc.integer({ min: 0, max: 60 }),
        kind: fc.constantFrom('purchase', 'visit', 'signup'),
        amount: fc.integer({ min: 0, max: 5_000 }),
        customer: fc.integer({ min: 0, max: 1 }),
      });
      const config = fc.record({
        measure: fc.constantFrom('spend' as const, 'visits' as const, 'points_earned' as const),
        window: fc.constantFrom({ rolling: '7d' }, { rolling: '1d' }, { calendar: 'month' as const }),
        timezone: fc.constantFrom('UTC', 'America/Mexico_City', 'Asia/Kolkata'),
      });
      await fc.assert(
        fc.asyncProperty(config, fc.array(step, { minLength: 1, maxLength: 14 }), async (cfg, steps) => {
          await breathe();
          const { engine, clock, tenant } = await setup(
            getStore(),
            { timezone: cfg.timezone },
            '2026-10-28T12:00:00.000Z',
          );
          const other = await setup(getStore());
          const t = tenant.id;
          await engine.tiers.put(t, {
            measure: cfg.measure,
            ...(cfg.measure === 'visits' ? { event_types: ['visit', 'signup'] } : {}),
            window: cfg.window,
            levels: [
              { name: 'One', threshold: 1 },
              { name: 'Two', threshold: 3_000 },
            ],
          });
          await other.engine.tiers.put(other.tenant.id, {
            measure: 'spend',
            window: { rolling: '7d' },
            levels: [{ name: 'X', threshold: 1 }],
          });
          const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
          await engine.rules.create(t, {
            name: 'points',
            event_types: ['purchase'],
            reward_id: points.id,
            quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
          });
          const phones = [uniquePhone(), uniquePhone()];
          const seen: Array<{ customer: number; at: string; type: string; amount: number; points: number }> =
            [];
          const ids: string[] = [];
          const oracle = (customer: number, now: string): number => {
            const today = localDate(now, cfg.timezone);
            const from =
              'rolling' in cfg.window
                ? minusDays(today, Number.parseInt(String(cfg.window.rolling), 10) - 1)
                : `${today.slice(0, 8)}01`;
            let sum = 0;
            for (const e of seen) {
              if (e.customer !== customer || localDate(e.at, cfg.timezone) < from) continue;
              if (cfg.measure === 'spend') sum += e.type === 'purchase' ? e.amount : 0;
              else if (cfg.measure === 'visits') sum += e.type === 'visit' || e.type === 'signup' ? 1 : 0;
              else sum += e.points;
            }
            return sum;
          };
          for (const s of steps) {
            clock.advance(s.gapHours * HOUR);
            const occurredAt = new Date(Date.parse(clock.iso()) - s.backHours * HOUR).toISOString();
            const result = await engine.ingest(t, {
              idempotency_key: uniqueKey('prop'),
              type: s.kind,
              occurred_at: occurredAt,
              customer: { phone: phones[s.customer] as string },
              ...(s.kind === 'purchase' ? { data: { amount: s.amount } } : {}),
            });
            await other.engine.ingest(other.tenant.id, {
              idempotency_key: uniqueKey('noise'),
              type: 'purchase',
              customer: { phone: phones[s.customer] as string },
              data: { amount: 9_999 },
            });
            ids[s.customer] = result.customer_id;
            const earned = result.issuances.reduce((n, i) => n + i.value, 0);
            seen.push({
              customer: s.customer,
              at: occurredAt,
              type: s.kind,
              amount: s.amount,
              points: earned,
            });
            const row = await run(t, (tx) => tx.tiers.getCustomerTier(result.customer_id));
            expect(row?.qualifying_value).toBe(oracle(s.customer, clock.iso()));
          }
          // Read later, as the window moves on: the value is recomputed, never drifted.
          clock.advance(5 * DAY);
          for (const [customer, id] of ids.entries()) {
            if (id === undefined) continue;
            const view = await engine.tiers.customer(t, id);
            expect(view.qualifying_value).toBe(oracle(customer, clock.iso()));
          }
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  });
}
