import { describe, expect, it } from 'vitest';
import type { ServerExtension } from '../src/index.js';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

/** A test-only extension: proves the seam, and gives a route that fails unexpectedly. */
const boom: ServerExtension = ({ addRoutes }) =>
  addRoutes([
    {
      operationId: 'boom',
      method: 'get',
      path: '/v1/tenants/:tid/boom',
      tag: 'test',
      summary: 'Fails with a database-looking error',
      permission: 'till:read',
      response: { status: 200, description: 'never' },
      handler: async () => {
        throw new Error('SQLITE_ERROR: near "SELECT * FROM customers WHERE phone = \'+263771234567\'"');
      },
    },
  ]);

describe.each(STORE_KINDS)('operations (%s)', (kind) => {
  const server = useServer(kind, { rateLimit: { capacity: 5, refillPerSecond: 1 }, bodyLimitBytes: 10_000 }, [
    boom,
  ]);

  it('/health, /ready and /metrics', async () => {
    const health = await server.request('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await server.request('GET', '/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
    const metrics = await server.request('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.text).toContain('laas_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(metrics.text).toContain('laas_http_request_duration_seconds_bucket');
    expect(metrics.text).toContain('# TYPE laas_events_ingested_total counter');
    expect(metrics.text).toContain('# TYPE laas_rewards_issued_total counter');
    expect(metrics.text).toContain('# TYPE laas_budget_refusals_total counter');
  });

  it('unknown routes: 404 in the error shape, with the request id in body, header and log', async () => {
    const r = await server.request('GET', '/v2/nothing', { headers: { 'X-Request-Id': 'req-abc-123' } });
    expect(r.status).toBe(404);
    const e = errorOf(r);
    expect(e.code).toBe('NOT_FOUND');
    expect(e.requestId).toBe('req-abc-123');
    expect(r.headers.get('x-request-id')).toBe('req-abc-123');
    const line = server.logs.find((l) => l.requestId === 'req-abc-123');
    expect(line).toMatchObject({ method: 'GET', route: 'unmatched', status: 404 });
    expect(typeof line?.ms).toBe('number');
    // A generated id when none (or a bad one) is sent.
    const gen = await server.request('GET', '/v2/nothing', {
      headers: { 'X-Request-Id': 'bad id with spaces' },
    });
    expect(errorOf(gen).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(gen.headers.get('x-request-id')).toBe(errorOf(gen).requestId);
  });

  it('security headers on every answer', async () => {
    const r = await server.request('GET', '/health', { token: null });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('strict-transport-security')).toContain('max-age');
  });

  it('bad JSON is a 400 naming the problem; a body over the limit is 413', async () => {
    const { id: tid } = await server.tenant();
    const bad = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      rawBody: '{"phone": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { issues: [{ path: '(root)' }] },
    });
    const fields = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      body: { phone: '12', tags: 'x' },
    });
    expect(fields.status).toBe(400);
    const paths = errorOf(fields).details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['phone', 'tags']));
    const big = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      body: { phone: '+263771234567', name: 'x'.repeat(20_000) },
    });
    expect(big.status).toBe(413);
    expect(errorOf(big).code).toBe('VALIDATION_ERROR');
    expect(errorOf(big).message).toContain('larger than the limit');
    // Chunked (no Content-Length) too.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"name":"${'y'.repeat(20_000)}"}`));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/v1/tenants/${tid}/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('unexpected errors: 500 INTERNAL_ERROR without stack or SQL; logged with the request id, phones masked', async () => {
    const { id: tid } = await server.tenant();
    const r = await server.request('GET', `/v1/tenants/${tid}/boom`, {
      headers: { 'X-Request-Id': 'boom-1' },
    });
    expect(r.status).toBe(500);
    const e = errorOf(r);
    expect(e.code).toBe('INTERNAL_ERROR');
    expect(r.text).not.toMatch(/SELECT|SQLITE|at .*\.ts/);
    const logged = server.logs.find((l) => l.requestId === 'boom-1' && l.msg === 'unhandled error');
    expect(JSON.stringify(logged)).toContain('SELECT');
    expect(JSON.stringify(server.logs)).not.toContain('263771234567');
    // The extension's route is documented like the built-in ones.
    const doc = (await server.request('GET', '/openapi.json', { token: null })).body;
    expect(doc.paths['/v1/tenants/{tid}/boom'].get.operationId).toBe('boom');
  });

  it('request logs: one line per request with route pattern and tenant, and no bodies', async () => {
    const { id: tid, key } = await server.tenant();
    await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'X-Request-Id': 'log-ingest-1' },
      body: {
        idempotency_key: 'k1',
        type: 'visit',
        customer: { phone: '+263779876543', name: 'Secret Name' },
      },
    });
    const lines = server.logs.filter((l) => l.requestId === 'log-ingest-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      route: '/v1/tenants/:tid/events',
      tenant: tid,
      status: 201,
      method: 'POST',
    });
    const all = JSON.stringify(server.logs);
    expect(all).not.toContain('263779876543');
    expect(all).not.toContain('Secret Name');
  });

  it('rate limit per key: 429 RATE_LIMIT_EXCEEDED with Retry-After', async () => {
    const { id: tid, key } = await server.tenant();
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof server.request>> | undefined;
    for (let i = 0; i < 8; i++) {
      const r = await server.request('GET', `/v1/tenants/${tid}`, { token: key });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    // tenant() used the key... no: it used the admin token; the key's bucket starts full (5).
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(limited && errorOf(limited).code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another key of the same tenant has its own bucket; the platform token is not limited.
    const other = await server.key(tid, 'viewer');
    expect((await server.request('GET', `/v1/tenants/${tid}`, { token: other })).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await server.request('GET', `/v1/tenants/${tid}`)).status).toBe(200);
  });
});

describe.each(STORE_KINDS)('pagination (%s)', (kind) => {
  const server = useServer(kind);

  it('cursor pages are stable under inserts, newest first, limit capped at 200', async () => {
    const { id: tid, key } = await server.tenant();
    const make = (i: number) =>
      server.request('POST', `/v1/tenants/${tid}/customers`, {
        token: key,
        body: { external_ref: `c-${i}` },
      });
    for (let i = 0; i < 12; i++) expect((await make(i)).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 12;
    do {
      const q: string = cursor === null ? '?limit=5' : `?limit=5&cursor=${encodeURIComponent(cursor)}`;
      const page = await server.request('GET', `/v1/tenants/${tid}/customers${q}`, { token: key });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.body.items.map((c: { external_ref: string }) => c.external_ref));
      cursor = page.body.next_cursor;
      // Customers enrolled while paging are newer: they do not shift the pages still to come.
      await make(inserted++);
    } while (cursor !== null);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `c-${11 - i}`));
    const over = await server.request('GET', `/v1/tenants/${tid}/customers?limit=500`, { token: key });
    expect(over.status).toBe(400);
    expect(errorOf(over).details.issues[0].path).toBe('limit');
    const filtered = await server.request('GET', `/v1/tenants/${tid}/customers?status=blocked`, {
      token: key,
    });
    expect(filtered.body).toEqual({ items: [], next_cursor: null });
  });
});
