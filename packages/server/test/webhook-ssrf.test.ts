/**
 * Webhooks must not reach inside the host: a tenant admin who subscribes 127.0.0.1, the cloud
 * metadata address or the private network is refused when saving, and a delivery is refused on
 * the address actually connected to (a stored URL, or a name that resolves somewhere private).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWorker } from '@laas/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

describe.each(STORE_KINDS)('webhook URLs (%s)', (kind) => {
  const server = useServer(kind, { webhookAllowPrivate: false });
  let receiver: Server;
  let port = 0;
  let hits = 0;

  beforeAll(async () => {
    receiver = createServer((_req, res) => {
      hits++;
      res.end('secret internal answer');
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => receiver.close(() => done())));

  it('refuses http and every non-public address when a subscription is saved, naming url', async () => {
    const { id: tid, key } = await server.tenant('Hooks');
    const refused = [
      `http://127.0.0.1:${port}/hook`,
      `https://127.0.0.1:${port}/hook`,
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/hook',
      'https://10.1.2.3/hook',
      'https://192.168.1.1/hook',
      'https://172.16.0.1/hook',
      'https://100.64.0.1/hook',
      'https://[fd00::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://224.0.0.1/hook',
      'https://localhost/hook',
      'http://example.com/hook',
    ];
    for (const url of refused) {
      const r = await server.request('POST', `/v1/tenants/${tid}/webhooks`, {
        token: key,
        body: { url, events: ['reward.issued'] },
      });
      expect(r.status, url).toBe(422);
      const e = errorOf(r);
      expect(e.code).toBe('VALIDATION_ERROR');
      expect(e.details.issues[0].path).toBe('url');
    }
    const ok = await server.request('POST', `/v1/tenants/${tid}/webhooks`, {
      token: key,
      body: { url: 'https://93.184.216.34/hook', events: ['reward.issued'] },
    });
    expect(ok.status).toBe(201);
    const patched = await server.request('PATCH', `/v1/tenants/${tid}/webhooks/${ok.body.id}`, {
      token: key,
      body: { url: 'https://169.254.169.254/' },
    });
    expect(patched.status).toBe(422);
    expect(hits).toBe(0);
  });

  it('refuses a delivery to a private address at send time: the attempt is recorded failed, nothing is sent', async () => {
    const { id: tid } = await server.tenant('Stored before the rule');
    const engine = server.running.engine;
    // Stored through the SDK (no route check), as a subscription saved before the rule would be.
    for (const url of [`http://127.0.0.1:${port}/hook`, `https://localhost:${port}/hook`]) {
      await engine.webhooks.create(tid, { url, events: ['customer.enrolled'] });
    }
    await engine.customers.create(tid, { phone: '+263771230001' });
    const worker = createWorker({ engine, scheduledEvents: false, jitter: 0 });
    await worker.tick();
    await worker.tick();
    expect(hits).toBe(0);
    const subs = await engine.webhooks.list(tid);
    for (const sub of subs.items) {
      const deliveries = await engine.webhooks.deliveries(tid, sub.id);
      expect(deliveries.items.length).toBeGreaterThan(0);
      const attempt = deliveries.items[0]?.attempt_log?.[0];
      expect(attempt?.status_code ?? null).toBeNull();
      expect(attempt?.error).toMatch(/refused/);
      // Nor does it get a fresh secret while its URL is refused.
      const rotate = await server.request('POST', `/v1/tenants/${tid}/webhooks/${sub.id}/rotate-secret`, {
        token: server.adminToken,
      });
      expect(rotate.status).toBe(422);
    }
  });

  it('never follows a redirect: a 3xx is recorded as the answer, its target gets nothing', async () => {
    const { id: tid } = await server.tenant('Redirects');
    let targetHits = 0;
    const target = createServer((_req, res) => {
      targetHits++;
      res.end('target');
    });
    await new Promise<void>((done) => target.listen(0, '127.0.0.1', done));
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/` });
      res.end();
    });
    await new Promise<void>((done) => redirector.listen(0, '127.0.0.1', done));
    try {
      const engine = server.running.engine;
      const sub = await engine.webhooks.create(tid, {
        url: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`,
        events: ['customer.enrolled'],
      });
      await engine.customers.create(tid, { phone: '+263771230002' });
      await createWorker({ engine, scheduledEvents: false, jitter: 0, allowPrivateWebhooks: true }).tick();
      const deliveries = await engine.webhooks.deliveries(tid, sub.id);
      expect(deliveries.items[0]?.attempt_log?.[0]?.status_code).toBe(302);
      expect(targetHits).toBe(0);
    } finally {
      await new Promise<void>((done) => redirector.close(() => done()));
      await new Promise<void>((done) => target.close(() => done()));
    }
  });
});
