import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { DEFAULT_APP_ROLE, migratePg } from './packages/adapters-pg/src/index.js';

/**
 * Vitest global setup: decides once, for every test file, whether the PostgreSQL tests run.
 *
 * The probe is what the tests do: migrate a throwaway schema as the owner (LAAS_TEST_PG_URL), then
 * query as the application role the stores connect with. Under any truthy CI (`true`, `1`, `yes`)
 * PostgreSQL is required: a failed probe fails the run before a test starts. Elsewhere the
 * PostgreSQL tests are skipped, with this notice printed once.
 *
 * The answer reaches the test files as LAAS_TEST_PG (`on` or `off: <reason>`), set here before the
 * workers start, with LAAS_TEST_PG_URL; and LAAS_TEST_REQUIRED=1 under CI, for the other
 * requirements a test may skip without elsewhere (Chromium).
 */
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function ciRequiresPostgres(ci = process.env.CI): boolean {
  const value = (ci ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

async function probe(ownerUrl: string): Promise<string | null> {
  // pg is a dependency of the adapter, not of the workspace root.
  const pg = createRequire(new URL('./packages/adapters-pg/package.json', import.meta.url))('pg');
  const schema = `laas_probe_${randomBytes(5).toString('hex')}`;
  const appUrl = new URL(ownerUrl);
  appUrl.username = DEFAULT_APP_ROLE;
  appUrl.password = '';
  const owner = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: 5000 });
  try {
    await owner.connect();
    await migratePg({ connectionString: ownerUrl, schema, appRole: DEFAULT_APP_ROLE });
    const app = new pg.Client({ connectionString: appUrl.toString(), connectionTimeoutMillis: 5000 });
    try {
      await app.connect();
      await app.query(`SELECT count(*) FROM "${schema}".tenants`);
    } finally {
      await app.end().catch(() => {});
    }
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await owner.end().catch(() => {});
  }
}

export default async function setup(): Promise<void> {
  const url = process.env.LAAS_TEST_PG_URL ?? DEFAULT_URL;
  process.env.LAAS_TEST_PG_URL = url;
  process.env.LAAS_TEST_REQUIRED = ciRequiresPostgres() ? '1' : '0';
  const failure = await probe(url);
  if (failure === null) {
    process.env.LAAS_TEST_PG = 'on';
    return;
  }
  const why = `PostgreSQL at ${url} did not answer as the app role "${DEFAULT_APP_ROLE}": ${failure}`;
  if (ciRequiresPostgres()) {
    throw new Error(`CI=${process.env.CI} requires the PostgreSQL tests, but ${why}`);
  }
  process.env.LAAS_TEST_PG = `off: ${why}`;
  process.stderr.write(
    `[postgres] ${why}\n[postgres] every PostgreSQL test is skipped; start PostgreSQL (see TOOLCHAIN.md) or set LAAS_TEST_PG_URL\n`,
  );
}
