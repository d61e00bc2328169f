/**
 * What a transaction sends to PostgreSQL: BEGIN and the tenant setting in the message of its first
 * statement (pipeline.ts), writes nobody reads carried by the next statement, and the
 * guarantees that must survive that (read-only stays read-only, the setting never outlives its
 * transaction, a failed body leaves nothing behind).
 */
import { createEngine } from '@laas/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgStore } from '../src/index.js';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();

/** A one-connection pool whose client records every query text it sends. */
function recordingPool(): { pool: pg.Pool; sent: string[] } {
  const sent: string[] = [];
  const pool = new pg.Pool({ connectionString: db.appUrl, max: 1 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0];
      sent.push(typeof first === 'string' ? first : String((first as { text?: unknown }).text));
      return query(...args);
    };
  });
  return { pool, sent };
}

describe.skipIf(!db.available)('postgres transaction on the wire', () => {
  let recorded: ReturnType<typeof recordingPool>;
  let store: ReturnType<typeof pgStore>;
  let tenantId: string;

  beforeAll(async () => {
    recorded = recordingPool();
    store = pgStore(recorded.pool, { schema: db.schema });
    tenantId = (await createEngine({ store }).tenants.create({ name: 'Wire shop' })).id;
  });
  afterAll(async () => {
    await store?.close();
    await recorded?.pool.end();
  });

  it('opens a transaction in the message of its first statement, which begins it and sets the tenant', async () => {
    recorded.sent.length = 0;
    const tenant = await store.transaction(tenantId, (tx) => tx.tenants.get());
    // Row-level security let the tenant's own row through: the setting was in effect.
    expect(tenant?.id).toBe(tenantId);
    expect(recorded.sent).toHaveLength(2);
    const [first, commit] = recorded.sent;
    expect(first).toMatch(
      /^\/\*laas:deferred\*\/BEGIN ISOLATION LEVEL READ COMMITTED; SELECT set_config\('laas\.tenant_id', '[^']+', true\);\nselect \* from .*"tenants" where "id" = +'[^']+' *$/,
    );
    expect(first).toContain(tenantId);
    expect(commit).toBe('COMMIT');
  });

  it('sends a write nobody reads with the next statement, at the latest COMMIT', async () => {
    const engine = createEngine({ store });
    const customer = await engine.customers.create(tenantId, { external_ref: 'wire-1' });
    // The engine's first ingest of the tenant loads its configuration (rules by type, rewards).
    await engine.ingest(tenantId, {
      idempotency_key: 'wire-warm',
      type: 'visit',
      customer: { id: customer.id },
    });
    recorded.sent.length = 0;
    const result = await engine.ingest(tenantId, {
      idempotency_key: 'wire-visit-1',
      type: 'visit',
      customer: { id: customer.id },
    });
    expect(result.replayed).toBe(false);
    // The opening read (the tenant's version, the stored event, the customer locked, their
    // referral), carrying BEGIN; COMMIT carrying the event with its outcome and the stats.
    expect(recorded.sent).toHaveLength(2);
    expect(recorded.sent[0]).toMatch(
      /^\/\*laas:deferred\*\/BEGIN .*"tenants".*"events".*"customers".*for update/s,
    );
    const commit = recorded.sent.at(-1) as string;
    expect(commit).toMatch(/insert into .*"events"/);
    expect(commit).toMatch(/COMMIT$/);
    const stored = await engine.events.list(tenantId, { customer_id: customer.id }, { limit: 5 });
    expect(stored.items.map((e) => e.idempotency_key)).toEqual(['wire-visit-1', 'wire-warm']);
  });

  it('writes a held row once per round trip, and an event with its outcome in one insert', async () => {
    const engine = createEngine({ store });
    const points = await engine.rewards.create(tenantId, { name: 'Wire points', type: 'points', value: 1 });
    const budget = await engine.budgets.create(tenantId, {
      name: 'Wire budget',
      limit: 1_000_000,
      period: 'month',
    });
    for (const name of ['Base points', 'Bonus points']) {
      await engine.rules.create(tenantId, {
        name,
        event_types: ['purchase'],
        condition: true,
        quantity: 5,
        reward_id: points.id,
        budget_id: budget.id,
      });
    }
    const customer = await engine.customers.create(tenantId, { external_ref: 'wire-2' });
    const buy = (key: string) =>
      engine.ingest(tenantId, {
        idempotency_key: key,
        type: 'purchase',
        customer: { id: customer.id },
        data: { amount: 100 },
      });
    await buy('wire-buy-warm');
    recorded.sent.length = 0;
    const result = await buy('wire-buy-1');
    expect(result.issuances).toHaveLength(2);
    const commit = recorded.sent.at(-1) as string;
    // Stats, then two credits: one update of the customer, with its final values.
    expect(commit.match(/update "[^"]+"\."customers"/g)).toHaveLength(1);
    // Reserve (sent: its guard decides), then the move to utilized of each reward: the period's
    // later writes are one update.
    expect(commit.match(/update "[^"]+"\."budget_periods"/g)).toHaveLength(1);
    // The outcome went with the event's insert.
    expect(commit).not.toMatch(/update "[^"]+"\."events"/);
    const after = await engine.customers.get(tenantId, customer.id);
    expect(after.stats).toMatchObject({ total_spend: 200, points_balance: 20, counts: { purchase: 2 } });
    const stored = await engine.events.get(tenantId, result.event_id);
    expect(stored.outcome?.issuance_ids).toEqual(result.issuance_ids);
    const period = (await engine.budgets.get(tenantId, budget.id)) as unknown as { periods?: unknown };
    expect(period).toBeDefined();
  });

  it('sends nothing for a transaction that failed before its first statement', async () => {
    recorded.sent.length = 0;
    await expect(
      store.transaction(tenantId, async () => {
        throw new Error('refused before any read');
      }),
    ).rejects.toThrow('refused before any read');
    expect(recorded.sent).toEqual([]);
  });

  it('keeps a read-only transaction read-only', async () => {
    recorded.sent.length = 0;
    await expect(
      store.transaction(
        tenantId,
        async (tx) => {
          const tenant = await tx.tenants.get();
          if (!tenant) throw new Error('no tenant');
          await tx.tenants.update({ ...tenant, name: 'Renamed' });
        },
        { readOnly: true },
      ),
    ).rejects.toThrow(/read-only/);
    expect(recorded.sent[0]).toMatch(
      /^\/\*laas:deferred\*\/BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY; /,
    );
    expect(recorded.sent.at(-1)).toBe('ROLLBACK');
    // The same (only) connection serves the next transaction normally.
    expect((await store.transaction(tenantId, (tx) => tx.tenants.get()))?.name).toBe('Wire shop');
  });

  it('rolls back everything a failed body wrote', async () => {
    await expect(
      store.transaction(tenantId, async (tx) => {
        const tenant = await tx.tenants.get();
        if (!tenant) throw new Error('no tenant');
        await tx.tenants.update({ ...tenant, name: 'Half done' });
        throw new Error('the body failed');
      }),
    ).rejects.toThrow('the body failed');
    expect((await store.transaction(tenantId, (tx) => tx.tenants.get()))?.name).toBe('Wire shop');
  });

  it('leaves no tenant set on the connection once the transaction ends', async () => {
    await store.transaction(tenantId, (tx) => tx.tenants.get());
    // The pool has one connection: this is the one the transaction used.
    const { rows } = await recorded.pool.query<{ tenant: string | null }>(
      "SELECT nullif(current_setting('laas.tenant_id', true), '') AS tenant",
    );
    expect(rows[0]?.tenant).toBeNull();
  });

  it('refuses a tenant id that is not a UUID before anything is sent', async () => {
    recorded.sent.length = 0;
    await expect(store.transaction("x'); DROP TABLE tenants; --", async () => null)).rejects.toThrow(/UUID/);
    expect(recorded.sent).toEqual([]);
  });
});

describe.skipIf(!db.available)('postgres prepared statements (preparedStatements: true)', () => {
  let pool: pg.Pool;
  let store: ReturnType<typeof pgStore>;
  let engine: ReturnType<typeof createEngine>;
  let tenantId: string;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: db.appUrl, max: 1 });
    store = pgStore(pool, { schema: db.schema, preparedStatements: true });
    engine = createEngine({ store });
    tenantId = (await engine.tenants.create({ name: 'Prepared shop' })).id;
  });
  afterAll(async () => {
    await store?.close();
    await pool?.end();
  });

  const prepared = async () =>
    (
      await pool.query<{ name: string; statement: string }>(
        "SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'laas\\_%'",
      )
    ).rows;

  it('parses each statement once per connection and gives the same answers', async () => {
    const event = (i: number) => ({
      idempotency_key: `p-${i}`,
      type: 'visit',
      customer: { external_ref: 'c-1' },
    });
    await engine.ingest(tenantId, event(1));
    const afterOne = await prepared();
    expect(afterOne.length).toBeGreaterThan(0);
    await engine.ingest(tenantId, event(2));
    // The second ingest ran the same statements: nothing new to prepare.
    expect((await prepared()).length).toBe(afterOne.length);
    const customer = await engine.customers.list(tenantId, { external_ref: 'c-1' });
    expect(customer.items[0]?.stats.counts.visit).toBe(2);
    expect((await engine.ingest(tenantId, event(2))).replayed).toBe(true);
    // BEGIN and the tenant setting still travel as one unnamed multi-statement message.
    for (const row of await prepared()) expect(row.statement).not.toMatch(/^BEGIN/i);
  });
});
