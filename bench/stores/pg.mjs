// PostgreSQL for the ingest benchmarks: a fresh schema made by the product's migrations (migratePg),
// the SDK on pgStore as the app role, the floor's functions (floor/pg-floor.mjs) and a bare table.

import { migratePg, pgStore } from '@laas/adapters-pg';
import { createEngine } from '@laas/core';
import pg from 'pg';
import { installPgFloor, pgFloor } from '../floor/pg-floor.mjs';
import { loadConfig } from '../floor/plan.mjs';
import { seedTenant } from '../workload.mjs';

export const PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const APP_ROLE = 'laas_app';

function appUrl() {
  const url = new URL(PG_URL);
  url.username = APP_ROLE;
  return url.toString();
}

/**
 * Opens a fresh schema with `concurrency` connections per variant; `seed` seeds one tenant per
 * variant (the SDK's and the floor's see the same events, so they hold the same state).
 */
export async function openPg({ concurrency, label, storeOptions = {} }) {
  const schema = `laas_bench_${label}_${process.pid}`;
  await migratePg({ connectionString: PG_URL, schema });
  const owner = new pg.Pool({
    connectionString: PG_URL,
    max: concurrency,
    options: `-c search_path=${schema}`,
  });
  await installPgFloor(owner, schema, APP_ROLE);
  await owner.query(
    `CREATE TABLE ${schema}.bare_events (tenant_id uuid NOT NULL, id text NOT NULL, type text NOT NULL, data jsonb NOT NULL, occurred_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, id))`,
  );
  const store = pgStore({ connectionString: appUrl(), schema, pool: { max: concurrency }, ...storeOptions });
  const engine = createEngine({ store });
  const floorPool = new pg.Pool({ connectionString: appUrl(), max: concurrency });
  const bareTenant = '00000000-0000-7000-8000-000000000001';
  return {
    schema,
    engine,
    query: async (text, params) => {
      let i = 0;
      return (
        await owner.query(
          text.replace(/\?/g, () => `$${++i}`),
          params,
        )
      ).rows;
    },
    async seed(customers) {
      const sdk = await seedTenant(engine, { customers, concurrency });
      const floor = await seedTenant(engine, { customers, concurrency });
      const config = await loadConfig(engine, floor);
      return {
        sdk: (input) => engine.ingest(sdk, input),
        floor: pgFloor(floorPool, schema, config),
        tenants: { sdk, floor },
      };
    },
    /** A bare one-row insert in its own transaction (BEGIN, INSERT, COMMIT on one client). */
    async bare(key) {
      const client = await owner.connect();
      try {
        await client.query('BEGIN');
        await client.query(`INSERT INTO ${schema}.bare_events VALUES ($1, $2, $3, $4, now())`, [
          bareTenant,
          key,
          'purchase',
          JSON.stringify({ amount: 1 }),
        ]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    },
    async close() {
      await store.close();
      await floorPool.end();
      await owner.query(`DROP SCHEMA ${schema} CASCADE`);
      await owner.end();
    },
  };
}
