#!/usr/bin/env node
// Turns a shop's order webhooks (Shopify-like JSON) into LaaS calls over the HTTP API.
// No dependencies: Node 20+ and the global fetch.
//
//   node webhook.mjs orders/paid     samples/order-paid.json   # → POST /events (Idempotency-Key: order-<id>)
//   node webhook.mjs refunds/create  samples/refund.json       # → POST /issuances/:id/cancel for that order's rewards
//
// Environment: LAAS_URL (default http://localhost:8787), LAAS_TENANT (the tenant id), LAAS_KEY (an
// admin API key: ingesting needs events:ingest, cancelling needs issuances:manage, and only the
// admin role has both), LAAS_ORDERS_FILE (default ./orders.json: the local map order id → event and
// issuances).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The Idempotency-Key of an order: the same order delivered twice is one event. */
export const orderKey = (orderId) => `order-${orderId}`;

/** "25.90" → 2590 (minor units, as the API takes amounts). */
export function toMinorUnits(price) {
  const [whole, fraction = ''] = String(price).split('.');
  return Number(whole) * 100 + Number(`${fraction}00`.slice(0, 2));
}

/** An `orders/paid` payload → an ingest body (the key goes in the Idempotency-Key header). */
export function orderToEvent(order) {
  const customer = order.customer ?? {};
  const name = [customer.first_name, customer.last_name].filter(Boolean).join(' ');
  return {
    type: 'purchase',
    occurred_at: order.processed_at ?? order.created_at,
    customer: {
      external_ref: `shop:${customer.id ?? order.email}`,
      ...(name ? { name } : {}),
    },
    data: {
      amount: toMinorUnits(order.total_price),
      currency: order.currency,
      order_id: String(order.id),
      order_number: order.order_number,
      items: (order.line_items ?? []).reduce((n, item) => n + (item.quantity ?? 1), 0),
    },
  };
}

export function config(env = process.env) {
  const cfg = {
    url: (env.LAAS_URL ?? 'http://localhost:8787').replace(/\/+$/, ''),
    tenant: env.LAAS_TENANT,
    key: env.LAAS_KEY,
    ordersFile: env.LAAS_ORDERS_FILE ?? 'orders.json',
  };
  if (!cfg.tenant || !cfg.key) throw new Error('set LAAS_TENANT and LAAS_KEY (and LAAS_URL)');
  return cfg;
}

async function call(cfg, method, path, body, headers = {}) {
  const res = await fetch(`${cfg.url}/v1/tenants/${cfg.tenant}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${cfg.key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, body: json };
}

// The local map: order id → { event_id, issuance_ids }. Written after every paid webhook (a
// redelivery rewrites the same entry from the replayed outcome, so a lost file heals itself).
function readOrders(cfg) {
  return existsSync(cfg.ordersFile) ? JSON.parse(readFileSync(cfg.ordersFile, 'utf8')) : {};
}

function writeOrders(cfg, orders) {
  const tmp = `${cfg.ordersFile}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(orders, null, 2)}\n`);
  renameSync(tmp, cfg.ordersFile);
}

/** `orders/paid`: ingest the purchase once, whatever the number of deliveries. */
export async function handleOrderPaid(order, cfg) {
  const { status, body } = await call(cfg, 'POST', '/events', orderToEvent(order), {
    'idempotency-key': orderKey(order.id),
  });
  if (status !== 200 && status !== 201) throw new Error(`ingest failed: ${status} ${JSON.stringify(body)}`);
  const orders = readOrders(cfg);
  orders[order.id] = { event_id: body.event_id, issuance_ids: body.issuance_ids };
  writeOrders(cfg, orders);
  return {
    order: String(order.id),
    replayed: body.replayed,
    event_id: body.event_id,
    issued: body.decisions
      .filter((d) => d.outcome === 'issued' || d.outcome === 'reserved')
      .map((d) => d.rule_name),
    issuance_ids: body.issuance_ids,
  };
}

/** The event of an order when the local map does not have it: the purchases, newest first. */
async function findOrderEvent(cfg, orderId) {
  let cursor = null;
  do {
    const page = await call(
      cfg,
      'GET',
      `/events?type=purchase&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (page.status !== 200)
      throw new Error(`listing events failed: ${page.status} ${JSON.stringify(page.body)}`);
    const event = page.body.items.find((e) => e.idempotency_key === orderKey(orderId));
    if (event) return { event_id: event.id, issuance_ids: event.outcome?.issuance_ids ?? [] };
    cursor = page.body.next_cursor;
  } while (cursor);
  return null;
}

/** `refunds/create`: cancel what the order earned (already cancelled is fine; redeemed is reported). */
export async function handleRefund(refund, cfg) {
  const orderId = refund.order_id;
  const known = readOrders(cfg)[orderId] ?? (await findOrderEvent(cfg, orderId));
  if (!known) return { order: String(orderId), found: false, cancelled: [], not_cancelled: [] };
  const cancelled = [];
  const notCancelled = [];
  for (const id of known.issuance_ids) {
    const { status, body } = await call(cfg, 'POST', `/issuances/${id}/cancel`, {
      reason: `refund ${refund.id} of order ${orderId}`,
    });
    if (status === 200) cancelled.push(id);
    else if (status === 409) {
      // Already cancelled (a redelivered refund) counts as done; redeemed cannot be undone here.
      const current = await call(cfg, 'GET', `/issuances/${id}`);
      if (current.body?.state === 'cancelled') cancelled.push(id);
      else notCancelled.push({ id, state: current.body?.state });
    } else throw new Error(`cancel ${id} failed: ${status} ${JSON.stringify(body)}`);
  }
  return { order: String(orderId), found: true, cancelled, not_cancelled: notCancelled };
}

export async function handle(topic, payload, cfg = config()) {
  if (topic === 'orders/paid') return handleOrderPaid(payload, cfg);
  if (topic === 'refunds/create') return handleRefund(payload, cfg);
  throw new Error(`unknown topic ${topic} (orders/paid or refunds/create)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [topic, file] = process.argv.slice(2);
  if (!topic || !file) {
    console.error('usage: node webhook.mjs <orders/paid|refunds/create> <payload.json>');
    process.exit(2);
  }
  try {
    const result = await handle(topic, JSON.parse(readFileSync(file, 'utf8')));
    console.log(JSON.stringify(result));
  } catch (error) {
    console.error(`webhook: ${error.message}`);
    process.exit(1);
  }
}
