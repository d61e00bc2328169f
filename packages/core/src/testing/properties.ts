import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { IngestEventInput } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import type { RewardType } from '../domain/reward.js';
import type { Tenant } from '../domain/tenant.js';
import type { Engine } from '../engine/types.js';
import { LaasError } from '../errors.js';
import type { Store } from '../ports/store.js';
import { setup, type TestClock, uniqueKey, uniquePhone } from './fixtures.js';
import { expectInvariants, type Snapshot, snapshot } from './invariants.js';
import type { ConformanceTest } from './port-contracts.js';
import { expectGlobalCapCounters, justify, type LimitHit } from './refusals.js';

export interface PropertyOptions {
  /** Command sequences of the model-based test (default 200). */
  sequences?: number;
  /** Commands per sequence at most (default 40). */
  maxCommands?: number;
  /** Runs of the concurrent property (default 10). */
  concurrentRuns?: number;
}

/**
 * One tenant set up with rules exercising every kind of limit, sized so that random sequences
 * reach each of them: the hard budget holds three vouchers, the pool three codes.
 */
interface World {
  store: Store;
  engine: Engine;
  clock: TestClock;
  tenant: Tenant;
  phones: string[];
  rewardType: Map<string, RewardType>;
  catalogRewardId: string;
  hardBudgetId: string;
}

const HARD_LIMIT = 1500;

async function buildWorld(store: Store, start = '2026-11-01T14:00:00.000Z'): Promise<World> {
  const { engine, clock, tenant } = await setup(
    store,
    { timezone: 'America/New_York', settings: { points_expiry: '20d' } },
    start,
  );
  const t = tenant.id;
  const hard = await engine.budgets.create(t, {
    name: 'Hard monthly',
    limit: HARD_LIMIT,
    period: 'month',
    hard_cap: true,
    soft_cap_ratio: 0.8,
  });
  const soft = await engine.budgets.create(t, {
    name: 'Soft daily',
    unit: 'points',
    limit: 1000,
    period: 'day',
    hard_cap: false,
  });
  const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1, cost: 1 });
  const voucher = await engine.rewards.create(t, {
    name: 'Voucher',
    type: 'voucher',
    value: 10,
    cost: 500,
    validity: '3d',
  });
  await engine.rewards.uploadCodes(t, voucher.id, { codes: ['V1', 'V2', 'V3'] });
  const hamper = await engine.rewards.create(t, {
    name: 'Hamper',
    type: 'item',
    cost: 700,
    issue_mode: 'manual',
    reservation_ttl: '1d',
    validity: '2d',
  });
  const stamp = await engine.rewards.create(t, {
    name: 'Stamp coffee',
    type: 'item',
    cost: 100,
    validity: '5d',
  });
  const mug = await engine.rewards.create(t, { name: 'Mug', type: 'item', points_price: 40 });
  await engine.rules.create(t, {
    name: 'points',
    event_types: ['purchase'],
    reward_id: points.id,
    quantity: { floor: [{ '/': [{ var: 'event.amount' }, 1000] }] },
    budget_id: soft.id,
  });
  await engine.rules.create(t, {
    name: 'voucher',
    event_types: ['visit'],
    reward_id: voucher.id,
    budget_id: hard.id,
    caps: [
      { scope: 'customer', max: 1, window: 'day' },
      { scope: 'global', max: 2, window: 'week' },
    ],
  });
  await engine.rules.create(t, {
    name: 'hamper',
    event_types: ['purchase'],
    condition: { '>=': [{ var: 'event.amount' }, 5000] },
    reward_id: hamper.id,
    budget_id: hard.id,
    cooldown: '2d',
    caps: [{ scope: 'customer', max: 2, window: { rolling: '5d' } }],
  });
  await engine.rules.create(t, {
    name: 'stamp',
    priority: 50,
    event_types: ['visit'],
    condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 3] }, 0] },
    reward_id: stamp.id,
    budget_id: hard.id,
    stop_processing: true,
    caps: [{ scope: 'global', max: 3, window: 'lifetime' }],
  });
  const rewardType = new Map<string, RewardType>(
    [points, voucher, hamper, stamp, mug].map((r) => [r.id, r.type] as [string, RewardType]),
  );
  return {
    store,
    engine,
    clock,
    tenant,
    phones: [uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone()],
    rewardType,
    catalogRewardId: mug.id,
    hardBudgetId: hard.id,
  };
}

/** How often each limit refused something, over every run of a property. */
type Hits = Record<LimitHit | 'points', number>;
const noHits = (): Hits => ({ cooldown: 0, customer_cap: 0, global_cap: 0, budget: 0, codes: 0, points: 0 });

/** A property whose runs never reached one of its limits proved nothing about that limit. */
function expectEveryLimitHit(property: string, hits: Hits, kinds: Array<keyof Hits>): void {
  console.info(`[${property}] refusals by limit: ${JSON.stringify(hits)}`);
  for (const kind of kinds)
    expect(hits[kind], `${property}: runs that reached the ${kind} limit`).toBeGreaterThan(0);
}

interface Model {
  sent: Array<{ input: IngestEventInput; outcome: string }>;
  issuances: string[];
  /** The tenant's data after the last command: the state the next command starts from. */
  state: Snapshot;
  hits: Hits;
}

async function refusedWith(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    if (error instanceof LaasError) return error.code;
    throw error;
  }
}

type Cmd = fc.AsyncCommand<Model, World>;

/** Every command ends by checking the invariants on the world it changed. */
function withInvariants(cmd: Cmd): Cmd {
  return {
    check: (m) => cmd.check(m),
    async run(m, w) {
      await cmd.run(m, w);
      m.state = await expectInvariants(w.engine, w.tenant.id, w.tenant.timezone);
    },
    toString: () => cmd.toString(),
  };
}

const ingestCmd = (
  customer: number,
  type: 'visit' | 'purchase',
  amount: number,
  reuse: null | { index: number; same: boolean },
): Cmd => ({
  check: () => true,
  async run(model, w) {
    const t = w.tenant.id;
    const previous =
      reuse === null || model.sent.length === 0 ? null : model.sent[reuse.index % model.sent.length]!;
    if (previous !== null && reuse !== null) {
      const before = await snapshot(w.engine, t);
      if (reuse.same) {
        const replay = await w.engine.ingest(t, previous.input);
        expect(replay.replayed).toBe(true);
        expect(JSON.stringify(replay.decisions)).toBe(previous.outcome);
      } else {
        const changed = { ...previous.input, data: { amount: amount + 1_000_000 } };
        expect(await refusedWith(w.engine.ingest(t, changed))).toBe('IDEMPOTENCY_KEY_REUSED');
      }
      const after = await snapshot(w.engine, t);
      expect(after.events.length).toBe(before.events.length);
      expect(after.issuances).toEqual(before.issuances);
      expect(after.outbox.length).toBe(before.outbox.length);
      return;
    }
    const input: IngestEventInput = {
      idempotency_key: uniqueKey('prop'),
      type,
      customer: { phone: w.phones[customer % w.phones.length]! },
      data: type === 'purchase' ? { amount } : {},
    };
    const at = w.clock.iso();
    const result = await w.engine.ingest(t, input);
    expect(result.replayed).toBe(false);
    // Every refusal must follow from the state the event met (and its earlier decisions).
    for (const [index, decision] of result.decisions.entries()) {
      const justified = justify(decision, {
        before: model.state,
        at,
        customerId: result.customer_id,
        timeZone: w.tenant.timezone,
        earlier: result.decisions.slice(0, index),
      });
      if (justified === null) continue;
      if ('unjustified' in justified) expect.fail(`refused without cause: ${justified.unjustified}`);
      else model.hits[justified.limit]++;
    }
    model.sent.push({ input, outcome: JSON.stringify(result.decisions) });
    model.issuances.push(...result.issuance_ids);
  },
  toString: () => `ingest(${customer}, ${type}, ${amount}, ${JSON.stringify(reuse)})`,
});

const advanceCmd = (hours: number): Cmd => ({
  check: () => true,
  async run(_m, w) {
    w.clock.advance(hours * 3_600_000);
  },
  toString: () => `advance(${hours}h)`,
});

async function pick(model: Model, w: World, index: number): Promise<Issuance | null> {
  if (model.issuances.length === 0) return null;
  return w.engine.issuances.get(w.tenant.id, model.issuances[index % model.issuances.length]!);
}

const transitionCmd = (action: 'redeem' | 'cancel' | 'issue', index: number): Cmd => ({
  check: (m) => m.issuances.length > 0,
  async run(model, w) {
    const issuance = await pick(model, w, index);
    if (issuance === null) return;
    const t = w.tenant.id;
    const type = w.rewardType.get(issuance.reward_id);
    const now = w.clock.iso();
    const refusal =
      action === 'redeem'
        ? await refusedWith(w.engine.redeem(t, { issuance_id: issuance.id }))
        : action === 'cancel'
          ? await refusedWith(w.engine.cancel(t, issuance.id, 'model'))
          : await refusedWith(w.engine.issueReserved(t, issuance.id));
    const allowed =
      action === 'redeem'
        ? issuance.state === 'issued' &&
          type !== 'points' &&
          (issuance.expires_at === null || issuance.expires_at > now)
        : action === 'cancel'
          ? issuance.state === 'reserved' || issuance.state === 'issued'
          : issuance.state === 'reserved';
    if (allowed && action === 'cancel' && type === 'points' && refusal === 'STATE_CONFLICT') return; // points spent
    expect(refusal, `${action} of a ${issuance.state} ${type}`).toBe(allowed ? null : 'STATE_CONFLICT');
  },
  toString: () => `${action}(${index})`,
});

const expireCmd = (): Cmd => ({
  check: () => true,
  async run(_m, w) {
    await w.engine.expireDue(w.tenant.id);
    const now = w.clock.iso();
    const s = await snapshot(w.engine, w.tenant.id);
    for (const i of s.issuances) {
      if (i.state === 'issued' && i.expires_at !== null) expect(i.expires_at > now).toBe(true);
      if (i.state === 'reserved' && i.reserve_deadline !== null) expect(i.reserve_deadline > now).toBe(true);
    }
    for (const { balance } of s.points)
      for (const lot of balance.lots) expect(lot.expires_at === null || lot.expires_at > now).toBe(true);
  },
  toString: () => 'expireDue()',
});

const topUpCmd = (amount: number): Cmd => ({
  check: () => true,
  async run(_m, w) {
    const period = await w.engine.topUp(w.tenant.id, w.hardBudgetId, { amount });
    expect(period.limit).toBeGreaterThanOrEqual(HARD_LIMIT + amount);
  },
  toString: () => `topUp(${amount})`,
});

const redeemPointsCmd = (customer: number): Cmd => ({
  check: () => true,
  async run(model, w) {
    const t = w.tenant.id;
    const found = await w.engine.customers.list(t, {}, { limit: 200 });
    const phone = w.phones[customer % w.phones.length];
    const c = found.items.find((x) => x.phone === phone);
    if (c === undefined) return;
    const before = c.stats.points_balance;
    let issued: Issuance | null = null;
    const refusal = await refusedWith(
      w.engine.redeemPoints(t, c.id, { reward_id: w.catalogRewardId }).then((i) => {
        issued = i;
      }),
    );
    expect(refusal).toBe(before >= 40 ? null : 'STATE_CONFLICT');
    if (refusal !== null) model.hits.points++;
    if (issued !== null) model.issuances.push((issued as Issuance).id);
  },
  toString: () => `redeemPoints(${customer})`,
});

const ingestArb = fc
  .record({
    customer: fc.nat(3),
    type: fc.constantFrom<'visit' | 'purchase'>('visit', 'purchase'),
    amount: fc.integer({ min: 0, max: 12_000 }),
    // One ingest in five replays or reuses an earlier key; the rest are new events.
    reuse: fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.record({ index: fc.nat(), same: fc.boolean() }) },
    ),
  })
  .map(({ customer, type, amount, reuse }) => ingestCmd(customer, type, amount, reuse));

// Ingest is weighted so sequences build up issuances for the other commands to act on.
const commands = (
  [
    ingestArb,
    ingestArb,
    ingestArb,
    ingestArb,
    fc.integer({ min: 1, max: 96 }).map(advanceCmd),
    fc.nat().map((i) => transitionCmd('redeem', i)),
    fc.nat().map((i) => transitionCmd('cancel', i)),
    fc.nat().map((i) => transitionCmd('issue', i)),
    fc.constant(null).map(expireCmd),
    fc.integer({ min: 1, max: 400 }).map(topUpCmd),
    fc.nat(3).map(redeemPointsCmd),
  ] as fc.Arbitrary<Cmd>[]
).map((arb) => arb.map(withInvariants));

/**
 * Model-based property tests of invariants 1–8 over random sequences of ingest, redeem, cancel,
 * issue, expire, top-up and redeem-points, on two tenants; and a concurrent variant.
 */
/**
 * Lets the event loop turn once (one macrotask). On a synchronous store (better-sqlite3, memory)
 * a whole property run is one chain of resolved promises that never reaches the loop's poll phase;
 * a test worker that does not turn for 60 s misses vitest's RPC deadline (its timers phase runs
 * before the poll that holds the answer), which fails the run with "Timeout calling onTaskUpdate"
 * although every test passed. One turn per generated case keeps each block to one sequence.
 */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

export function describeProperties(
  getStore: () => Store,
  test: ConformanceTest,
  options: PropertyOptions = {},
): void {
  const sequences = options.sequences ?? 200;
  const maxCommands = options.maxCommands ?? 40;
  describe('invariants (property-based)', () => {
    test(`random command sequences keep invariants 1-8 and refuse only with cause (${sequences} sequences)`, async () => {
      const hits = noHits();
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands, size: 'max' }), async (cmds) => {
          await breathe();
          const store = getStore();
          const world = await buildWorld(store);
          const other = await buildWorld(store);
          await other.engine.ingest(other.tenant.id, {
            idempotency_key: 'b-1',
            type: 'visit',
            customer: { phone: other.phones[0]! },
          });
          const otherBefore = await snapshot(other.engine, other.tenant.id);
          const model: Model = {
            sent: [],
            issuances: [],
            state: await snapshot(world.engine, world.tenant.id),
            hits,
          };
          await fc.asyncModelRun(() => ({ model, real: world }), cmds);
          await expectGlobalCapCounters(
            store,
            world.tenant.id,
            model.state,
            world.clock.iso(),
            world.tenant.timezone,
          );
          // Invariant 7: nothing of tenant A is visible or changeable from tenant B.
          expect(await snapshot(other.engine, other.tenant.id)).toEqual(otherBefore);
          for (const id of model.issuances.slice(0, 3)) {
            expect(await refusedWith(other.engine.issuances.get(other.tenant.id, id))).toBe('NOT_FOUND');
            expect(await refusedWith(other.engine.redeem(other.tenant.id, { issuance_id: id }))).toBe(
              'NOT_FOUND',
            );
            expect(await refusedWith(other.engine.cancel(other.tenant.id, id))).toBe('NOT_FOUND');
          }
        }),
        { numRuns: sequences },
      );
      expectEveryLimitHit('random command sequences', hits, [
        'cooldown',
        'customer_cap',
        'global_cap',
        'budget',
        'codes',
        'points',
      ]);
    }, 600_000);

    test('concurrent ingests (Promise.all) keep invariants 1, 2, 4, 5, 6 and 8', async () => {
      const hits: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              customer: fc.nat(7),
              type: fc.constantFrom<'visit' | 'purchase'>('visit', 'purchase'),
              amount: fc.integer({ min: 0, max: 12_000 }),
            }),
            { minLength: 10, maxLength: 40 },
          ),
          async (events) => {
            await breathe();
            const store = getStore();
            const world = await buildWorld(store);
            const phones = [...world.phones, uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone()];
            const results = await Promise.all(
              events.map((e) =>
                world.engine.ingest(world.tenant.id, {
                  idempotency_key: uniqueKey('conc'),
                  type: e.type,
                  customer: { phone: phones[e.customer]! },
                  data: e.type === 'purchase' ? { amount: e.amount } : {},
                }),
              ),
            );
            for (const d of results.flatMap((r) => r.decisions)) hits[d.outcome] = (hits[d.outcome] ?? 0) + 1;
            const s = await expectInvariants(world.engine, world.tenant.id, world.tenant.timezone);
            await expectGlobalCapCounters(
              store,
              world.tenant.id,
              s,
              world.clock.iso(),
              world.tenant.timezone,
            );
            expect(s.events).toHaveLength(events.length);
            expect(new Set(results.map((r) => r.event_id)).size).toBe(events.length);
          },
        ),
        { numRuns: options.concurrentRuns ?? 10 },
      );
      console.info(`[concurrent ingests] decisions by outcome: ${JSON.stringify(hits)}`);
      expect(hits.cap_reached ?? 0, 'concurrent runs that reached a cap').toBeGreaterThan(0);
    }, 600_000);

    test('a concurrent burst stops exactly at a hard budget, a global cap and a code pool', async () => {
      const store = getStore();
      const { engine, clock, tenant } = await setup(store, { timezone: 'Africa/Harare' });
      const t = tenant.id;
      const budget = await engine.budgets.create(t, {
        name: 'Gifts',
        limit: 1000,
        period: 'month',
        hard_cap: true,
      });
      const gift = await engine.rewards.create(t, { name: 'Gift', type: 'item', cost: 100 });
      const badge = await engine.rewards.create(t, { name: 'Badge', type: 'item' });
      const voucher = await engine.rewards.create(t, { name: 'Voucher', type: 'voucher', value: 5 });
      await engine.rewards.uploadCodes(t, voucher.id, { codes: ['P1', 'P2', 'P3', 'P4', 'P5'] });
      await engine.rules.create(t, {
        name: 'gift',
        event_types: ['purchase'],
        condition: { '>=': [{ var: 'event.amount' }, 1000] },
        reward_id: gift.id,
        budget_id: budget.id,
      });
      await engine.rules.create(t, {
        name: 'badge',
        event_types: ['visit'],
        reward_id: badge.id,
        caps: [{ scope: 'global', max: 7, window: 'lifetime' }],
      });
      await engine.rules.create(t, { name: 'voucher', event_types: ['scan'], reward_id: voucher.id });
      const types = ['purchase', 'visit', 'scan'] as const;
      const results = await Promise.all(
        Array.from({ length: 90 }, (_, i) =>
          engine.ingest(t, {
            idempotency_key: uniqueKey('burst'),
            type: types[i % 3]!,
            customer: { phone: uniquePhone() },
            data: { amount: 1000 + i },
          }),
        ),
      );
      const count = (rule: string, outcome: string) =>
        results.filter((r) => r.decisions.some((d) => d.rule_name === rule && d.outcome === outcome)).length;
      expect({
        gift: [count('gift', 'issued'), count('gift', 'budget_exhausted')],
        badge: [count('badge', 'issued'), count('badge', 'cap_reached')],
        voucher: [count('voucher', 'issued'), count('voucher', 'codes_exhausted')],
      }).toEqual({ gift: [10, 20], badge: [7, 23], voucher: [5, 25] });
      const s = await expectInvariants(engine, t, tenant.timezone);
      const [period] = s.periods;
      expect(period && period.reserved + period.utilized + period.spent).toBe(1000);
      expect(s.codes.get(voucher.id)).toEqual({ available: 0, used: 5 });
      await expectGlobalCapCounters(store, t, s, clock.iso(), tenant.timezone);
    });

    test('concurrent replays of one idempotency key store one event and return one outcome', async () => {
      const world = await buildWorld(getStore());
      const input: IngestEventInput = {
        idempotency_key: uniqueKey('same'),
        type: 'purchase',
        customer: { phone: world.phones[0]! },
        data: { amount: 7000 },
      };
      const results = await Promise.all(
        Array.from({ length: 12 }, () => world.engine.ingest(world.tenant.id, input)),
      );
      expect(new Set(results.map((r) => r.event_id)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      const s = await expectInvariants(world.engine, world.tenant.id, world.tenant.timezone);
      expect(s.events).toHaveLength(1);
    });
  });
}
