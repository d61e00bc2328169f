/**
 * One PostgreSQL schema per test file. Reads LAAS_TEST_PG_URL (an owner connection; default
 * `postgres://postgres@127.0.0.1:5432/postgres`). When no server answers, the file's tests are
 * skipped with a printed notice — unless under CI, where the global setup fails the run first.
 *
 * Usage:
 *   const db = pgTestDb();
 *   describe.skipIf(!db.available)(...)   // or it.skipIf
 *   ... db.ownerUrl, db.appUrl, db.schema inside tests (after beforeAll).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_APP_ROLE, migratePg } from '../src/index.js';

export const TEST_PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const APP_ROLE = DEFAULT_APP_ROLE;

/** The owner URL with the user (and password) replaced: how the store connects as the app role. */
export function urlAs(url: string, user: string, password?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password ?? '';
  return u.toString();
}

/**
 * Whether the PostgreSQL tests run is decided once per run by the global setup (vitest.postgres.ts):
 * `on`, or `off: <why>` (only outside CI, where it printed why).
 */
export const PG_AVAILABLE = process.env.LAAS_TEST_PG === 'on';
if (!PG_AVAILABLE) console.warn(`[adapters-pg] skipping the PostgreSQL tests: ${process.env.LAAS_TEST_PG}`);

export interface PgTestDb {
  /** False when the tests of the file must be skipped (no server, and not CI). */
  readonly available: boolean;
  readonly schema: string;
  readonly ownerUrl: string;
  /** The application role's URL: what the store connects with. */
  readonly appUrl: string;
  /** A client connected as the owner (superuser), for seeding and catalog queries. */
  owner(): pg.Client;
}

/** Registers beforeAll/afterAll creating and dropping a freshly migrated schema for this file. */
export function pgTestDb(options: { migrate?: boolean } = {}): PgTestDb {
  const schema = `laas_t_${randomBytes(6).toString('hex')}`;
  const available = PG_AVAILABLE;
  let ownerClient: pg.Client | undefined;

  beforeAll(async () => {
    if (!available) return;
    ownerClient = new pg.Client({ connectionString: TEST_PG_URL });
    await ownerClient.connect();
    if (options.migrate !== false)
      await migratePg({ connectionString: TEST_PG_URL, schema, appRole: APP_ROLE });
  });

  afterAll(async () => {
    if (!ownerClient) return;
    await ownerClient.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await ownerClient.end();
  });

  return {
    available,
    schema,
    ownerUrl: TEST_PG_URL,
    appUrl: urlAs(TEST_PG_URL, APP_ROLE),
    owner() {
      if (!ownerClient)
        throw new Error('no PostgreSQL connection (beforeAll did not run or the server is down)');
      return ownerClient;
    },
  };
}
