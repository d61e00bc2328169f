/**
 * What a transaction sends to PostgreSQL: BEGIN and the tenant setting in one message, and the
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

  it('opens a transaction with one message that begins it and sets the tenant', async () => {
    recorded.sent.length = 0;
    const tenant = await store.transaction(tenantId, (tx) => tx.tenants.get());
    // Row-level security let the tenant's own row through: the setting was in effect.
    expect(tenant?.id).toBe(tenantId);
    expect(recorded.sent).toHaveLength(3);
    const [begin, , commit] = recorded.sent;
    expect(begin).toMatch(
      /^BEGIN ISOLATION LEVEL READ COMMITTED; SELECT set_config\('laas\.tenant_id', '[^']+', true\)$/,
    );
    expect(begin).toContain(tenantId);
    expect(commit).toBe('COMMIT');
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
    expect(recorded.sent[0]).toMatch(/^BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY; /);
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
