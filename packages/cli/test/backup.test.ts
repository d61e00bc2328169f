/**
 * `laas backup`, as an operator runs it: SQLite — a copy of the file taken by another process
 * while `laas serve` ingests events over HTTP, which opens on its own with DESIGN.md's invariants
 * intact; PostgreSQL — the printed pg_dump command, run, and restored into a fresh database with
 * pg_restore as the README's "Backups" section says, where the store opens and the invariants hold.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_ROLE, migratePg, pgStore } from '@laas/adapters-pg';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine, type Engine } from '@laas/core';
import { expectInvariants, seedPointsAndVouchers } from '@laas/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { laas, ROOT, serve } from './helpers.js';

const PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgAvailable = process.env.LAAS_TEST_PG === 'on';
if (!pgAvailable) console.warn(`[cli] skipping laas backup on PostgreSQL: ${process.env.LAAS_TEST_PG}`);

interface PgClient {
  connect(): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: rows of every shape
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  end(): Promise<void>;
}
// pg is a dependency of @laas/adapters-pg, not of the CLI: load it from there (typed locally).
const pg = createRequire(join(ROOT, 'packages/adapters-pg/package.json'))('pg') as {
  Client: new (config: { connectionString: string }) => PgClient;
};

function as(url: string, user: string, database?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  if (database !== undefined) u.pathname = `/${database}`;
  return u.toString();
}

/** Points on purchases, a capped voucher from a hard budget: enough state for every invariant. */
async function programme(engine: Engine) {
  const tenant = await engine.tenants.create({ name: 'Backup shop', timezone: 'Africa/Accra' });
  const t = tenant.id;
  await seedPointsAndVouchers(engine, t, { budgetLimit: 800, codes: 12, codePrefix: 'K-', perCustomer: 1 });
  const { key } = await engine.apiKeys.create(t, { name: 'till', role: 'pos' });
  return { tenant, key };
}

const eventOf = (i: number) => ({
  type: i % 4 === 0 ? 'visit' : 'purchase',
  customer: { phone: `+23324400${String(i % 20).padStart(4, '0')}` },
  data: { amount: 150 + i },
});

describe('laas backup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laas-backup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help shows usage, the PostgreSQL caveat and examples', async () => {
    const r = await laas(['backup', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: laas backup');
    expect(r.stdout).toContain('BYPASSRLS');
    expect(r.stdout).toMatch(/Examples?:\n\s+\$ laas backup/);
    expect(r.stdout).toContain('Exit codes');
  });

  it('copies a SQLite file while laas serve ingests events; the copy opens with its invariants intact', async () => {
    const db = join(dir, 'live.sqlite');
    const out = join(dir, 'copies', '..', 'copy.sqlite');
    const setup = sqliteStore({ filename: db });
    await setup.migrate();
    const { tenant, key } = await programme(createEngine({ store: setup }));
    await setup.close();

    // No LAAS_SECRET_KEY: the server keeps its key in live.sqlite.secret-key, which the backup copies.
    const server = await serve(['--db', db, '--port', '0', '--host', '127.0.0.1'], {
      env: { LAAS_SECRET_KEY: '', LAAS_WORKER: 'off' },
    });
    let next = 0;
    try {
      const url = `${server.url}/v1/tenants/${tenant.id}/events`;
      let acknowledged = 0;
      const failures: string[] = [];
      // The tills keep ingesting until the backup process has exited (at most MAX events).
      const MAX = 5000;
      let backupDone = false;
      const till = async () => {
        while (!backupDone && next < MAX) {
          const i = next++;
          const res = await fetch(url, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              'idempotency-key': `b-${i}`,
            },
            body: JSON.stringify(eventOf(i)),
          });
          const text = await res.text();
          if (res.status !== 201) {
            failures.push(`${i}: ${res.status} ${text}`);
            return;
          }
          acknowledged += 1;
        }
      };
      // Four tills; the backup starts once 40 events are acknowledged, and they go on until it ends.
      const tills = [till(), till(), till(), till()];
      for (let i = 0; acknowledged < 40 && failures.length === 0 && i < 3000; i++)
        await new Promise((done) => setTimeout(done, 10));
      expect(failures).toEqual([]);
      const acknowledgedBefore = acknowledged;
      const backup = laas(['backup', '--db', db, '--out', out, '--json']).finally(() => {
        backupDone = true;
      });
      const [r] = await Promise.all([backup, ...tills]);
      const total = acknowledged;
      expect(failures).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ kind: 'sqlite', out, secretKey: `${out}.secret-key` });
      expect(report.bytes).toBe(statSync(out).size);
      expect(readFileSync(`${out}.secret-key`, 'utf8')).toBe(readFileSync(`${db}.secret-key`, 'utf8'));
      expect(statSync(`${out}.secret-key`).mode & 0o077).toBe(0);
      expect(total).toBe(next);

      const copy = sqliteStore({ filename: out });
      try {
        await copy.ping();
        const s = await expectInvariants(createEngine({ store: copy }), tenant.id, tenant.timezone);
        console.info(
          `[backup] the copy holds ${s.events.length} of ${total} events (${acknowledgedBefore} acknowledged when the backup started, ${total} when it ended)`,
        );
        expect(s.events.length).toBeGreaterThanOrEqual(acknowledgedBefore);
        expect(s.events.length).toBeLessThanOrEqual(total);
      } finally {
        await copy.close();
      }
    } finally {
      await server.stop();
    }
    const live = sqliteStore({ filename: db });
    try {
      const s = await expectInvariants(createEngine({ store: live }), tenant.id, tenant.timezone);
      expect(s.events).toHaveLength(next);
    } finally {
      await live.close();
    }
  });

  it('refuses a missing SQLite file (exit 1) and --schema on SQLite (exit 2)', async () => {
    const missing = await laas(['backup', '--db', join(dir, 'nope.sqlite'), '--out', join(dir, 'x.sqlite')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no database at');
    expect(existsSync(join(dir, 'x.sqlite'))).toBe(false);
    const schema = await laas(['backup', '--db', join(dir, 'live.sqlite'), '--schema', 'x', '--out', 'y']);
    expect(schema.code).toBe(2);
  });

  describe.skipIf(!pgAvailable)('on PostgreSQL', () => {
    const schema = `laas_bk_${randomBytes(5).toString('hex')}`;
    const restoredDb = `laas_restore_${randomBytes(5).toString('hex')}`;

    afterAll(async () => {
      const owner = new pg.Client({ connectionString: PG_URL });
      await owner.connect();
      await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await owner.query(`DROP DATABASE IF EXISTS "${restoredDb}"`);
      await owner.end();
    });

    it('prints the pg_dump command; its dump restores into a fresh database that keeps every invariant', async () => {
      await migratePg({ connectionString: PG_URL, schema, appRole: DEFAULT_APP_ROLE });
      const store = pgStore({ connectionString: as(PG_URL, DEFAULT_APP_ROLE), schema });
      const engine = createEngine({ store });
      let tenantId: string;
      let timezone: string;
      try {
        const { tenant } = await programme(engine);
        tenantId = tenant.id;
        timezone = tenant.timezone;
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            engine.ingest(tenant.id, { idempotency_key: `p-${i}`, ...eventOf(i) }),
          ),
        );
      } finally {
        await store.close();
      }

      const dump = join(dir, 'laas.dump');
      const printed = await laas(['backup', '--db', PG_URL, '--schema', schema, '--out', dump]);
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout.trim()).toBe(
        `pg_dump --format=custom --schema=${schema} --file=${dump} ${PG_URL}`,
      );
      const json = await laas(['backup', '--db', PG_URL, '--schema', schema, '--out', dump, '--json']);
      const { command } = JSON.parse(json.stdout) as { command: string[] };
      execFileSync(command[0] as string, command.slice(1), { stdio: 'pipe' });

      // The README's restore: an empty database, the roles already in the cluster, pg_restore as
      // the same owner, then `laas migrate` (a no-op that checks the schema and the grants).
      const owner = new pg.Client({ connectionString: PG_URL });
      await owner.connect();
      await owner.query(`CREATE DATABASE "${restoredDb}"`);
      await owner.end();
      const restoredOwnerUrl = as(PG_URL, new URL(PG_URL).username, restoredDb);
      execFileSync('pg_restore', ['--exit-on-error', `--dbname=${restoredOwnerUrl}`, dump], {
        stdio: 'pipe',
      });
      const migrate = await laas(['migrate', '--db', restoredOwnerUrl, '--schema', schema, '--json']);
      expect(migrate.code, migrate.stderr).toBe(0);

      const restored = pgStore({ connectionString: as(PG_URL, DEFAULT_APP_ROLE, restoredDb), schema });
      try {
        await restored.ping();
        const s = await expectInvariants(createEngine({ store: restored }), tenantId, timezone);
        expect(s.events).toHaveLength(40);
        expect(s.issuances.length).toBeGreaterThan(0);
      } finally {
        await restored.close();
      }
    });
  });
});
