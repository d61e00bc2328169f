/**
 * SQLite's faults, as a self-hoster meets them: the disk fills up, another process holds the
 * write lock, the file is read-only. Each answers STORE_UNAVAILABLE (503 with Retry-After) or a
 * clear start-up error; nothing is corrupted or half-written; service resumes when the cause goes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine, type Engine, StoreUnavailableError } from '@laas/core';
import { expectInvariants } from '@laas/core/testing';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'laas-sqlite-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'sqlite-faults-admin';

async function world(file: string, pragmas = {}) {
  const store = sqliteStore({ filename: file, pragmas });
  await store.migrate();
  const engine = createEngine({ store });
  const tenant = await engine.tenants.create({ name: 'Corner shop' });
  const reward = await engine.rewards.create(tenant.id, { name: 'Points', type: 'points', value: 1 });
  await engine.rules.create(tenant.id, {
    name: 'points',
    event_types: ['purchase'],
    reward_id: reward.id,
    quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
  });
  const app = createServer({
    engine,
    store,
    config: { adminToken: TOKEN, logger: pino({ level: 'silent' }) },
  });
  return { store, engine, tenant, app };
}

const purchase = (n: number) => ({
  type: 'purchase',
  customer: { phone: `+2637740${String(n % 50).padStart(5, '0')}` },
  data: { amount: 1000 + n, note: 'x'.repeat(1500) },
});

function post(app: ReturnType<typeof createServer>, tenantId: string, n: number) {
  return app.request(`/v1/tenants/${tenantId}/events`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': `e-${n}`,
    },
    body: JSON.stringify(purchase(n)),
  });
}

async function storedKeys(engine: Engine, tenantId: string): Promise<string[]> {
  const s = await expectInvariants(engine, tenantId, 'UTC');
  expect(s.events.every((e) => e.outcome !== null)).toBe(true);
  return s.events.map((e) => e.idempotency_key);
}

describe('SQLite faults', () => {
  it('a full disk answers 503 STORE_UNAVAILABLE, corrupts nothing, and recovers when space returns', async () => {
    const { store, engine, tenant, app } = await world(join(dir, 'full.sqlite'));
    for (let n = 0; n < 5; n++) expect((await post(app, tenant.id, n)).status).toBe(201);

    // The disk is full: the file may not grow by a single page.
    const pages = store.connection.pragma('page_count', { simple: true }) as number;
    store.connection.pragma(`max_page_count = ${pages}`);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(app, tenant.id, 100 + i)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
    expect(statuses).toContain(503);
    const refused = answers.find((a) => a.status === 503);
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = (await refused?.json()) as {
      error: { code: string; message: string; details: { reason: string } };
    };
    expect(body.error.code).toBe('STORE_UNAVAILABLE');
    expect(body.error.details.reason).toBe('disk_full');
    expect(body.error.message).toMatch(/disk is full/);

    // Intact: the integrity check passes, and exactly the events answered 201 are stored, whole.
    expect(store.connection.pragma('integrity_check', { simple: true })).toBe('ok');
    const accepted = answers.flatMap((a, i) => (a.status === 201 ? [`e-${100 + i}`] : []));
    const keys = await storedKeys(engine, tenant.id);
    expect(keys.sort()).toEqual([...['e-0', 'e-1', 'e-2', 'e-3', 'e-4'], ...accepted].sort());

    // Space returns: the refused events go through on retry, without a restart.
    store.connection.pragma('max_page_count = 1073741823');
    for (let i = 0; i < 40; i++) {
      const again = await post(app, tenant.id, 100 + i);
      expect([200, 201]).toContain(again.status);
    }
    expect((await storedKeys(engine, tenant.id)).length).toBe(45);
    await store.close();
  });

  it('a write lock held by another process past busy_timeout answers 503 with Retry-After, then recovers', async () => {
    const file = join(dir, 'locked.sqlite');
    const { store, engine, tenant, app } = await world(file, { busyTimeoutMs: 100 });
    const other = sqliteStore({ filename: file });
    other.connection.exec('BEGIN IMMEDIATE');
    try {
      // Answered while the other process still holds its lock: bounded by busy_timeout and the
      // engine's few retries, not by the other process.
      const res = await post(app, tenant.id, 1);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
    } finally {
      other.connection.exec('ROLLBACK');
      await other.close();
    }
    expect((await post(app, tenant.id, 1)).status).toBe(201);
    expect(await storedKeys(engine, tenant.id)).toEqual(['e-1']);
    await store.close();
  });

  describe('a read-only database file', () => {
    const file = join(dir, 'readonly.sqlite');
    let immutable = false;

    afterAll(() => {
      if (immutable) execFileSync('chattr', ['-i', file]);
    });

    it('is a clear start-up error, not a failure on the first write', async () => {
      const made = sqliteStore({ filename: file });
      await made.migrate();
      await made.close();
      // Tests run as root, whom file modes do not stop: the immutable attribute does (ext4, this
      // machine's /tmp), as a read-only mount would.
      execFileSync('chattr', ['+i', file]);
      immutable = true;

      const store = sqliteStore({ filename: file });
      const error = await store.migrate().catch((e: unknown) => e);
      await store.close();
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).details).toMatchObject({ reason: 'read_only' });

      const run = spawnSync(
        process.execPath,
        [BIN, 'serve', '--db', file, '--port', '0', '--host', '127.0.0.1'],
        {
          env: { ...process.env, LAAS_ADMIN_TOKEN: TOKEN },
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      expect(run.signal).toBeNull();
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(file);
      expect(run.stderr).toMatch(/read-only/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).not.toContain('listening');
    });
  });
});
