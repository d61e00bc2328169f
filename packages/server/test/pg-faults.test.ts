/**
 * Black box: `laas serve` on PostgreSQL, in a child process, under 8 concurrent clients posting
 * events, while the test terminates the server's database connections again and again (what a
 * failover, a restart or an idle-session killer does). Only this server's connections are
 * terminated: it connects with an application_name unique to this test (other test files share
 * the PostgreSQL server).
 *
 * The process stays up; every answer is 201, 200 or 503 (never 500, never a hang); every event
 * answered 503 and sent again with its Idempotency-Key is applied exactly once; /health answers
 * throughout and /ready is 200 after; the money invariants and "no event without its outcome" hold.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DEFAULT_APP_ROLE, migratePg, pgStore } from '@laas/adapters-pg';
import { createEngine } from '@laas/core';
import { expectInvariants } from '@laas/core/testing';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/index.js';
import { type Json, STORE_KINDS, TEST_PG_URL } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const onPostgres = STORE_KINDS.includes('postgres');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function appUrl(tag: string): string {
  const u = new URL(TEST_PG_URL);
  u.username = DEFAULT_APP_ROLE;
  u.password = '';
  u.searchParams.set('application_name', tag);
  return u.toString();
}

describe.skipIf(!onPostgres)('the server on PostgreSQL while its connections are terminated', () => {
  const schema = `laas_t_${randomBytes(6).toString('hex')}`;
  const tag = `laas_fault_http_${randomBytes(4).toString('hex')}`;
  const token = `fault-admin-${randomBytes(8).toString('hex')}`;
  const owner = new pg.Client({ connectionString: TEST_PG_URL });
  let child: ChildProcess | undefined;
  let output = '';
  let url = '';

  beforeAll(async () => {
    await owner.connect();
    await migratePg({ connectionString: TEST_PG_URL, schema, appRole: DEFAULT_APP_ROLE });
    child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      env: {
        ...process.env,
        LAAS_DATABASE_URL: appUrl(tag),
        LAAS_MIGRATE_DATABASE_URL: TEST_PG_URL,
        LAAS_PG_SCHEMA: schema,
        LAAS_ADMIN_TOKEN: token,
        LAAS_RATE_LIMIT: 'off',
        LAAS_LOG_LEVEL: 'info',
        LAAS_WORKER_INTERVAL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => {
      output += String(d);
    });
    child.stderr?.on('data', (d) => {
      output += String(d);
    });
    url = await new Promise<string>((done, fail) => {
      const timer = setInterval(() => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (m) {
          clearInterval(timer);
          done(m[1] as string);
        }
      }, 50);
      setTimeout(() => fail(new Error(`the server did not start: ${output.slice(-2000)}`)), 30_000);
    });
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await owner.end();
  });

  async function call(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json; headers: Headers }> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  it('stays up, answers 201/200/503 only, and applies every retried event exactly once', async () => {
    const tenant = (await call('POST', '/v1/tenants', token, { name: 'Fault shop' })).body;
    const key = (
      await call('POST', `/v1/tenants/${tenant.id}/api-keys`, token, { name: 'till', role: 'admin' })
    ).body.key as string;
    const reward = (
      await call('POST', `/v1/tenants/${tenant.id}/rewards`, key, { name: 'Coffee', type: 'item' })
    ).body;
    const rule = await call('POST', `/v1/tenants/${tenant.id}/rules`, key, {
      name: 'Every 2nd visit',
      event_types: ['visit'],
      reward_id: reward.id,
      condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 2] }, 0] },
    });
    expect(rule.status).toBe(201);

    const statuses = new Map<number, number>();
    const unavailable: string[] = [];
    let hangs = 0;
    let retryAfterMissing = 0;
    const event = (k: string, n: number) => ({
      type: 'visit',
      customer: { phone: `+2637730${String(n % 40).padStart(5, '0')}` },
      data: { k },
    });
    const post = async (k: string, n: number) => {
      try {
        const r = await call('POST', `/v1/tenants/${tenant.id}/events`, key, event(k, n), {
          'idempotency-key': k,
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 503) {
          unavailable.push(k);
          if (r.headers.get('retry-after') === null || r.body?.error?.code !== 'STORE_UNAVAILABLE')
            retryAfterMissing++;
        }
        return r.status;
      } catch {
        hangs++;
        unavailable.push(k);
        return 0;
      }
    };

    let loadDone = false;
    const perClient = 40;
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < perClient; i++) await post(`fault-${c}-${i}`, c * perClient + i);
      }),
    ).finally(() => {
      loadDone = true;
    });

    let terminated = 0;
    let healthFailures = 0;
    // Chaos on purpose: terminations every 300 ms under load (what is tested is the answers and the
    // data, not any timing).
    for (let i = 0; i < 10 && !loadDone; i++) {
      await sleep(300);
      const { rows } = await owner.query(
        'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1',
        [tag],
      );
      terminated += Number(rows[0].n);
      const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      if (health?.status !== 200) healthFailures++;
    }
    await load;

    // Every 503 sent again with its key, after the fault: applied once, or its stored answer.
    const retried = new Map<number, number>();
    for (const k of unavailable) {
      const n = Number(k.split('-')[2]) + Number(k.split('-')[1]) * perClient;
      const r = await call('POST', `/v1/tenants/${tenant.id}/events`, key, event(k, n), {
        'idempotency-key': k,
      });
      retried.set(r.status, (retried.get(r.status) ?? 0) + 1);
    }
    const total = 8 * perClient;
    console.log(
      `[pg-faults] ${total} events, ${terminated} backends terminated; answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `hangs ${hangs}; 503s retried after: ${JSON.stringify(Object.fromEntries(retried))}; process exits 0 so far: ${child?.exitCode === null}`,
    );

    expect(child?.exitCode).toBeNull();
    expect(hangs).toBe(0);
    expect(healthFailures).toBe(0);
    expect([...statuses.keys()].every((s) => s === 201 || s === 200 || s === 503)).toBe(true);
    expect(retryAfterMissing).toBe(0);
    expect([...retried.keys()].every((s) => s === 201 || s === 200)).toBe(true);
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    // Requests after the fault succeed; each event is stored once, with its outcome.
    const after = await call('POST', `/v1/tenants/${tenant.id}/events`, key, event('after', 1), {
      'idempotency-key': 'after',
    });
    expect(after.status).toBe(201);

    const store = pgStore({ connectionString: appUrl(`${tag}_check`), schema });
    try {
      const engine = createEngine({ store });
      const s = await expectInvariants(engine, tenant.id, 'UTC');
      const keys = s.events.map((e) => e.idempotency_key).filter((k) => k.startsWith('fault-'));
      expect(keys.length).toBe(total);
      expect(new Set(keys).size).toBe(total);
      expect(s.events.every((e) => e.outcome !== null)).toBe(true);
    } finally {
      await store.close();
    }
    expect(output).not.toMatch(/Emitted 'error' event|Unhandled/);
  }, 180_000);
});

describe('/ready and /health while PostgreSQL cannot be reached', () => {
  it('/ready answers 503 quickly and /health 200; an API request answers 503 STORE_UNAVAILABLE with Retry-After', async () => {
    const store = pgStore({
      connectionString: 'postgres://laas_app@127.0.0.1:1/nowhere',
      pool: { max: 2, acquireTimeoutMs: 1000 },
    });
    const app = createServer({
      engine: createEngine({ store }),
      store,
      config: { adminToken: 'ready-admin', logger: pino({ level: 'silent' }) },
    });
    try {
      expect((await app.request('/ready')).status).toBe(503);
      expect((await app.request('/health')).status).toBe(200);
      const tenants = await app.request('/v1/tenants', { headers: { authorization: 'Bearer ready-admin' } });
      expect(tenants.status).toBe(503);
      expect(tenants.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await tenants.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
    } finally {
      await store.close();
    }
  });
});
