/**
 * Webhook signing secrets are sealed at rest (AES-256-GCM with LAAS_SECRET_KEY): in the
 * subscriptions table and in stored idempotent answers. What a store holds is read here through
 * the store's own repositories, which hand back what is stored, as stored.
 */

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker, newId } from '@laas/core';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';
import { STORE_KINDS, useServer } from './harness.js';

interface Got {
  body: string;
  headers: IncomingHttpHeaders;
}

describe.each(STORE_KINDS)('webhook secrets at rest (%s)', (kind) => {
  const server = useServer(kind);
  let receiver: Server;
  let url = '';
  const got: Got[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((done) => receiver.close(() => done())));

  it('stores no secret in clear (subscription and idempotent answer), replays it, and still signs with it', async () => {
    const { id: tid, key } = await server.tenant('Sealed');
    const created = await server.request('POST', `/v1/tenants/${tid}/webhooks`, {
      token: key,
      headers: { 'Idempotency-Key': 'hook-1' },
      body: { url, events: ['customer.enrolled'] },
    });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    const replay = await server.request('POST', `/v1/tenants/${tid}/webhooks`, {
      token: key,
      headers: { 'Idempotency-Key': 'hook-1' },
      body: { url, events: ['customer.enrolled'] },
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.secret).toBe(secret);

    const rotated = await server.request(
      'POST',
      `/v1/tenants/${tid}/webhooks/${created.body.id}/rotate-secret`,
      {
        token: key,
        headers: { 'Idempotency-Key': 'rotate-1' },
      },
    );
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;

    const stored = await server.running.store.transaction(tid, async (tx) => ({
      sub: await tx.webhooks.get(created.body.id),
      create: await tx.idempotency.get('hook-1'),
      rotate: await tx.idempotency.get('rotate-1'),
    }));
    const raw = JSON.stringify(stored);
    expect(raw).not.toContain('whsec_');
    expect(raw).not.toContain(secret.slice(6));
    expect(raw).not.toContain(fresh.slice(6));
    expect(stored.sub?.secret).toMatch(/^v1\./);
    expect(stored.sub?.previous_secret).toMatch(/^v1\./);

    // The worker opens the secrets to sign: the current and (during the overlap) the previous one.
    await server.request('POST', `/v1/tenants/${tid}/customers`, {
      token: key,
      body: { phone: '+263771239001' },
    });
    const worker = createWorker({
      engine: server.running.engine,
      scheduledEvents: false,
      allowPrivateWebhooks: true,
    });
    await worker.tick();
    const delivery = got.at(-1);
    expect(delivery).toBeDefined();
    for (const s of [fresh, secret]) {
      expect(() =>
        new Webhook(s).verify(delivery?.body ?? '', delivery?.headers as Record<string, string>),
      ).not.toThrow();
    }
  });

  it('a subscription stored in clear before secrets were sealed still signs', async () => {
    const { id: tid } = await server.tenant('Legacy');
    const legacy = `whsec_${Buffer.from('a legacy secret of 24 bytes!').toString('base64')}`;
    const id = newId();
    const now = new Date().toISOString();
    await server.running.store.transaction(tid, (tx) =>
      tx.webhooks.insert({
        id,
        tenant_id: tid,
        url,
        events: ['customer.enrolled'],
        active: true,
        secret: legacy,
        previous_secret: null,
        previous_secret_expires_at: null,
        disabled_reason: null,
        failure_count: 0,
        created_at: now,
        updated_at: now,
      }),
    );
    expect((await server.running.engine.webhooks.get(tid, id)).secret).toBe(legacy);
    await server.running.engine.customers.create(tid, { phone: '+263771239002' });
    const before = got.length;
    await createWorker({
      engine: server.running.engine,
      scheduledEvents: false,
      allowPrivateWebhooks: true,
    }).tick();
    const delivery = got.slice(before).find((g) => g.body.includes('+263771239002'));
    expect(() =>
      new Webhook(legacy).verify(delivery?.body ?? '', delivery?.headers as Record<string, string>),
    ).not.toThrow();
  });
});

describe('the quick start on SQLite without LAAS_SECRET_KEY', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laas-keyfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key file beside the database once (0600), reuses it, and says so in the log', async () => {
    const database = join(dir, 'laas.sqlite');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const start = () =>
      startServer({
        env: { LAAS_WORKER: 'off' },
        databaseUrl: database,
        port: 0,
        host: '127.0.0.1',
        handleSignals: false,
        config: { adminToken: 'key-file-admin', logger, webhookAllowPrivate: true },
      });
    const first = await start();
    const tenant = await first.engine.tenants.create({ name: 'Key file' });
    const sub = await first.engine.webhooks.create(tenant.id, {
      url: 'https://93.184.216.34/hook',
      events: [],
    });
    await first.close();
    const file = `${database}.secret-key`;
    const key = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(key.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(lines.join('')).toContain('generated a key');
    expect(lines.join('')).not.toContain(key.trim());

    const second = await start();
    expect(readFileSync(file, 'utf8')).toBe(key);
    expect((await second.engine.webhooks.get(tenant.id, sub.id)).secret).toBe(sub.secret);
    await second.close();
  });
});
