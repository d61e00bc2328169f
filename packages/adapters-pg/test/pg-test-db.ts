/**
 * One PostgreSQL schema per test file. Reads LAAS_TEST_PG_URL (an owner connection; default
 * `postgres://postgres@127.0.0.1:5432/postgres`). When no server answers, the file's tests are
 * skipped with a printed notice — unless `CI=true`, where the missing database fails the run.
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

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

// Top-level await: decided once per file, before the tests are collected, so skipIf can use it.
const unreachable = await reachable(TEST_PG_URL);
if (unreachable !== null && process.env.CI !== 'true') {
  console.warn(
    `[adapters-pg] PostgreSQL at ${TEST_PG_URL} is not reachable (${unreachable}): skipping the PostgreSQL tests. ` +
      'Start it (see TOOLCHAIN.md) or set LAAS_TEST_PG_URL.',
  );
}

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
  // Under CI the tests are never skipped: they run, and beforeAll fails them.
  const available = unreachable === null || process.env.CI === 'true';
  let ownerClient: pg.Client | undefined;

  beforeAll(async () => {
    if (unreachable !== null) {
      if (process.env.CI === 'true') {
        throw new Error(`CI=true but PostgreSQL at ${TEST_PG_URL} is not reachable: ${unreachable}`);
      }
      return;
    }
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
