// SQLite for the ingest benchmarks: a fresh file made by the product's migrations
// (sqliteStore().migrate()), the SDK on it, the floor's own connection to the same file
// (floor/sqlite-floor.mjs) and a bare one-row commit on a file of its own.
import { rmSync } from 'node:fs';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine } from '@laas/core';
import Database from 'better-sqlite3';
import { loadConfig } from '../floor/plan.mjs';
import { sqliteFloor } from '../floor/sqlite-floor.mjs';
import { seedTenant } from '../workload.mjs';

const removeDb = (file) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
};

function bareDb(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE events (tenant_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, ' +
      'occurred_at TEXT NOT NULL, PRIMARY KEY (tenant_id, id)) STRICT',
  );
  return db;
}

export async function openSqlite({ label, storeOptions = {} }) {
  const file = `/tmp/laas-bench-${label}-${process.pid}.sqlite`;
  const bareFile = `/tmp/laas-bench-${label}-bare-${process.pid}.sqlite`;
  removeDb(file);
  removeDb(bareFile);
  const store = sqliteStore({ filename: file, ...storeOptions });
  await store.migrate();
  const engine = createEngine({ store });
  const bare = bareDb(bareFile);
  const insertBare = bare.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
  let floor = null;
  return {
    engine,
    query: async (sql, params) => floor.db.prepare(sql).all(params),
    async seed(customers) {
      const sdk = await seedTenant(engine, { customers });
      const floorTenant = await seedTenant(engine, { customers });
      floor = sqliteFloor(file, await loadConfig(engine, floorTenant));
      return {
        sdk: (input) => engine.ingest(sdk, input),
        floor: floor.ingest,
        tenants: { sdk, floor: floorTenant },
      };
    },
    /** A bare one-row insert in its own transaction (BEGIN IMMEDIATE, INSERT, COMMIT). */
    async bare(key) {
      bare.exec('BEGIN IMMEDIATE');
      insertBare.run('t', key, 'purchase', JSON.stringify({ amount: 1 }), new Date().toISOString());
      bare.exec('COMMIT');
    },
    async close() {
      floor?.close();
      await store.close();
      bare.close();
      removeDb(file);
      removeDb(bareFile);
    },
  };
}
