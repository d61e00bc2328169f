/**
 * What the SQLite store adds to the conformance suite: its transaction serialisation, the mapping
 * of constraint errors, and its guarded single statements, exercised through the ports directly.
 */
import {
  type Customer,
  DEFAULT_TENANT_SETTINGS,
  EMPTY_STATS,
  type Issuance,
  LaasError,
  newId,
  type Tenant,
  TransientStoreError,
  type Tx,
  UniqueViolationError,
} from '@laas/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SqliteStore, sqliteStore } from '../src/index.js';
import { tempDatabase } from './helpers.js';

const AT = '2026-11-01T09:00:00.000Z';

function tenant(id = newId()): Tenant {
  return { id, name: 'Shop', timezone: 'UTC', settings: { ...DEFAULT_TENANT_SETTINGS }, created_at: AT };
}

function customer(tenantId: string, fields: Partial<Customer> = {}): Customer {
  return {
    id: newId(),
    tenant_id: tenantId,
    phone: null,
    external_ref: null,
    name: null,
    birthday: null,
    attributes: {},
    tags: [],
    status: 'active',
    enrolled_at: AT,
    last_event_at: null,
    stats: { ...EMPTY_STATS, counts: {} },
    ...fields,
  };
}

function issuance(tenantId: string, fields: Partial<Issuance> = {}): Issuance {
  return {
    id: newId(),
    tenant_id: tenantId,
    customer_id: newId(),
    reward_id: newId(),
    rule_id: newId(),
    event_id: null,
    state: 'issued',
    quantity: 1,
    value: 10,
    cost: 100,
    code: null,
    budget_id: null,
    budget_period: null,
    earned_at: AT,
    created_at: AT,
    issued_at: AT,
    expires_at: null,
    reserve_deadline: null,
    redeemed_at: null,
    cancelled_at: null,
    cancel_reason: null,
    ...fields,
  };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

let store: SqliteStore;
let t: string;
const cleanups: Array<() => unknown> = [];

beforeEach(async () => {
  const file = tempDatabase();
  cleanups.push(file.remove);
  store = sqliteStore({ filename: file.filename });
  cleanups.push(() => store.close());
  await store.migrate();
  t = newId();
  await store.transaction(t, (tx) => tx.tenants.insert(tenant(t)));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const inTx = <T>(fn: (tx: Tx) => Promise<T>, tenantId = t) => store.transaction(tenantId, fn);

describe('transactions', () => {
  it('rolls back everything on a throw, and rethrows', async () => {
    const c = customer(t, { phone: '+263771000001' });
    const error = new Error('boom');
    await expect(
      inTx(async (tx) => {
        await tx.customers.insert(c);
        await tx.outbox.append({
          id: newId(),
          tenant_id: t,
          type: 'customer.enrolled',
          data: {},
          created_at: AT,
        });
        throw error;
      }),
    ).rejects.toBe(error);
    expect(await inTx((tx) => tx.customers.get(c.id))).toBeNull();
    expect((await inTx((tx) => tx.outbox.list({ limit: 10 }))).items).toEqual([]);
    expect(store.connection.inTransaction).toBe(false);
  });

  it('serialises concurrent transactions: read-modify-write across awaits stays exact', async () => {
    const c = customer(t);
    await inTx((tx) => tx.customers.insert(c));
    await Promise.all(
      Array.from({ length: 50 }, () =>
        inTx(async (tx) => {
          const before = await tx.customers.get(c.id);
          // Yield a turn of the event loop: another transaction would interleave here if it could.
          await new Promise((resolve) => setImmediate(resolve));
          await tx.customers.updateProfile({ ...before!, name: String(Number(before!.name ?? '0') + 1) });
        }),
      ),
    );
    expect((await inTx((tx) => tx.customers.get(c.id)))?.name).toBe('50');
  });

  it('platform reads and ping wait for the running transaction (never see its uncommitted rows)', async () => {
    const other = newId();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const writing = store.transaction(other, async (tx) => {
      await tx.tenants.insert(tenant(other));
      await gate;
      throw new Error('changed my mind');
    });
    let readSettled = false;
    const read = store.platform.getTenant(other).finally(() => {
      readSettled = true;
    });
    // The read has had every chance to run (a full turn of the event loop) and still waits.
    await new Promise((resolve) => setImmediate(resolve));
    expect(readSettled).toBe(false);
    release();
    await expect(writing).rejects.toThrow('changed my mind');
    expect(await read).toBeNull();
  });

  it('a Tx is dead once its transaction ended', async () => {
    let kept!: Tx;
    await inTx(async (tx) => {
      kept = tx;
    });
    await expect(kept.customers.get(newId())).rejects.toThrow(/transaction has ended/);
  });

  it('refuses rows of another tenant and never returns them', async () => {
    const other = newId();
    await store.transaction(other, (tx) => tx.tenants.insert(tenant(other)));
    const c = customer(t, { phone: '+263771000002' });
    await inTx((tx) => tx.customers.insert(c));
    await store.transaction(other, async (tx) => {
      expect(await tx.customers.get(c.id)).toBeNull();
      expect(await tx.customers.findByPhone('+263771000002')).toBeNull();
      expect((await tx.customers.list({}, { limit: 50 })).items).toEqual([]);
      const error = await caught(tx.customers.insert(customer(t)));
      expect(error).toBeInstanceOf(LaasError);
      // The same phone is free in another tenant.
      await tx.customers.insert(customer(other, { phone: '+263771000002' }));
    });
  });

  it('a write lock held by another connection past busy_timeout is a TransientStoreError', async () => {
    const file = tempDatabase();
    cleanups.push(file.remove);
    const a = sqliteStore({ filename: file.filename });
    const b = sqliteStore({ filename: file.filename }, { pragmas: { busyTimeoutMs: 50 } });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    await a.migrate();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holding = a.transaction(t, async (tx) => {
      await tx.tenants.insert(tenant(t));
      await gate;
    });
    const error = await caught(b.transaction(t, (tx) => tx.tenants.get()));
    expect(error).toBeInstanceOf(TransientStoreError);
    release();
    await holding;
    // A read-only transaction takes no write lock.
    expect((await b.transaction(t, (tx) => tx.tenants.get(), { readOnly: true }))?.id).toBe(t);
  });
});

describe('unique constraints', () => {
  it('name the field that collided, and leave the transaction usable', async () => {
    const c = customer(t, { phone: '+263771000003', external_ref: 'POS-1' });
    await inTx((tx) => tx.customers.insert(c));
    const fieldOf = async (fn: (tx: Tx) => Promise<unknown>) => {
      const error = await caught(inTx(fn));
      expect(error).toBeInstanceOf(UniqueViolationError);
      return (error as UniqueViolationError).field;
    };
    expect(await fieldOf((tx) => tx.customers.insert(customer(t, { phone: c.phone })))).toBe('phone');
    expect(await fieldOf((tx) => tx.customers.insert(customer(t, { external_ref: 'POS-1' })))).toBe(
      'external_ref',
    );
    expect(await fieldOf((tx) => tx.customers.insert({ ...c, phone: null, external_ref: null }))).toBe('id');
    const other = customer(t, { phone: '+263771000004' });
    await inTx((tx) => tx.customers.insert(other));
    expect(await fieldOf((tx) => tx.customers.updateProfile({ ...other, phone: c.phone }))).toBe('phone');
    expect(await fieldOf((tx) => tx.tenants.insert(tenant(t)))).toBe('id');

    const event = {
      id: newId(),
      tenant_id: t,
      customer_id: c.id,
      type: 'visit',
      occurred_at: AT,
      data: {},
      idempotency_key: 'k-1',
      payload_hash: 'h',
      outcome: null,
      created_at: AT,
    };
    await inTx((tx) => tx.events.insert(event));
    expect(await fieldOf((tx) => tx.events.insert({ ...event, id: newId() }))).toBe('idempotency_key');

    const record = {
      tenant_id: t,
      key: 'idem-1',
      fingerprint: 'f',
      status: 201,
      body: { ok: true },
      created_at: AT,
    };
    await inTx((tx) => tx.idempotency.put(record));
    expect(await fieldOf((tx) => tx.idempotency.put(record))).toBe('key');

    const key = {
      id: newId(),
      tenant_id: t,
      name: 'pos',
      role: 'pos' as const,
      key_hash: 'a'.repeat(64),
      prefix: 'laas_abc',
      created_at: AT,
      revoked_at: null,
    };
    await inTx((tx) => tx.apiKeys.insert(key));
    expect(await fieldOf((tx) => tx.apiKeys.insert({ ...key, id: newId() }))).toBe('key_hash');
    // Unique across tenants: authentication finds a key by its hash alone.
    const other2 = newId();
    await store.transaction(other2, (tx) => tx.tenants.insert(tenant(other2)));
    const cross = await caught(
      store.transaction(other2, (tx) => tx.apiKeys.insert({ ...key, id: newId(), tenant_id: other2 })),
    );
    expect((cross as UniqueViolationError).field).toBe('key_hash');
    expect((await store.platform.findApiKeyByHash(key.key_hash))?.id).toBe(key.id);

    // A caught violation does not spoil the transaction.
    await inTx(async (tx) => {
      await expect(tx.customers.insert(customer(t, { phone: c.phone }))).rejects.toBeInstanceOf(
        UniqueViolationError,
      );
      await tx.customers.insert(customer(t, { phone: '+263771000005' }));
    });
    expect(await inTx((tx) => tx.customers.findByPhone('+263771000005'))).not.toBeNull();
  });
});

describe('rows', () => {
  it('round-trip JSON, booleans and timestamps, normalising timestamps to milliseconds', async () => {
    const c = customer(t, {
      phone: '+263771000006',
      attributes: { tier: 'gold', nested: { a: [1, 2] } },
      tags: ['vip', 'north'],
      enrolled_at: '2026-11-01T09:00:00Z',
    });
    await inTx((tx) => tx.customers.insert(c));
    expect(await inTx((tx) => tx.customers.get(c.id))).toEqual({
      ...c,
      enrolled_at: '2026-11-01T09:00:00.000Z',
    });
    expect(
      (await inTx((tx) => tx.customers.list({ tag: 'vip' }, { limit: 10 }))).items.map((x) => x.id),
    ).toEqual([c.id]);
    expect((await inTx((tx) => tx.customers.list({ tag: 'vi' }, { limit: 10 }))).items).toEqual([]);
  });

  it('recordEvent counts by type (dots and all), adds spend and keeps the latest event time', async () => {
    const c = customer(t);
    await inTx((tx) => tx.customers.insert(c));
    await inTx((tx) => tx.customers.recordEvent(c.id, 'purchase', 500, '2026-11-02T00:00:00.000Z'));
    await inTx((tx) => tx.customers.recordEvent(c.id, 'purchase', 250, '2026-11-01T00:00:00.000Z'));
    await inTx((tx) => tx.customers.recordEvent(c.id, 'customer.birthday', 0, '2026-11-01T00:00:00.000Z'));
    const after = await inTx((tx) =>
      tx.customers.recordEvent(c.id, 'odd "type"', 0, '2026-10-01T00:00:00.000Z'),
    );
    expect(after.stats).toEqual({
      counts: { purchase: 2, 'customer.birthday': 1, 'odd "type"': 1 },
      total_spend: 750,
      points_balance: 0,
    });
    expect(after.last_event_at).toBe('2026-11-02T00:00:00.000Z');
  });

  it('pages newest first without skipping or repeating rows', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = customer(t);
      ids.push(c.id);
      await inTx((tx) => tx.customers.insert(c));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await inTx((tx) => tx.customers.list({}, { limit: 3, cursor }));
      seen.push(...page.items.map((c) => c.id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
      // A row inserted meanwhile sorts before the cursor: not on the next pages.
      await inTx((tx) => tx.customers.insert(customer(t)));
    }
    expect(seen).toEqual([...ids].reverse());
  });
});

describe('guarded operations', () => {
  it('reserve never overshoots a hard cap, and a refusal creates nothing', async () => {
    const r = { budgetId: newId(), period: '2026-11', defaultLimit: 1000, amount: 400, hardCap: true };
    await inTx(async (tx) => {
      expect(await tx.budgets.reserve({ ...r, amount: 1001 })).toBeNull();
      expect(await tx.budgets.getPeriod(r.budgetId, r.period)).toBeNull();
      expect((await tx.budgets.reserve(r))?.reserved).toBe(400);
      expect((await tx.budgets.reserve(r))?.reserved).toBe(800);
      expect(await tx.budgets.reserve(r)).toBeNull();
      expect((await tx.budgets.reserve({ ...r, hardCap: false }))?.reserved).toBe(1200);
      const moved = await tx.budgets.move(r.budgetId, r.period, 'reserved', 'utilized', 300);
      expect(moved).toMatchObject({ reserved: 900, utilized: 300, spent: 0 });
      await expect(tx.budgets.move(r.budgetId, r.period, 'spent', null, 1)).rejects.toThrow(/holds 0/);
      expect((await tx.budgets.topUp(r.budgetId, r.period, 0, 500)).limit).toBe(1500);
      expect(await tx.budgets.markNotified(r.budgetId, r.period, 'threshold')).toBe(true);
      expect(await tx.budgets.markNotified(r.budgetId, r.period, 'threshold')).toBe(false);
      expect(await tx.budgets.markNotified(r.budgetId, r.period, 'exhausted')).toBe(true);
    });
  });

  it('draws each code once, in upload order; a released code goes back to the end', async () => {
    const rewardId = newId();
    await inTx(async (tx) => {
      expect(await tx.codes.add(rewardId, ['A', 'B', 'C', 'A'], AT)).toEqual({ added: 3, duplicates: ['A'] });
      expect(await tx.codes.add(rewardId, ['C', 'D'], AT)).toEqual({ added: 1, duplicates: ['C'] });
    });
    const drawn = await Promise.all(
      Array.from({ length: 5 }, () => inTx((tx) => tx.codes.draw(rewardId, newId()))),
    );
    expect(drawn).toEqual(['A', 'B', 'C', 'D', null]);
    await inTx(async (tx) => {
      expect(await tx.codes.counts(rewardId)).toEqual({ available: 0, used: 4 });
      await tx.codes.release(rewardId, 'B');
      expect(await tx.codes.counts(rewardId)).toEqual({ available: 1, used: 3 });
      expect(await tx.codes.draw(rewardId, newId())).toBe('B');
    });
  });

  it('transition is a compare-and-set on the state', async () => {
    const i = issuance(t, { code: 'X1' });
    await inTx((tx) => tx.issuances.insert(i));
    const redeemed = { ...i, state: 'redeemed' as const, redeemed_at: AT };
    expect(await inTx((tx) => tx.issuances.transition(redeemed, 'issued'))).toEqual(redeemed);
    expect(await inTx((tx) => tx.issuances.transition({ ...i, state: 'expired' }, 'issued'))).toBeNull();
    expect((await inTx((tx) => tx.issuances.getByCode('X1')))?.state).toBe('redeemed');
  });

  it('listDue merges expired and past-deadline issuances, oldest first', async () => {
    const a = issuance(t, { expires_at: '2026-11-03T00:00:00.000Z' });
    const b = issuance(t, {
      state: 'reserved',
      issued_at: null,
      reserve_deadline: '2026-11-02T00:00:00.000Z',
    });
    const c = issuance(t, { expires_at: '2026-12-01T00:00:00.000Z' });
    const d = issuance(t, { state: 'redeemed', expires_at: '2026-11-01T00:00:00.000Z' });
    await inTx(async (tx) => {
      for (const x of [a, b, c, d]) await tx.issuances.insert(x);
    });
    const due = await inTx((tx) => tx.issuances.listDue('2026-11-10T00:00:00.000Z', 10));
    expect(due.map((x) => x.id)).toEqual([b.id, a.id]);
    expect(await inTx((tx) => tx.issuances.listDue('2026-11-10T00:00:00.000Z', 1))).toHaveLength(1);
  });

  it('adjustPointsBalance never goes below zero; consumeLots takes the earliest-expiring lots', async () => {
    const c = customer(t);
    await inTx(async (tx) => {
      await tx.customers.insert(c);
      expect(await tx.customers.adjustPointsBalance(c.id, 100)).toBe(100);
      expect(await tx.customers.adjustPointsBalance(c.id, -101)).toBeNull();
      expect(await tx.customers.adjustPointsBalance(c.id, -100)).toBe(0);
      const lot = (id: string, expires_at: string | null, amount: number) => ({
        id,
        tenant_id: t,
        customer_id: c.id,
        issuance_id: null,
        earned_at: AT,
        expires_at,
        amount,
        remaining: amount,
      });
      const [l1, l2, l3] = [newId(), newId(), newId()];
      await tx.points.insertLot(lot(l1, null, 50));
      await tx.points.insertLot(lot(l2, '2027-01-01T00:00:00.000Z', 30));
      await tx.points.insertLot(lot(l3, '2026-12-01T00:00:00.000Z', 20));
      await expect(tx.points.consumeLots(c.id, 101)).rejects.toThrow();
      expect(await tx.points.consumeLots(c.id, 60)).toEqual([
        { lot_id: l3, amount: 20 },
        { lot_id: l2, amount: 30 },
        { lot_id: l1, amount: 10 },
      ]);
      expect((await tx.points.listDueLots('2027-06-01T00:00:00.000Z', 10)).map((l) => l.id)).toEqual([]);
      expect(await tx.points.expireLot(l1)).toBe(40);
      expect(await tx.points.expireLot(l1)).toBe(0);
    });
  });

  it('global caps: calendar and lifetime counters never pass max; release gives one back', async () => {
    const claim = {
      ruleId: newId(),
      capKey: '0',
      window: { kind: 'calendar' as const, key: '2026-11' },
      max: 2,
    };
    const results = await Promise.all(
      Array.from({ length: 4 }, () => inTx((tx) => tx.caps.claimGlobal(claim))),
    );
    expect(results).toEqual([true, true, false, false]);
    await inTx((tx) => tx.caps.releaseGlobal(claim));
    expect(await inTx((tx) => tx.caps.claimGlobal(claim))).toBe(true);
    expect(
      await inTx((tx) => tx.caps.claimGlobal({ ...claim, window: { kind: 'calendar', key: '2026-12' } })),
    ).toBe(true);
    const lifetime = { ...claim, window: { kind: 'lifetime' as const }, max: 1 };
    expect(await inTx((tx) => tx.caps.claimGlobal(lifetime))).toBe(true);
    expect(await inTx((tx) => tx.caps.claimGlobal(lifetime))).toBe(false);
  });
});
