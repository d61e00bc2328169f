import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The server in-process, from the workspace sources (the example itself has no dependencies).
import { type RunningServer, startServer } from '../../../packages/server/src/index.js';

const run = promisify(execFile);
const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN = 'webhook-admin-token';
const tmp = mkdtempSync(join(tmpdir(), 'laas-webhook-'));

let server: RunningServer;
let env: Record<string, string>;

async function call(path: string, token: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Delivers a webhook: runs the script as the shop's webhook handler would. */
async function deliver(topic: string, payload: unknown, extraEnv: Record<string, string> = {}) {
  const file = join(tmp, `payload-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(payload));
  const { stdout } = await run(process.execPath, ['webhook.mjs', topic, file], {
    cwd: HERE,
    env: { ...process.env, ...env, ...extraEnv },
  });
  return JSON.parse(stdout);
}

const sample = (name: string) => JSON.parse(readFileSync(join(HERE, 'samples', name), 'utf8'));

beforeAll(async () => {
  server = await startServer({
    databaseUrl: join(tmp, 'laas.sqlite'),
    port: 0,
    host: '127.0.0.1',
    handleSignals: false,
    // No background worker: the sample orders are dated in the past, so its daily run would
    // (rightly) ingest `customer.inactive` events next to the ones this test counts.
    env: { LAAS_ADMIN_TOKEN: ADMIN, LAAS_LOG_LEVEL: 'silent', LAAS_RATE_LIMIT: 'off', LAAS_WORKER: 'off' },
    print: () => {},
  });
  const tenant = await call('/v1/tenants', ADMIN, 'POST', {
    name: 'Bean Shop',
    timezone: 'America/New_York',
    // The sample orders are dated 2025: past the default 30-day backdate limit, as history is.
    settings: { backdate_limit: null },
  });
  const t = `/v1/tenants/${tenant.id}`;
  const { key } = await call(`${t}/api-keys`, ADMIN, 'POST', { name: 'webhooks', role: 'admin' });
  const reward = await call(`${t}/rewards`, key, 'POST', {
    name: '$5 off the next order',
    type: 'discount_amount',
    value: 500,
    cost: 500,
  });
  await call(`${t}/rules`, key, 'POST', {
    name: 'Orders of $50 or more earn $5 off',
    event_types: ['purchase'],
    condition: { '>=': [{ var: 'event.amount' }, 5000] },
    reward_id: reward.id,
  });
  env = {
    LAAS_URL: server.url,
    LAAS_TENANT: tenant.id,
    LAAS_KEY: key,
    LAAS_ORDERS_FILE: join(tmp, 'orders.json'),
  };
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('examples/ecommerce-webhook', () => {
  it('orders/paid issues the reward once however often it is delivered; refunds/create cancels it', async () => {
    const order = sample('order-paid.json');
    const first = await deliver('orders/paid', order);
    expect(first).toMatchObject({
      order: String(order.id),
      replayed: false,
      issued: ['Orders of $50 or more earn $5 off'],
    });
    expect(first.issuance_ids).toHaveLength(1);

    const again = await deliver('orders/paid', order);
    expect(again).toMatchObject({
      replayed: true,
      event_id: first.event_id,
      issuance_ids: first.issuance_ids,
    });
    const t = `/v1/tenants/${env.LAAS_TENANT}`;
    const events = await call(`${t}/events`, env.LAAS_KEY as string);
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      idempotency_key: `order-${order.id}`,
      data: { amount: 6490, order_id: String(order.id) },
    });

    const refund = await deliver('refunds/create', sample('refund.json'));
    expect(refund).toMatchObject({ found: true, cancelled: first.issuance_ids, not_cancelled: [] });
    const issuance = await call(`${t}/issuances/${first.issuance_ids[0]}`, env.LAAS_KEY as string);
    expect(issuance.state).toBe('cancelled');
    // A redelivered refund is fine: nothing left to cancel, nothing fails.
    expect(await deliver('refunds/create', sample('refund.json'))).toMatchObject({
      cancelled: first.issuance_ids,
    });
  });

  it('finds the order through the events when the local map is lost; a redeemed reward is reported, not cancelled', async () => {
    const order = { ...sample('order-paid.json'), id: 5731254239999, order_number: 1043 };
    const lost = { LAAS_ORDERS_FILE: join(tmp, 'lost.json') };
    const paid = await deliver('orders/paid', order, lost);
    expect(paid.issuance_ids).toHaveLength(1);
    rmSync(lost.LAAS_ORDERS_FILE);
    const refund = await deliver('refunds/create', { ...sample('refund.json'), order_id: order.id }, lost);
    expect(refund).toMatchObject({ found: true, cancelled: paid.issuance_ids });

    const small = { ...sample('order-paid.json'), id: 5731254240000, total_price: '12.00' };
    expect((await deliver('orders/paid', small)).issued).toEqual([]);
    const big = { ...sample('order-paid.json'), id: 5731254240001 };
    const bigPaid = await deliver('orders/paid', big);
    await call(
      `/v1/tenants/${env.LAAS_TENANT}/issuances/${bigPaid.issuance_ids[0]}/redeem`,
      env.LAAS_KEY as string,
      'POST',
    );
    const late = await deliver('refunds/create', { ...sample('refund.json'), order_id: big.id });
    expect(late).toMatchObject({
      cancelled: [],
      not_cancelled: [{ id: bigPaid.issuance_ids[0], state: 'redeemed' }],
    });
    expect(await deliver('refunds/create', { ...sample('refund.json'), order_id: 1 })).toMatchObject({
      found: false,
    });
  });
});
