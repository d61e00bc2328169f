/**
 * The background worker against a real HTTP receiver on 127.0.0.1, on SQLite and PostgreSQL.
 * Every delivery is checked with the npm package `standardwebhooks` (`Webhook.verify`), a
 * verifier this project did not write. Time is a hand-moved clock: no test sleeps for a retry.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_ROLE, pgStore } from '@laas/adapters-pg';
import {
  createEngine,
  createWorker,
  type Engine,
  type Store,
  type Tenant,
  type WebhookSubscription,
  type WorkerOptions,
} from '@laas/core';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, startServer } from '../src/index.js';
import { STORE_KINDS, type StoreKind, TEST_PG_URL, useServer } from './harness.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---- a clock the tests move ---------------------------------------------------------------------

interface Clock {
  (): Date;
  advance(ms: number): void;
  set(iso: string): void;
}
function clockAt(iso: string): Clock {
  let now = Date.parse(iso);
  const clock = (() => new Date(now)) as Clock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (value) => {
    now = Date.parse(value);
  };
  return clock;
}

// ---- the receiver -------------------------------------------------------------------------------

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}
type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
type Handler = (request: Received, nth: number) => Answer;

interface Receiver {
  url(path: string): string;
  on(path: string, handler: Handler): void;
  /** What `path` received, in order. */
  got(path: string): Received[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const handlers = new Map<string, Handler>();
  const received = new Map<string, Received[]>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const request: Received = { path, headers, body: Buffer.concat(chunks).toString('utf8') };
      const list = received.get(path) ?? [];
      list.push(request);
      received.set(path, list);
      const handler: Handler = handlers.get(path) ?? (() => ({ status: 200, body: 'ok' }));
      const answer = handler(request, list.length);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    on: (path, handler) => handlers.set(path, handler),
    got: (path) => received.get(path) ?? [],
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** Verifies a received delivery with `standardwebhooks`; returns the parsed payload or throws. */
function verify(secret: string, request: Received): Record<string, unknown> {
  return new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
}

// ---- stores -------------------------------------------------------------------------------------

function urlAs(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

/** One database for the file: a SQLite temp file, or a PostgreSQL schema served as the app role. */
function useStore(kind: StoreKind) {
  const schema = `laas_wk_${randomBytes(5).toString('hex')}`;
  let dir: string | undefined;
  let databaseUrl = '';
  const opened: Store[] = [];
  const open = async (migrate: boolean): Promise<Store> => {
    const { store } = await openStore(databaseUrl, {
      migrate,
      ...(kind === 'postgres' ? { migrateUrl: TEST_PG_URL, pgSchema: schema } : {}),
    });
    opened.push(store);
    return store;
  };
  beforeAll(async () => {
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'laas-worker-'));
      databaseUrl = join(dir, 'laas.sqlite');
    } else {
      databaseUrl = urlAs(TEST_PG_URL, DEFAULT_APP_ROLE);
    }
    await open(true);
  });
  afterAll(async () => {
    for (const store of opened) await store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const owner = pgStore({ connectionString: TEST_PG_URL, schema });
      await owner.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await owner.close();
    }
  });
  return {
    get store(): Store {
      const store = opened[0];
      if (store === undefined) throw new Error('the store is not open');
      return store;
    },
    /** Another connection pool on the same database: what a second process would have. */
    another: () => open(false),
  };
}

// ---- the suites ---------------------------------------------------------------------------------

describe.each(STORE_KINDS)('background worker (%s)', (kind) => {
  const db = useStore(kind);
  let receiver: Receiver;
  let sequence = 0;
  /** Subscriptions of the finished tests are deleted: their leftovers never reach a later test. */
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  interface World {
    engine: Engine;
    clock: Clock;
    tenant: Tenant;
    worker(options?: Partial<WorkerOptions>): ReturnType<typeof createWorker>;
    subscribe(path: string, events?: string[]): Promise<WebhookSubscription & { path: string }>;
    /** One `customer.enrolled` outbox row; its id. */
    enroll(): Promise<string>;
  }

  async function world(
    options: { start?: string; tenant?: Parameters<Engine['tenants']['create']>[0] } = {},
  ): Promise<World> {
    const clock = clockAt(options.start ?? '2026-11-02T09:00:00.000Z');
    const engine = createEngine({ store: db.store, clock });
    const tenant = await engine.tenants.create(options.tenant ?? { name: 'Worker shop' });
    let phones = 0;
    return {
      engine,
      clock,
      tenant,
      worker: (over = {}) =>
        createWorker({
          engine,
          clock,
          jitter: 0,
          scheduledEvents: false,
          timeoutMs: 5000,
          // The receivers are on 127.0.0.1: tests deliver to private addresses on purpose.
          allowPrivateWebhooks: true,
          ...over,
        }),
      async subscribe(path, events = []) {
        const full = `/${kind}/${++sequence}${path}`;
        const created = await engine.webhooks.create(tenant.id, {
          url: receiver.url(full),
          events: events as never,
        });
        cleanups.push(() => engine.webhooks.delete(tenant.id, created.id).catch(() => undefined));
        return { ...created, path: full };
      },
      async enroll() {
        phones += 1;
        const phone = `+2637${String(Date.now() % 1e5).padStart(5, '0')}${String(phones).padStart(3, '0')}${sequence % 10}`;
        await engine.customers.create(tenant.id, { phone });
        const page = await engine.outbox.list(tenant.id, { limit: 1 });
        return page.items[0]?.id as string;
      },
    };
  }

  it('delivers a signed event that standardwebhooks verifies; only to subscriptions that want its type', async () => {
    const w = await world();
    const all = await w.subscribe('/all');
    const rewardsOnly = await w.subscribe('/rewards', ['reward.issued']);
    const outboxId = await w.enroll();
    const result = await w.worker().tick();
    expect(result).toMatchObject({ dispatched: 1, attempts: 1, delivered: 1 });

    const [request] = receiver.got(all.path);
    expect(request).toBeDefined();
    expect(request?.headers['webhook-id']).toBe(outboxId);
    expect(request?.headers['content-type']).toBe('application/json');
    const payload = verify(all.secret, request as Received);
    expect(payload).toMatchObject({ type: 'customer.enrolled', tenant_id: w.tenant.id });
    expect(Object.keys(payload)).toEqual(['type', 'tenant_id', 'data', 'timestamp']);
    expect(() => verify(rewardsOnly.secret, request as Received)).toThrow();
    expect(receiver.got(rewardsOnly.path)).toEqual([]);

    const page = await w.engine.webhooks.deliveries(w.tenant.id, all.id);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      outbox_id: outboxId,
      status: 'delivered',
      attempts: 1,
      last_status: 200,
      payload: request?.body,
    });
    expect(page.items[0]?.attempt_log).toMatchObject([
      { status_code: 200, response_excerpt: 'ok', error: null },
    ]);
    // Nothing is sent twice.
    expect(await w.worker().tick()).toMatchObject({ dispatched: 0, attempts: 0 });
    expect(receiver.got(all.path)).toHaveLength(1);
  });

  it('retries after a 500 once the clock passes next_attempt_at, with the same id and bytes', async () => {
    const w = await world();
    const hook = await w.subscribe('/flaky');
    receiver.on(hook.path, (_r, nth) =>
      nth === 1 ? { status: 500, body: 'database down' } : { status: 204 },
    );
    await w.enroll();
    const worker = w.worker();
    expect(await worker.tick()).toMatchObject({ attempts: 1, retried: 1 });
    let [delivery] = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items;
    expect(delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: 500,
      last_error: 'HTTP 500',
    });
    expect(Date.parse(delivery?.next_attempt_at as string) - w.clock().getTime()).toBe(5 * SECOND);

    expect(await worker.tick()).toMatchObject({ attempts: 0 });
    w.clock.advance(5 * SECOND);
    expect(await worker.tick()).toMatchObject({ attempts: 1, delivered: 1 });
    const [first, second] = receiver.got(hook.path);
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(second?.body).toBe(first?.body);
    verify(hook.secret, second as Received);
    [delivery] = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items;
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, last_status: 204, last_error: null });
    expect(delivery?.attempt_log.map((a) => [a.status_code, a.response_excerpt])).toEqual([
      [500, 'database down'],
      [204, ''],
    ]);
  });

  it('honours Retry-After on a 429', async () => {
    const w = await world();
    const hook = await w.subscribe('/busy');
    receiver.on(hook.path, (_r, nth) =>
      nth === 1 ? { status: 429, headers: { 'retry-after': '120' }, body: 'slow down' } : { status: 200 },
    );
    await w.enroll();
    const worker = w.worker();
    await worker.tick();
    const [delivery] = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items;
    expect(Date.parse(delivery?.next_attempt_at as string) - w.clock().getTime()).toBe(120 * SECOND);
    w.clock.advance(60 * SECOND);
    expect(await worker.tick()).toMatchObject({ attempts: 0 });
    w.clock.advance(60 * SECOND);
    expect(await worker.tick()).toMatchObject({ attempts: 1, delivered: 1 });
    expect(receiver.got(hook.path)).toHaveLength(2);
  });

  it('records a timeout as an attempt without a status and retries', async () => {
    const w = await world();
    const hook = await w.subscribe('/silent');
    receiver.on(hook.path, () => 'hang');
    await w.enroll();
    expect(await w.worker({ timeoutMs: 300 }).tick()).toMatchObject({ attempts: 1, retried: 1 });
    const [delivery] = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect(delivery?.last_error).toMatch(/timed out after 300 ms/);
    expect(delivery?.attempt_log[0]).toMatchObject({ status_code: null, response_excerpt: '' });
    expect(delivery?.attempt_log[0]?.duration_ms).toBeGreaterThanOrEqual(250);
  });

  it('disables a subscription that answers 410, storing the reason, and stops its deliveries', async () => {
    const w = await world();
    const hook = await w.subscribe('/gone');
    receiver.on(hook.path, () => ({ status: 410, body: 'gone' }));
    await w.enroll();
    await w.enroll();
    const result = await w.worker({ batchSize: 1 }).tick();
    expect(result.disabled).toBe(1);
    expect(receiver.got(hook.path)).toHaveLength(1);
    const after = await w.engine.webhooks.get(w.tenant.id, hook.id);
    expect(after).toMatchObject({ active: false });
    expect(after.disabled_reason).toMatch(/410/);
    const deliveries = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items;
    expect(deliveries.map((d) => d.status)).toEqual(['failed', 'failed']);
    // New events no longer reach it.
    await w.enroll();
    expect(await w.worker().tick()).toMatchObject({ attempts: 0 });
    expect((await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items).toHaveLength(2);
  });

  it('gives a delivery up after the schedule, and disables after N failed deliveries in a row', async () => {
    const w = await world();
    const hook = await w.subscribe('/broken');
    receiver.on(hook.path, () => ({ status: 500 }));
    await w.enroll();
    await w.enroll();
    const worker = w.worker({ schedule: [SECOND, 2 * SECOND], disableAfterFailures: 2 });
    await worker.tick();
    w.clock.advance(SECOND);
    await worker.tick();
    w.clock.advance(2 * SECOND);
    const last = await worker.tick();
    expect(last.attempts).toBe(2);
    expect(receiver.got(hook.path)).toHaveLength(6);
    const deliveries = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items;
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 3],
      ['failed', 3],
    ]);
    const after = await w.engine.webhooks.get(w.tenant.id, hook.id);
    expect(after.active).toBe(false);
    expect(after.disabled_reason).toMatch(/2 consecutive deliveries failed/);
    // Re-enabling resets the count.
    expect(await w.engine.webhooks.update(w.tenant.id, hook.id, { active: true })).toMatchObject({
      active: true,
      disabled_reason: null,
      failure_count: 0,
    });
  });

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const w = await world();
    const hook = await w.subscribe('/rotating');
    const rotated = await w.engine.webhooks.rotateSecret(w.tenant.id, hook.id);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await w.enroll();
    await w.worker().tick();
    const [during] = receiver.got(hook.path);
    expect(during?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(verify(rotated.secret, during as Received)).toMatchObject({ type: 'customer.enrolled' });
    expect(verify(hook.secret, during as Received)).toMatchObject({ type: 'customer.enrolled' });

    w.clock.advance(24 * HOUR + SECOND);
    await w.enroll();
    await w.worker().tick();
    const after = receiver.got(hook.path)[1] as Received;
    expect(after.headers['webhook-signature']?.split(' ')).toHaveLength(1);
    expect(verify(rotated.secret, after)).toMatchObject({ type: 'customer.enrolled' });
    expect(() => verify(hook.secret, after)).toThrow(/signature/i);
  });

  it('delivers nothing for a change that was rolled back', async () => {
    const w = await world();
    const hook = await w.subscribe('/quiet');
    // A dry run enrolls inside a transaction that is rolled back.
    const dry = await w.engine.dryRun(w.tenant.id, {
      idempotency_key: 'dry-1',
      type: 'visit',
      customer: { phone: '+263770000001' },
    });
    expect(dry.enrolled).toBe(true);
    // A transaction that wrote an outbox row, then failed.
    await expect(
      db.store.transaction(w.tenant.id, async (tx) => {
        await tx.outbox.append({
          id: '01900000-0000-7000-8000-000000000001',
          tenant_id: w.tenant.id,
          type: 'reward.issued',
          data: {},
          created_at: w.clock().toISOString(),
        });
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    // An ingest refused by validation writes nothing either.
    await expect(
      w.engine.ingest(w.tenant.id, { idempotency_key: 'bad', type: 'visit', customer: {} } as never),
    ).rejects.toThrow();
    expect((await w.engine.outbox.list(w.tenant.id)).items).toEqual([]);
    expect(await w.worker().tick()).toMatchObject({ attempts: 0 });
    expect(receiver.got(hook.path)).toEqual([]);
    expect((await w.engine.webhooks.deliveries(w.tenant.id, hook.id)).items).toEqual([]);
  });

  it('two workers ticking in parallel deliver each outbox row to each subscription at most once', async () => {
    const w = await world();
    const hooks = await Promise.all(['/a', '/b', '/c'].map((p) => w.subscribe(p)));
    for (const hook of hooks) receiver.on(hook.path, () => ({ status: 200 }));
    const outboxIds: string[] = [];
    for (let i = 0; i < 15; i++) outboxIds.push(await w.enroll());
    // PostgreSQL: a second pool, as a second process would have. SQLite runs one writer per file
    // (better-sqlite3 waits synchronously on a lock another connection of this very process holds),
    // so there the two workers share the store.
    const other = kind === 'postgres' ? await db.another() : db.store;
    const otherEngine = createEngine({ store: other, clock: w.clock });
    const a = w.worker({ batchSize: 4 });
    const b = createWorker({
      engine: otherEngine,
      allowPrivateWebhooks: true,
      clock: w.clock,
      jitter: 0,
      scheduledEvents: false,
      batchSize: 4,
    });
    for (let round = 0; round < 4; round++) await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    for (const hook of hooks) {
      const ids = receiver.got(hook.path).map((r) => r.headers['webhook-id']);
      expect(ids.length, hook.path).toBe(outboxIds.length);
      expect(new Set(ids)).toEqual(new Set(outboxIds));
      for (const r of receiver.got(hook.path)) verify(hook.secret, r);
      const deliveries = (await w.engine.webhooks.deliveries(w.tenant.id, hook.id, { limit: 100 })).items;
      expect(deliveries).toHaveLength(outboxIds.length);
      expect(deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    }
  });

  it('issues a birthday event once, even when the day runs twice (and 29 February on 28 February)', async () => {
    // 08:00 in Harare (UTC+2) on 28 February 2027, not a leap year.
    const w = await world({
      start: '2027-02-28T06:00:00.000Z',
      tenant: { name: 'Birthday shop', timezone: 'Africa/Harare' },
    });
    const gift = await w.engine.rewards.create(w.tenant.id, { name: 'Birthday cake', type: 'item' });
    await w.engine.rules.create(w.tenant.id, {
      name: 'Birthday cake',
      event_types: ['customer.birthday'],
      condition: true,
      reward_id: gift.id,
    });
    const today = await w.engine.customers.create(w.tenant.id, {
      phone: '+263771110001',
      birthday: '1990-02-28',
    });
    const leap = await w.engine.customers.create(w.tenant.id, {
      phone: '+263771110002',
      birthday: '2000-02-29',
    });
    const other = await w.engine.customers.create(w.tenant.id, {
      phone: '+263771110003',
      birthday: '1990-03-01',
    });
    const first = await w.worker({ scheduledEvents: true }).tick();
    expect(first.birthdays).toBeGreaterThanOrEqual(2);
    w.clock.advance(3 * HOUR);
    // Another worker (a restart, a second process) runs the same local day again.
    await w.worker({ scheduledEvents: true }).tick();
    const events = await w.engine.events.list(w.tenant.id, { type: 'customer.birthday' });
    expect(events.items.map((e) => e.customer_id).sort()).toEqual([today.id, leap.id].sort());
    expect(events.items.map((e) => e.idempotency_key).sort()).toEqual(
      [`sched:birthday:${today.id}:2027-02-28`, `sched:birthday:${leap.id}:2027-02-28`].sort(),
    );
    expect(events.items[0]?.occurred_at).toBe('2027-02-27T22:00:00.000Z');
    const issued = await w.engine.issuances.list(w.tenant.id, { rule_id: undefined });
    expect(issued.items.map((i) => i.customer_id).sort()).toEqual([today.id, leap.id].sort());
    expect((await w.engine.events.list(w.tenant.id, { customer_id: other.id })).items).toEqual([]);
  });

  it('issues customer.inactive when a customer crosses N days without an event, once', async () => {
    const w = await world({
      start: '2026-11-02T09:00:00.000Z',
      tenant: { name: 'Quiet shop', settings: { inactive_after_days: 30 } },
    });
    await w.engine.ingest(w.tenant.id, {
      idempotency_key: 'v1',
      type: 'visit',
      customer: { phone: '+263772220001' },
    });
    const customer = (await w.engine.customers.list(w.tenant.id)).items[0];
    w.clock.advance(29 * DAY);
    expect((await w.worker({ scheduledEvents: true }).tick()).inactive).toBe(0);
    w.clock.advance(2 * DAY);
    expect((await w.worker({ scheduledEvents: true }).tick()).inactive).toBe(1);
    await w.worker({ scheduledEvents: true }).tick();
    const events = await w.engine.events.list(w.tenant.id, { type: 'customer.inactive' });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      customer_id: customer?.id,
      occurred_at: '2026-12-02T09:00:00.000Z',
      data: { days: 30, since: '2026-11-02T09:00:00.000Z' },
    });
  });
});

describe.each(STORE_KINDS)('webhook routes (%s)', (kind) => {
  const server = useServer(kind);
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('test message, deliveries with attempts, replay and secret rotation over HTTP', async () => {
    const { id: tid, key } = await server.tenant('Routes shop');
    const path = `/routes/${kind}`;
    const created = await server.request('POST', `/v1/tenants/${tid}/webhooks`, {
      token: key,
      body: { url: receiver.url(path) },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body).not.toHaveProperty('previous_secret');
    const hookId = created.body.id as string;

    const queued = await server.request('POST', `/v1/tenants/${tid}/webhooks/${hookId}/test`, { token: key });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ event_type: 'webhook.test', status: 'pending' });
    const worker = createWorker({
      engine: server.running.engine,
      scheduledEvents: false,
      allowPrivateWebhooks: true,
    });
    await worker.tick();
    const [first] = receiver.got(path);
    expect(verify(created.body.secret, first as Received)).toMatchObject({
      type: 'webhook.test',
      tenant_id: tid,
      data: { webhook_id: hookId },
    });

    const list = await server.request('GET', `/v1/tenants/${tid}/webhooks/${hookId}/deliveries`, {
      token: key,
    });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(list.body.items[0].attempt_log).toMatchObject([{ status_code: 200 }]);

    const replay = await server.request(
      'POST',
      `/v1/tenants/${tid}/webhooks/${hookId}/deliveries/${list.body.items[0].id}/replay`,
      { token: key },
    );
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ outbox_id: list.body.items[0].outbox_id, status: 'pending' });
    const missing = await server.request(
      'POST',
      `/v1/tenants/${tid}/webhooks/${hookId}/deliveries/0190a000-0000-7000-8000-00000000dead/replay`,
      { token: key },
    );
    expect(missing.status).toBe(404);

    const rotated = await server.request('POST', `/v1/tenants/${tid}/webhooks/${hookId}/rotate-secret`, {
      token: key,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body).not.toHaveProperty('previous_secret');
    expect(rotated.body.previous_secret_expires_at).toEqual(expect.any(String));
    const shown = await server.request('GET', `/v1/tenants/${tid}/webhooks/${hookId}`, { token: key });
    expect(shown.body).not.toHaveProperty('secret');
    expect(shown.body).not.toHaveProperty('previous_secret');

    await worker.tick();
    const second = receiver.got(path)[1] as Received;
    expect(second.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(second.body).toBe(first?.body);
    verify(rotated.body.secret, second);
    verify(created.body.secret, second);
    const after = await server.request('GET', `/v1/tenants/${tid}/webhooks/${hookId}/deliveries`, {
      token: key,
    });
    expect(after.body.items.map((d: { status: string }) => d.status)).toEqual(['delivered', 'delivered']);
  });
});

describe('the worker inside startServer', () => {
  it('runs by default, not with LAAS_WORKER=off, and stops with the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-worker-start-'));
    try {
      for (const [env, expected] of [
        [{}, true],
        [{ LAAS_WORKER: 'off' }, false],
      ] as const) {
        const running = await startServer({
          env: { ...env, LAAS_LOG_LEVEL: 'silent' },
          databaseUrl: join(dir, 'laas.sqlite'),
          port: 0,
          host: '127.0.0.1',
          handleSignals: false,
          config: { adminToken: 'admin-token' },
        });
        expect(running.worker !== null).toBe(expected);
        expect(running.worker?.running ?? false).toBe(expected);
        await running.close();
        expect(running.worker?.running ?? false).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
