/**
 * The database goes away or gets stuck; the host process must not. Real PostgreSQL, and only our
 * own connections are terminated: each store here tags its connections with an application_name
 * unique to this file, and the test terminates exactly those (other test files share the server).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createEngine, createWorker, StoreUnavailableError } from '@laas/core';
import { expectInvariants } from '@laas/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pgStore } from '../src/index.js';
// @ts-expect-error plain JavaScript fixture shared with the child process
import { seedScarceWorld } from './fixtures/world.mjs';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const loop = fileURLToPath(new URL('./fixtures/fault-loop.mjs', import.meta.url));

/** The app role's URL with an application_name of its own, so that the test can kill just it. */
function taggedUrl(tag: string): string {
  const u = new URL(db.appUrl);
  u.searchParams.set('application_name', tag);
  return u.toString();
}

/** Waits until PostgreSQL has no backend left with the tag: terminating one is asynchronous. */
async function gone(tag: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await db
      .owner()
      .query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [tag]);
    if (Number(rows[0].n) === 0) return;
  }
  throw new Error(`the backends tagged ${tag} did not go away`);
}

async function terminate(tag: string): Promise<number> {
  const { rows } = await db
    .owner()
    .query(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1',
      [tag],
    );
  return Number(rows[0].n);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!db.available)('postgres faults', () => {
  const stores: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => {});
  });

  it('a connection terminated inside a transaction fails it with STORE_UNAVAILABLE, the process survives, the next one works', async () => {
    const tag = `laas_fault_tx_${randomBytes(4).toString('hex')}`;
    const store = pgStore({ connectionString: taggedUrl(tag), schema: db.schema, pool: { max: 1 } });
    stores.push(store);
    const engine = createEngine({ store });
    const tenant = await engine.tenants.create({ name: 'Fault shop' });

    const failure = await store
      .transaction(tenant.id, async (tx) => {
        await tx.tenants.get();
        // The checked-out client is idle between two statements when its backend dies: pg emits
        // 'error' on it, which crashed the process before the store listened on every client.
        expect(await terminate(tag)).toBe(1);
        await gone(tag);
        return tx.tenants.get();
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).safeToRetry).toBe(true);
    expect((failure as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');

    // The pool dropped the broken client: the next transaction gets a fresh one.
    expect((await engine.tenants.get(tenant.id)).id).toBe(tenant.id);
    // An engine operation whose connection dies before COMMIT is retried by the engine itself.
    await terminate(tag);
    await gone(tag);
    const result = await engine.ingest(tenant.id, {
      idempotency_key: 'after-fault',
      type: 'visit',
      customer: { phone: '+263771000001' },
    });
    expect(result.replayed).toBe(false);
  });

  it('a host process embedding the SDK survives repeated terminations, and every event is applied once', async () => {
    const owner = pgStore({ connectionString: db.appUrl, schema: db.schema });
    stores.push(owner);
    const engine = createEngine({ store: owner });
    const { tenant } = await seedScarceWorld(engine);
    const tag = `laas_fault_sdk_${randomBytes(4).toString('hex')}`;
    const count = 240;

    const child = spawn(
      process.execPath,
      [loop, taggedUrl(tag), db.schema, tenant.id, 'sdk', String(count)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let killed = 0;
    let running = true;
    void exited.then(() => {
      running = false;
    });
    // Chaos on purpose: a termination every 250 ms while the child works (what is tested is that
    // every event is applied once whenever its connection dies, not any timing).
    for (let i = 0; i < 10 && running; i++) {
      await sleep(250);
      killed += await terminate(tag);
    }
    const code = await Promise.race([exited, sleep(90_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(code, stderr).toBe(0);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const tally = JSON.parse(line?.slice(7) ?? '{}');
    console.log(
      `[faults] SDK child: ${count} events, ${killed} backends terminated, ${JSON.stringify(tally)}`,
    );
    expect(tally.other, JSON.stringify(tally.otherMessages)).toBe(0);
    expect(tally.ok).toBe(count);

    // Each event exactly once, each with its outcome, and the money invariants.
    const s = await expectInvariants(engine, tenant.id, tenant.timezone);
    const keys = s.events.map((e) => e.idempotency_key).filter((k) => k.startsWith('sdk-'));
    expect(new Set(keys).size).toBe(count);
    expect(keys.length).toBe(count);
    expect(s.events.every((e) => e.outcome !== null)).toBe(true);
  }, 120_000);

  it('one customer’s row locked elsewhere costs that customer a bounded 503 and nobody else anything', async () => {
    const tag = `laas_fault_lock_${randomBytes(4).toString('hex')}`;
    const store = pgStore({
      connectionString: taggedUrl(tag),
      schema: db.schema,
      pool: { max: 4 },
      lockTimeoutMs: 1000,
    });
    stores.push(store);
    const engine = createEngine({ store });
    const a = await engine.tenants.create({ name: 'Locked shop' });
    const b = await engine.tenants.create({ name: 'Other shop' });
    const stuck = await engine.customers.create(a.id, { phone: '+263771000100' });

    // A slow integration (or an operator's psql) holds the customer's row for the whole test.
    const holder = new pg.Client({ connectionString: db.appUrl });
    holder.on('error', () => {});
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT set_config('laas.tenant_id', $1, true)", [a.id]);
      await holder.query(
        `SELECT 1 FROM "${db.schema}".customers WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [a.id, stuck.id],
      );

      // Order, not time: whether the others had all finished when the first stuck event answered.
      let othersFinished = false;
      let othersFinishedBeforeStuck: boolean | undefined;
      const stuckEvents = Array.from({ length: 6 }, (_, i) =>
        engine
          .ingest(a.id, { idempotency_key: `stuck-${i}`, type: 'visit', customer: { id: stuck.id } })
          .then(
            () => 'ok',
            (error: unknown) => {
              othersFinishedBeforeStuck ??= othersFinished;
              return error;
            },
          ),
      );
      const others = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          engine.ingest(i % 2 ? a.id : b.id, {
            idempotency_key: `free-${i}`,
            type: 'visit',
            customer: { phone: `+2637720002${String(i).padStart(2, '0')}` },
          }),
        ),
      );
      othersFinished = true;
      expect(others.every((r) => r.event_id !== undefined && !r.replayed)).toBe(true);
      // Nobody else waited for the stuck row: all of them were done before its first 503.
      const stuckResults = await Promise.all(stuckEvents);
      expect(othersFinishedBeforeStuck).toBe(true);
      for (const r of stuckResults) {
        expect(r).toBeInstanceOf(StoreUnavailableError);
        expect(['lock_timeout', 'customer_busy']).toContain((r as StoreUnavailableError).details?.reason);
      }
      // All answered while the holder still holds the row: bounded by the lock timeout (and the
      // tenant cap's queueing), not by the holder.
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
    // Released: the customer's next event goes through.
    const after = await engine.ingest(a.id, {
      idempotency_key: 'stuck-after',
      type: 'visit',
      customer: { id: stuck.id },
    });
    expect(after.replayed).toBe(false);
  }, 60_000);

  it('the worker carries on through terminated connections and delivers every webhook', async () => {
    const tag = `laas_fault_worker_${randomBytes(4).toString('hex')}`;
    const store = pgStore({ connectionString: taggedUrl(tag), schema: db.schema, pool: { max: 2 } });
    stores.push(store);
    const engine = createEngine({ store });
    const tenant = await engine.tenants.create({ name: 'Worker shop' });
    const received = new Set<string>();
    const receiver = createServer((req, res) => {
      received.add(String(req.headers['webhook-id']));
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    try {
      const port = (receiver.address() as AddressInfo).port;
      await engine.webhooks.create(tenant.id, {
        url: `http://127.0.0.1:${port}/hook`,
        events: ['customer.enrolled'],
      });
      for (let i = 0; i < 30; i++)
        await engine.customers.create(tenant.id, { phone: `+2637750000${String(i).padStart(2, '0')}` });
      const errors: unknown[] = [];
      const worker = createWorker({
        engine,
        allowPrivateWebhooks: true,
        scheduledEvents: false,
        batchSize: 3,
        onError: (error) => errors.push(error),
      });
      // Ticks interleaved with terminations: failed ticks are reported, the next ones resume.
      for (let round = 0; round < 30 && received.size < 30; round++) {
        if (round % 3 === 0) await terminate(tag);
        await worker.tick().catch((error: unknown) => errors.push(error));
      }
      expect(received.size).toBe(30);
      for (const error of errors) expect(error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await new Promise<void>((done) => receiver.close(() => done()));
    }
  });

  it('a database that cannot be reached answers STORE_UNAVAILABLE quickly, never hangs', async () => {
    const store = pgStore({
      connectionString: 'postgres://laas_app@127.0.0.1:1/nowhere',
      pool: { max: 2, acquireTimeoutMs: 1000 },
    });
    stores.push(store);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    const engine = createEngine({ store });
    const error = await engine.tenants.get('0190a0a0-0000-7000-8000-000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
  }, 20_000);
});
