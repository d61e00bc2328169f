/**
 * The guarded statements under real concurrency: many transactions of one tenant at once on a
 * pool, each a separate connection. These are the PostgreSQL-specific halves of invariants 2, 4,
 * 5 and 6 (the conformance suite states them again end to end through the engine).
 */
import {
  type Customer,
  DEFAULT_TENANT_SETTINGS,
  type Issuance,
  type LoyaltyEvent,
  newId,
  type Tenant,
  UniqueViolationError,
} from '@laas/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgStore, pgStore } from '../src/index.js';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const N = 24;
const NOW = '2026-11-22T10:00:00.000Z';

const tenant = (id: string): Tenant => ({
  id,
  name: 'Concurrency',
  timezone: 'UTC',
  settings: { ...DEFAULT_TENANT_SETTINGS },
  created_at: NOW,
});
const customer = (tenantId: string): Customer => ({
  id: newId(),
  tenant_id: tenantId,
  phone: null,
  external_ref: newId(),
  name: null,
  birthday: null,
  attributes: {},
  tags: [],
  status: 'active',
  enrolled_at: NOW,
  last_event_at: null,
  stats: { counts: {}, total_spend: 0, points_balance: 0 },
});
const issuance = (tenantId: string, customerId: string, ruleId: string): Issuance => ({
  id: newId(),
  tenant_id: tenantId,
  customer_id: customerId,
  reward_id: newId(),
  rule_id: ruleId,
  event_id: null,
  state: 'issued',
  quantity: 1,
  value: 1,
  cost: 1,
  code: null,
  budget_id: null,
  budget_period: null,
  earned_at: NOW,
  created_at: NOW,
  issued_at: NOW,
  expires_at: null,
  reserve_deadline: null,
  redeemed_at: null,
  cancelled_at: null,
  cancel_reason: null,
});

const times = <T>(n: number, fn: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

// This file's connections carry their own application_name, so the test can see which of them wait.
const TAG = `laas_conc_${newId().slice(-12)}`;

/** Resolves once `n` callers have arrived: explicit synchronisation instead of sleeping. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived += 1;
    if (arrived >= n) open();
    return opened;
  };
}

describe.skipIf(!db.available)('guarded statements under concurrency', () => {
  let store: PgStore;
  let t: string;
  let c: Customer;

  /** Waits until at least `n` of this file's connections wait for a lock another one holds. */
  async function lockWaiters(n: number): Promise<void> {
    for (let attempt = 0; attempt < 2000; attempt++) {
      const { rows } = await db
        .owner()
        .query(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [TAG],
        );
      if (Number(rows[0].n) >= n) return;
    }
    throw new Error(`fewer than ${n} transactions ever waited for the lock`);
  }

  beforeAll(async () => {
    const url = new URL(db.appUrl);
    url.searchParams.set('application_name', TAG);
    store = pgStore({ connectionString: url.toString(), schema: db.schema, pool: { max: 12 } });
    t = newId();
    c = customer(t);
    await store.transaction(t, async (tx) => {
      await tx.tenants.insert(tenant(t));
      await tx.customers.insert(c);
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('a hard-capped budget never overshoots its limit', async () => {
    const budgetId = newId();
    const results = await times(N, () =>
      store.transaction(t, (tx) =>
        tx.budgets.reserve({ budgetId, period: '2026-11', defaultLimit: 100, amount: 10, hardCap: true }),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(10);
    const period = await store.transaction(t, (tx) => tx.budgets.getPeriod(budgetId, '2026-11'));
    expect(period).toMatchObject({ limit: 100, reserved: 100 });
  });

  it('each code is drawn by at most one issuance', async () => {
    const rewardId = newId();
    await store.transaction(t, (tx) => tx.codes.add(rewardId, ['A', 'B', 'C', 'D', 'E'], NOW));
    const drawn = await times(N, () => store.transaction(t, (tx) => tx.codes.draw(rewardId, newId())));
    const codes = drawn.filter((x): x is string => x !== null);
    expect(codes.sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(await store.transaction(t, (tx) => tx.codes.counts(rewardId))).toEqual({ available: 0, used: 5 });
  });

  it('a lifetime / calendar global cap is claimed exactly max times', async () => {
    const ruleId = newId();
    for (const window of [{ kind: 'lifetime' as const }, { kind: 'calendar' as const, key: '2026-11-22' }]) {
      const claims = await times(N, () =>
        store.transaction(t, (tx) => tx.caps.claimGlobal({ ruleId, capKey: '0', window, max: 7 })),
      );
      expect(claims.filter(Boolean)).toHaveLength(7);
    }
  });

  it('a rolling global cap, claimed then issued in the same transaction, is never exceeded', async () => {
    const ruleId = newId();
    const claims = await times(N, () =>
      store.transaction(t, async (tx) => {
        const ok = await tx.caps.claimGlobal({
          ruleId,
          capKey: '0',
          window: { kind: 'rolling', since: '2026-11-01T00:00:00.000Z' },
          max: 5,
        });
        if (ok) await tx.issuances.insert(issuance(t, c.id, ruleId));
        return ok;
      }),
    );
    expect(claims.filter(Boolean)).toHaveLength(5);
    expect(await store.transaction(t, (tx) => tx.issuances.countEarned(ruleId, null, null))).toBe(5);
  });

  it('a state transition is won by exactly one of concurrent writers', async () => {
    const i = issuance(t, c.id, newId());
    await store.transaction(t, (tx) => tx.issuances.insert(i));
    const results = await times(N, (k) =>
      store.transaction(t, (tx) =>
        tx.issuances.transition(
          k % 2 === 0
            ? { ...i, state: 'redeemed', redeemed_at: NOW }
            : { ...i, state: 'cancelled', cancelled_at: NOW, cancel_reason: `racer ${k}` },
          'issued',
        ),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it('markNotified answers true to exactly one caller', async () => {
    const budgetId = newId();
    await store.transaction(t, (tx) => tx.budgets.topUp(budgetId, 'all', 0, 10));
    const results = await times(N, () =>
      store.transaction(t, (tx) => tx.budgets.markNotified(budgetId, 'all', 'exhausted')),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a points balance never goes negative under concurrent debits', async () => {
    const k = customer(t);
    await store.transaction(t, async (tx) => {
      await tx.customers.insert(k);
      await tx.customers.adjustPointsBalance(k.id, 50);
    });
    const results = await times(N, () =>
      store.transaction(t, (tx) => tx.customers.adjustPointsBalance(k.id, -7)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(7);
    expect((await store.transaction(t, (tx) => tx.customers.get(k.id)))?.stats.points_balance).toBe(1);
  });

  it('the customer lock serialises read-modify-write of one customer', async () => {
    const k = customer(t);
    await store.transaction(t, (tx) => tx.customers.insert(k));
    let holders = 0;
    await times(N, () =>
      store.transaction(t, async (tx) => {
        const locked = await tx.customers.lock(k.id);
        // Hold the lock until another transaction waits for it (while any is left to come): the
        // read-modify-write below is contended every time, by construction rather than by timing.
        holders += 1;
        if (holders < N) await lockWaiters(1);
        await tx.customers.updateProfile({ ...locked!, name: String(Number(locked!.name ?? '0') + 1) });
      }),
    );
    expect((await store.transaction(t, (tx) => tx.customers.get(k.id)))?.name).toBe(String(N));
  });

  it('one of two concurrent events with the same idempotency key fails with UniqueViolationError', async () => {
    const key = `key-${newId()}`;
    const event = (): LoyaltyEvent => ({
      id: newId(),
      tenant_id: t,
      customer_id: c.id,
      type: 'visit',
      occurred_at: NOW,
      data: { items: [1, 2] },
      idempotency_key: key,
      payload_hash: 'h',
      outcome: null,
      created_at: NOW,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        store.transaction(t, async (tx) => {
          await tx.events.insert(event());
          // The insert waits in the client until a statement with an answer carries it
          // (pipeline.ts): this read sends it now.
          await tx.events.findByIdempotencyKey(key);
          // Only the first insert gets here before its commit: it commits once the five others
          // wait on its uncommitted key, so they all meet it.
          await lockWaiters(5);
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(UniqueViolationError);
        expect((r.reason as UniqueViolationError).field).toBe('idempotency_key');
      }
    }
    const stored = await store.transaction(t, (tx) => tx.events.findByIdempotencyKey(key));
    expect(stored?.data).toEqual({ items: [1, 2] });
  });

  it('listDue hands different rows to concurrent workers (SKIP LOCKED)', async () => {
    const due = Array.from({ length: 6 }, () => ({ ...issuance(t, c.id, newId()), expires_at: NOW }));
    await store.transaction(t, async (tx) => {
      for (const i of due) await tx.issuances.insert(i);
    });
    const later = '2026-11-23T00:00:00.000Z';
    // All three hold what they listed until every one has listed: SKIP LOCKED must share them out.
    const listed = barrier(3);
    const batches = await times(3, () =>
      store.transaction(t, async (tx) => {
        const rows = await tx.issuances.listDue(later, 2);
        await listed();
        return rows.map((r) => r.id);
      }),
    );
    const ids = batches.flat();
    expect(new Set(ids).size).toBe(ids.length);
  });
});
