/**
 * /metrics after real work: an ingest writes an outbox row, a worker ticks once and delivers it
 * to a local HTTP receiver (one subscription answering 200, one answering 500), and the scrape
 * shows each counter moved by exactly what happened. Also: LAAS_METRICS_TOKEN, the worker that
 * startServer runs counting into the same /metrics, and engine transaction retries.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createEngine,
  createWorker,
  memoryStore,
  type Store,
  StoreUnavailableError,
  type WorkerChannel,
} from '@laas/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, workerObserver } from '../src/index.js';
import { type Answer, errorOf, STORE_KINDS, useServer } from './harness.js';

/** The value of one sample of the Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      found[pair[1] as string] = pair[2] as string;
    }
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** Differences between two scrapes (a sample absent before counts as 0). */
function delta(before: string, after: string) {
  return (name: string, labels: Record<string, string> = {}) =>
    (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
}

async function startReceiver(): Promise<{
  url: (path: string) => string;
  got: string[];
  close(): Promise<void>;
}> {
  const got: string[] = [];
  const server: Server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(req.url ?? '');
      res.writeHead(req.url === '/fail' ? 500 : 200);
      res.end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    got,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

describe.each(STORE_KINDS)('metrics after real work (%s)', (kind) => {
  const server = useServer(kind);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  const scrape = async () => {
    const r = await server.request('GET', '/metrics', { token: null });
    expect(r.status).toBe(200);
    return r.text;
  };

  it('outbox backlog, deliveries by outcome, webhook latency, worker runs and errors move by exactly the work done', async () => {
    const { id: tid, key } = await server.tenant('Metrics shop');
    for (const path of ['/ok', '/fail']) {
      const hook = await server.request('POST', `/v1/tenants/${tid}/webhooks`, {
        token: key,
        body: { url: receiver.url(path), events: ['customer.enrolled'] },
      });
      expect(hook.status, hook.text).toBe(201);
    }
    const before = await scrape();
    expect(sample(before, 'laas_outbox_oldest_pending_seconds')).toBe(0);
    expect(sample(before, 'laas_webhook_deliveries_pending')).toBe(0);

    // One ingest of an unknown phone: the customer is enrolled, one customer.enrolled outbox row.
    const ingest = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': 'metrics-1' },
      body: { type: 'visit', customer: { phone: '+263771000001' } },
    });
    expect(ingest.status, ingest.text).toBe(201);
    await new Promise((resume) => setTimeout(resume, 300));
    const waiting = await scrape();
    expect(sample(waiting, 'laas_outbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(0.25);
    expect(sample(waiting, 'laas_outbox_oldest_pending_seconds')).toBeLessThan(60);

    // A worker beside the server (as a user embedding createServer would run one), ticked once,
    // with a channel whose tick fails: its errors are counted too.
    const failing: WorkerChannel = {
      name: 'failing',
      async tick() {
        throw new Error('the channel is down');
      },
    };
    const worker = createWorker({
      engine: server.running.engine,
      allowPrivateWebhooks: true,
      scheduledEvents: false,
      channels: [failing],
      observer: workerObserver(server.running.app),
    });
    const tick = await worker.tick();
    expect(tick).toMatchObject({ dispatched: 1, attempts: 2, delivered: 1, retried: 1 });
    expect(receiver.got.sort()).toEqual(['/fail', '/ok']);
    const tenants = tick.tenants;
    expect(tenants).toBeGreaterThanOrEqual(1);

    const after = await scrape();
    const d = delta(before, after);
    expect(d('laas_events_ingested_total', { replayed: 'false' })).toBe(1);
    expect(d('laas_deliveries_total', { channel: 'webhook', outcome: 'delivered' })).toBe(1);
    expect(d('laas_deliveries_total', { channel: 'webhook', outcome: 'retry' })).toBe(1);
    expect(d('laas_webhook_delivery_seconds_count', { outcome: 'delivered' })).toBe(1);
    expect(d('laas_webhook_delivery_seconds_count', { outcome: 'retry' })).toBe(1);
    expect(sample(after, 'laas_webhook_delivery_seconds_sum', { outcome: 'delivered' })).toBeGreaterThan(0);
    expect(d('laas_worker_ticks_total')).toBe(1);
    expect(d('laas_worker_tick_seconds_count')).toBe(1);
    expect(sample(after, 'laas_worker_last_tick_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    for (const job of ['outbox fan-out', 'webhook deliveries', 'expiry', 'idempotency purge']) {
      expect(d('laas_worker_runs_total', { job, outcome: 'ok' }), job).toBe(tenants);
      expect(d('laas_worker_runs_total', { job, outcome: 'error' }), job).toBe(0);
    }
    expect(d('laas_worker_runs_total', { job: 'channel failing', outcome: 'error' })).toBe(tenants);
    expect(d('laas_worker_errors_total', { job: 'channel failing' })).toBe(tenants);
    expect(d('laas_worker_errors_total', { job: 'webhook deliveries' })).toBe(0);
    // Fanned out: nothing waits in the outbox; the 500 left one delivery pending, due later.
    expect(sample(after, 'laas_outbox_oldest_pending_seconds')).toBe(0);
    expect(sample(after, 'laas_webhook_deliveries_pending')).toBe(1);
    expect(sample(after, 'laas_webhook_oldest_due_seconds')).toBe(0);
    expect(d('laas_transaction_retries_total', { source: 'worker', reason: 'store_unavailable' })).toBe(0);

    // The PostgreSQL pool is visible; SQLite has none.
    if (kind === 'postgres') {
      expect(sample(after, 'laas_pg_pool_connections', { state: 'max' })).toBe(10);
      expect(sample(after, 'laas_pg_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
      // Sampled while the scrape's own backlog query takes a connection: 0 or that one.
      expect(sample(after, 'laas_pg_pool_waiting')).toBeLessThanOrEqual(1);
    } else {
      expect(sample(after, 'laas_pg_pool_connections', { state: 'max' })).toBeUndefined();
    }

    // The alert rules of deploy/prometheus name only metrics this server exposes.
    const rules = readFileSync(new URL('../../../deploy/prometheus/alerts.yml', import.meta.url), 'utf8');
    const named = new Set(
      [...rules.matchAll(/\b(laas_[a-z_]+)/g)].map((m) =>
        (m[1] as string).replace(/_(bucket|count|sum)$/, ''),
      ),
    );
    expect(named.size).toBeGreaterThanOrEqual(8);
    const exposed = new Set([...after.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const missing = [...named].filter((name) => !exposed.has(name));
    expect(missing).toEqual(kind === 'postgres' ? [] : ['laas_pg_pool_waiting']);
  });
});

describe.each(STORE_KINDS)('LAAS_METRICS_TOKEN and the server’s own worker (%s)', (kind) => {
  const TOKEN = 'scrape-token-0123456789';
  const server = useServer(kind, {}, [], {
    LAAS_METRICS_TOKEN: TOKEN,
    LAAS_WORKER: 'on',
    LAAS_WORKER_INTERVAL_MS: '50',
  });

  it('answers 401 with WWW-Authenticate without the token, 200 with it; an API or admin token is not it', async () => {
    const none = await server.request('GET', '/metrics', { token: null });
    expect(none.status).toBe(401);
    expect(errorOf(none).code).toBe('AUTHENTICATION_ERROR');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="laas"');
    for (const token of ['wrong-token', server.adminToken]) {
      const bad: Answer = await server.request('GET', '/metrics', { token });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="laas", error="invalid_token"');
      expect(bad.text).not.toContain('laas_http_requests_total');
    }
    const ok = await server.request('GET', '/metrics', { token: TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    expect(ok.text).toContain('laas_http_requests_total');
    // The probes stay open.
    expect((await server.request('GET', '/health', { token: null })).status).toBe(200);
  });

  it('the worker startServer runs counts into the same /metrics', async () => {
    let ticks = 0;
    const deadline = Date.now() + 10_000;
    while (ticks < 2 && Date.now() < deadline) {
      const r = await server.request('GET', '/metrics', { token: TOKEN });
      ticks = sample(r.text, 'laas_worker_ticks_total') ?? 0;
      if (ticks < 2) await new Promise((resume) => setTimeout(resume, 50));
    }
    expect(ticks).toBeGreaterThanOrEqual(2);
  });
});

describe('engine transaction retries', () => {
  it('are counted by reason when the database aborts a transaction that committed nothing', async () => {
    const inner = memoryStore();
    let failures = 0;
    const flaky: Store = {
      platform: inner.platform,
      capabilities: inner.capabilities,
      ping: () => inner.ping(),
      close: () => inner.close(),
      transaction: ((tenantId, fn, options) => {
        if (failures > 0) {
          failures--;
          return Promise.reject(
            new StoreUnavailableError('deadlock detected', { safeToRetry: true, reason: 'deadlock' }),
          );
        }
        return inner.transaction(tenantId, fn, options);
      }) as Store['transaction'],
    };
    const engine = createEngine({ store: flaky });
    const app = createServer({
      engine,
      store: flaky,
      config: { adminToken: 'admin-token', rateLimit: false, logger: pino({ level: 'silent' }) },
    });
    const created = await app.request('/v1/tenants', {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Retry shop' }),
    });
    const tenant = (await created.json()) as { id: string };
    failures = 1;
    const customer = await app.request(`/v1/tenants/${tenant.id}/customers`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+263771000002' }),
    });
    expect(customer.status).toBe(201);
    const text = await (await app.request('/metrics')).text();
    expect(
      sample(text, 'laas_transaction_retries_total', { source: 'engine', reason: 'store_unavailable' }),
    ).toBe(1);
    await flaky.close();
  });
});
