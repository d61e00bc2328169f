import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine } from '@laas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, laas, ROOT, receiver } from './helpers.js';

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

describe('laas worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laas-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help shows usage and an example', async () => {
    const r = await laas(['worker', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: laas worker');
    expect(r.stdout).toMatch(/Example:\n\s+\$ /);
  });

  it('delivers the outbox to a webhook on its own, then stops on SIGTERM with exit 0', async () => {
    const hooks = await receiver();
    const db = join(dir, 'laas.sqlite');
    const store = sqliteStore({ filename: db });
    await store.migrate();
    const engine = createEngine({ store });
    const tenant = await engine.tenants.create({ name: 'Worker shop', timezone: 'UTC' });
    await engine.webhooks.create(tenant.id, { url: hooks.url, events: ['customer.enrolled'] });
    const customer = await engine.customers.create(tenant.id, { phone: '+263771234567', name: 'Tariro' });
    await store.close();

    const child = spawn(process.execPath, [BIN, 'worker', '--db', db], {
      cwd: ROOT,
      env: {
        ...process.env,
        LAAS_WORKER_INTERVAL_MS: '100',
        LAAS_LOG_LEVEL: 'info',
        // The receiver listens on 127.0.0.1.
        LAAS_WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    try {
      await until(() => hooks.received.length > 0, `a delivery (stdout: ${stdout} stderr: ${stderr})`);
      const [first] = hooks.received;
      expect(first?.body).toMatchObject({
        type: 'customer.enrolled',
        tenant_id: tenant.id,
        data: { customer: { id: customer.id, phone: '+263771234567' } },
      });
      expect(first?.headers['webhook-id']).toBeTruthy();
      expect(first?.headers['webhook-signature']).toMatch(/^v1,/);
      expect(stdout).toContain('laas worker running');
    } finally {
      child.kill('SIGTERM');
      await hooks.close();
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('laas worker stopped');

    // The attempt is on record as delivered, so a second worker would not send it again.
    const after = sqliteStore({ filename: db });
    try {
      const engine2 = createEngine({ store: after });
      const [subscription] = (await engine2.webhooks.list(tenant.id)).items;
      const deliveries = await engine2.webhooks.deliveries(tenant.id, subscription?.id as string);
      expect(deliveries.items).toHaveLength(1);
      expect(deliveries.items[0]).toMatchObject({ status: 'delivered' });
    } finally {
      await after.close();
    }
  });
});
