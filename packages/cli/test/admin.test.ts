import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, laas, ROOT, serve } from './helpers.js';

const NEW_COMMANDS = ['migrate', 'tenant create', 'key create', 'push', 'pull', 'serve'];

describe('new commands: --help', () => {
  it.each(NEW_COMMANDS)('%s --help shows usage and an example', async (command) => {
    const r = await laas([...command.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: laas ${command}`);
    expect(r.stdout).toMatch(/Examples?:\n\s+\$ laas /);
  });
});

describe('laas migrate / tenant create / key create on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laas-admin-'));
  const db = join(dir, 'sub', 'laas.sqlite');

  it('refuses a database that does not exist or is not migrated (exit 1), and a missing --db (exit 2)', async () => {
    const r = await laas(['tenant', 'create', '--db', db, '--name', 'Kofi']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('laas migrate --db');
    const noDb = await laas(['tenant', 'create', '--name', 'Kofi'], { env: { LAAS_DATABASE_URL: '' } });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('--db');
  });

  it('migrates (twice: a no-op), creates a tenant and keys that the server accepts', async () => {
    for (let i = 0; i < 2; i++) {
      const m = await laas(['migrate', '--db', db]);
      expect(m.code, m.stderr).toBe(0);
      expect(m.stdout).toContain(`migrated ${db}`);
    }
    const t = await laas([
      'tenant',
      'create',
      '--db',
      db,
      '--name',
      'Kofi Coffee',
      '--timezone',
      'Africa/Accra',
      '--json',
    ]);
    expect(t.code, t.stderr).toBe(0);
    const tenant = JSON.parse(t.stdout);
    expect(tenant).toMatchObject({ name: 'Kofi Coffee', timezone: 'Africa/Accra' });
    const human = await laas(['tenant', 'create', '--db', db, '--name', 'Second']);
    expect(human.stdout).toMatch(/^created tenant "Second" \(UTC\): [0-9a-f-]{36}\n$/);

    const k = await laas([
      'key',
      'create',
      '--db',
      db,
      '--tenant',
      tenant.id,
      '--role',
      'pos',
      '--name',
      'till 1',
      '--json',
    ]);
    expect(k.code, k.stderr).toBe(0);
    const created = JSON.parse(k.stdout);
    expect(created.key).toMatch(/^laas_/);
    expect(created.api_key).toMatchObject({ name: 'till 1', role: 'pos', tenant_id: tenant.id });
    expect(created.api_key.key_hash).toBeUndefined();
    const plain = await laas(['key', 'create', '--db', db, '--tenant', tenant.id, '--role', 'admin']);
    expect(plain.code).toBe(0);
    const adminKey = plain.stdout.trim().split('\n').at(-1) as string;
    expect(adminKey).toMatch(/^laas_/);

    expect((await laas(['key', 'create', '--db', db, '--tenant', tenant.id, '--role', 'boss'])).code).toBe(2);
    const unknown = await laas([
      'key',
      'create',
      '--db',
      db,
      '--tenant',
      '0192f1a0-0000-7000-8000-00000000ffff',
      '--role',
      'pos',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not found');
    const badZone = await laas(['tenant', 'create', '--db', db, '--name', 'X', '--timezone', 'Mars/Olympus']);
    expect(badZone.code).toBe(1);

    // The keys work against a server on the same database.
    const server = await serve(['--db', db, '--port', '0'], { env: { LAAS_ADMIN_TOKEN: 'admin-token' } });
    try {
      const base = `${server.url}/v1/tenants/${tenant.id}`;
      const event = await api(
        `${base}/events`,
        created.key,
        'POST',
        { type: 'visit', customer: { external_ref: 'ama' } },
        {
          'idempotency-key': 'v1',
        },
      );
      expect(event.status).toBe(201);
      const keys = await api(`${base}/api-keys`, adminKey);
      expect(keys.body.items).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });
});

// --- PostgreSQL: a fresh schema on LAAS_TEST_PG_URL --------------------------------------------

const PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}
// pg is a dependency of @laas/adapters-pg, not of the CLI: load it from there (typed locally).
const pg = createRequire(join(ROOT, 'packages/adapters-pg/package.json'))('pg') as {
  Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient;
};

// Decided once per run by the global setup (vitest.postgres.ts): required under CI.
const pgAvailable = process.env.LAAS_TEST_PG === 'on';
if (!pgAvailable) console.warn(`[cli] skipping laas migrate on PostgreSQL: ${process.env.LAAS_TEST_PG}`);

function as(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

describe.skipIf(!pgAvailable)('laas migrate / tenant / key on PostgreSQL', () => {
  const schema = `laas_cli_${randomBytes(5).toString('hex')}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('migrates a fresh schema as the owner, then creates a tenant and a key as the application role', async () => {
    for (let i = 0; i < 2; i++) {
      const m = await laas(['migrate', '--db', PG_URL, '--schema', schema, '--json']);
      expect(m.code, m.stderr).toBe(0);
      expect(JSON.parse(m.stdout)).toMatchObject({ kind: 'postgres', schema });
    }
    const appUrl = as(PG_URL, 'laas_app');
    const t = await laas([
      'tenant',
      'create',
      '--db',
      appUrl,
      '--schema',
      schema,
      '--name',
      'Kofi',
      '--json',
    ]);
    expect(t.code, t.stderr).toBe(0);
    const tenant = JSON.parse(t.stdout);
    const k = await laas([
      'key',
      'create',
      '--db',
      appUrl,
      '--schema',
      schema,
      '--tenant',
      tenant.id,
      '--role',
      'viewer',
      '--json',
    ]);
    expect(k.code, k.stderr).toBe(0);
    expect(JSON.parse(k.stdout).api_key.role).toBe('viewer');

    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const rows = await client.query(`SELECT name FROM ${schema}.tenants WHERE id = $1`, [tenant.id]);
      expect(rows.rows).toEqual([{ name: 'Kofi' }]);
    } finally {
      await client.end();
    }
    // Another schema was not touched: it is not migrated, so the tenant command refuses it.
    const other = await laas([
      'tenant',
      'create',
      '--db',
      appUrl,
      '--schema',
      `${schema}_none`,
      '--name',
      'X',
    ]);
    expect(other.code).toBe(1);
  });
});
