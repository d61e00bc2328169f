/** What the conformance suite does not see: pools, read-only transactions, the tenant setting. */
import { DEFAULT_TENANT_SETTINGS, newId, ValidationError } from '@laas/core';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgStore } from '../src/index.js';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const NOW = '2026-11-22T10:00:00.000Z';
const tenant = (id: string) => ({
  id,
  name: 'T',
  timezone: 'UTC',
  settings: { ...DEFAULT_TENANT_SETTINGS },
  created_at: NOW,
});

describe.skipIf(!db.available)('pgStore', () => {
  it('uses a pool it is given without ending it or changing its type parsers', async () => {
    const pool = new pg.Pool({ connectionString: db.appUrl, max: 2 });
    const store = pgStore(pool, { schema: db.schema });
    const t = newId();
    await store.transaction(t, (tx) => tx.tenants.insert(tenant(t)));
    expect(await store.platform.getTenant(t)).toEqual(tenant(t));
    await store.close();
    const { rows } = await pool.query<{ n: unknown; at: unknown }>(`SELECT 1::bigint AS n, now() AS at`);
    expect(rows[0]?.n).toBe('1');
    expect(rows[0]?.at).toBeInstanceOf(Date);
    await pool.end();
    await expect(store.transaction(t, async () => 1)).rejects.toThrow(/closed/);
  });

  it('sets the tenant for the transaction only, and rolls back on throw', async () => {
    const store = pgStore({ connectionString: db.appUrl, schema: db.schema, pool: { max: 1 } });
    try {
      const t = newId();
      await store.transaction(t, (tx) => tx.tenants.insert(tenant(t)));
      // The pool has one connection: the one the transaction ran on. Its setting was local to it.
      const { rows } = await sql<{ v: string | null }>`
        SELECT current_setting('laas.tenant_id', true) AS v`.execute(store.db);
      expect(rows[0]?.v ?? '').toBe('');
      await expect(
        store.transaction(t, async (tx) => {
          await tx.outbox.append({
            id: newId(),
            tenant_id: t,
            type: 'reward.issued',
            data: {},
            created_at: NOW,
          });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await store.transaction(t, (tx) => tx.outbox.list({ limit: 10 }))).items).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a read-only transaction refuses writes; a tenant id must be a UUID', async () => {
    const store = pgStore({ connectionString: db.appUrl, schema: db.schema });
    try {
      const t = newId();
      await expect(
        store.transaction(t, (tx) => tx.tenants.insert(tenant(t)), { readOnly: true }),
      ).rejects.toMatchObject({ code: '25006' });
      await expect(store.transaction('not-a-uuid', async () => 1)).rejects.toBeInstanceOf(ValidationError);
      expect(await store.platform.getTenant('not-a-uuid')).toBeNull();
    } finally {
      await store.close();
    }
  });
});
