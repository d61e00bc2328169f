import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

function phone(): string {
  return `+1415${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

describe.each(STORE_KINDS)('refunds and points adjustments over HTTP (%s)', (kind) => {
  const server = useServer(kind);

  /** A shop with points per dollar and a coffee over $10, on one monthly budget. */
  async function shop() {
    const t = await server.tenant('Refund shop');
    const tid = t.id;
    const call = async (method: string, path: string, body?: unknown, token = t.key, headers = {}) =>
      server.request(method, `/v1/tenants/${tid}${path}`, { token, body, headers });
    const post = async (path: string, body: unknown) => {
      const answer = await call('POST', path, body);
      expect(answer.status, answer.text).toBeLessThan(300);
      return answer.body;
    };
    const budget = await post('/budgets', { name: 'Monthly', limit: 100_000, period: 'month' });
    const points = await post('/rewards', { name: 'Points', type: 'points', value: 1, cost: 1 });
    const coffee = await post('/rewards', { name: 'Coffee', type: 'item', cost: 300, validity: '30d' });
    const mug = await post('/rewards', { name: 'Mug', type: 'item', points_price: 15 });
    await post('/rules', {
      name: 'Points per dollar',
      event_types: ['purchase'],
      reward_id: points.id,
      quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
      budget_id: budget.id,
    });
    await post('/rules', {
      name: 'Coffee over $10',
      event_types: ['purchase'],
      condition: { '>=': [{ var: 'event.amount' }, 1000] },
      reward_id: coffee.id,
      budget_id: budget.id,
    });
    const who = phone();
    const event = (
      type: string,
      data: Record<string, unknown>,
      key = `evt-${randomBytes(6).toString('hex')}`,
    ) => call('POST', '/events', { idempotency_key: key, type, customer: { phone: who }, data });
    return { tid, key: t.key, call, post, budget, mug, event };
  }

  it('a purchase, a partial refund, a full return: points clawed pro rata, the reward cancelled, the budget released; the refunds are listed', async () => {
    const { tid, call, budget, event } = await shop();
    const purchase = await event('purchase', { amount: 2500, order_ref: 'A-100' }, 'till-1-receipt-100');
    expect(purchase.status, purchase.text).toBe(201);
    const cid = purchase.body.customer_id as string;
    expect(purchase.body.issuances).toHaveLength(2);

    const partial = await event('refund', { original_idempotency_key: 'till-1-receipt-100', amount: 1000 });
    expect(partial.status, partial.text).toBe(201);
    expect(partial.body.refund).toMatchObject({
      original_event_id: purchase.body.event_id,
      amount: 1000,
      full: false,
      points_clawed: 10,
      points_shortfall: 0,
      cancelled_issuance_ids: [],
    });
    let balance = await call('GET', `/customers/${cid}/points`);
    expect(balance.body.balance).toBe(15);

    const ret = await event('return', { original_event_id: purchase.body.event_id });
    expect(ret.status, ret.text).toBe(201);
    expect(ret.body.refund).toMatchObject({ amount: 1500, full: true, points_clawed: 15 });
    expect(ret.body.refund.cancelled_issuance_ids).toHaveLength(2);
    balance = await call('GET', `/customers/${cid}/points`);
    expect(balance.body.balance).toBe(0);
    for (const id of ret.body.refund.cancelled_issuance_ids) {
      const issuance = await call('GET', `/issuances/${id}`);
      expect(issuance.body).toMatchObject({ state: 'cancelled', cancel_reason: 'refund' });
    }
    const periods = await call('GET', `/budgets/${budget.id}/periods`);
    expect(periods.status, periods.text).toBe(200);
    expect(periods.body[0] ?? periods.body.items?.[0]).toMatchObject({ reserved: 0, utilized: 0, spent: 0 });

    // The stored event carries the refund; GET /refunds lists both, filtered by original.
    const stored = await call('GET', `/events/${ret.body.event_id}`);
    expect(stored.body.outcome.refund).toEqual(ret.body.refund);
    const listed = await call('GET', `/refunds?original_event_id=${purchase.body.event_id}`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([
      ret.body.event_id,
      partial.body.event_id,
    ]);
    const events = await call('GET', `/events?customer_id=${cid}`);
    expect(events.body.items).toHaveLength(3);
    const other = await server.tenant('Other shop');
    const foreign = await server.request('GET', `/v1/tenants/${other.id}/refunds`, { token: other.key });
    expect(foreign.body.items).toEqual([]);
    const wrongTenant = await server.request('GET', `/v1/tenants/${tid}/refunds`, { token: other.key });
    expect(wrongTenant.status).toBe(404);
  });

  it('a refund naming an unknown event is a 404 naming the field; one naming nothing is a 400; nothing is stored', async () => {
    const { call, event } = await shop();
    await event('purchase', { amount: 500 });
    const unknown = await event('refund', { original_event_id: '0190a000-0000-7000-8000-00000000dead' });
    expect(unknown.status, unknown.text).toBe(404);
    expect(errorOf(unknown)).toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'data.original_event_id' },
    });
    const nothing = await event('refund', { amount: 100 });
    expect(nothing.status, nothing.text).toBe(400);
    expect(errorOf(nothing).code).toBe('VALIDATION_ERROR');
    const events = await call('GET', '/events');
    expect(events.body.items).toHaveLength(1);
  });

  it('cancelling a reward bought with points gives the points back', async () => {
    const { call, mug, event } = await shop();
    const purchase = await event('purchase', { amount: 2000 });
    const cid = purchase.body.customer_id as string;
    const bought = await call('POST', `/customers/${cid}/points/redeem`, { reward_id: mug.id });
    expect(bought.status, bought.text).toBe(201);
    expect((await call('GET', `/customers/${cid}/points`)).body.balance).toBe(5);
    const cancelled = await call('POST', `/issuances/${bought.body.id}/cancel`, { reason: 'wrong size' });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect((await call('GET', `/customers/${cid}/points`)).body.balance).toBe(20);
    const history = await call('GET', `/customers/${cid}/points/history`);
    expect(history.body.items[0]).toMatchObject({ kind: 'adjust', amount: 15, issuance_id: bought.body.id });
  });

  it('manual adjustments: admin and manager credit and debit with a reason, the actor is the key; pos and viewer are refused; over-debit is a 409; Idempotency-Key replays', async () => {
    const { tid, call, event } = await shop();
    const visit = await event('visit', {});
    const cid = visit.body.customer_id as string;
    const manager = await server.request('POST', `/v1/tenants/${tid}/api-keys`, {
      body: { name: 'floor manager', role: 'manager' },
    });
    expect(manager.status, manager.text).toBe(201);
    const path = `/customers/${cid}/points/adjustments`;

    const credit = await call('POST', path, { amount: 40, reason: 'birthday goodwill' }, manager.body.key, {
      'idempotency-key': 'adj-1',
    });
    expect(credit.status, credit.text).toBe(201);
    expect(credit.body).toMatchObject({ amount: 40, balance: 40, actor: manager.body.api_key.id });
    const replay = await call('POST', path, { amount: 40, reason: 'birthday goodwill' }, manager.body.key, {
      'idempotency-key': 'adj-1',
    });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(credit.body);
    const reused = await call('POST', path, { amount: 41, reason: 'birthday goodwill' }, manager.body.key, {
      'idempotency-key': 'adj-1',
    });
    expect(reused.status).toBe(422);

    const platform = await server.request('POST', `/v1/tenants/${tid}${path}`, {
      body: { amount: -15, reason: 'double scan' },
    });
    expect(platform.status, platform.text).toBe(201);
    expect(platform.body).toMatchObject({ balance: 25, actor: 'platform' });

    const over = await call('POST', path, { amount: -26, reason: 'too much' });
    expect(over.status, over.text).toBe(409);
    expect(errorOf(over)).toMatchObject({ code: 'STATE_CONFLICT', details: { balance: 25 } });
    const zero = await call('POST', path, { amount: 0, reason: 'nothing' });
    expect(zero.status).toBe(400);
    const noReason = await call('POST', path, { amount: 5 });
    expect(noReason.status).toBe(400);

    for (const role of ['pos', 'viewer'] as const) {
      const key = await server.key(tid, role);
      const refused = await call('POST', path, { amount: 5, reason: 'x' }, key);
      expect(refused.status, role).toBe(403);
    }

    const history = await call('GET', `/customers/${cid}/points/history`);
    expect(history.body.items.map((e: Record<string, unknown>) => [e.amount, e.reason, e.actor])).toEqual([
      [-15, 'double scan', 'platform'],
      [40, 'birthday goodwill', manager.body.api_key.id],
    ]);
    expect((await call('GET', `/customers/${cid}/points`)).body.balance).toBe(25);
  });
});
