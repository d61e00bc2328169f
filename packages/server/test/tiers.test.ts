/**
 * Tiers over HTTP on SQLite and PostgreSQL: the programme's routes and their validation, an
 * upgrade at once that a rule on `customer.tier` sees in the same event, the customer's tier, the
 * `customer.tier_changed` outbox row a webhook subscription receives, a redefinition recomputed
 * lazily, and the worker's downgrade once the grace period has passed.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

const DAY = 86_400_000;

function phone(): string {
  return `+1415${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

describe.each(STORE_KINDS)('tiers over HTTP (%s)', (kind) => {
  const server = useServer(kind);

  it('refuses a bad programme with field paths; roles read and write as the matrix says', async () => {
    const { id: tid, key } = await server.tenant('Tier rules shop');
    const viewer = await server.key(tid, 'viewer');
    const manager = await server.key(tid, 'manager');
    const pos = await server.key(tid, 'pos');
    const path = `/v1/tenants/${tid}/tiers`;

    const none = await server.request('GET', path, { token: viewer });
    expect(errorOf(none).code).toBe('NOT_FOUND');

    const bad = await server.request('PUT', path, {
      token: manager,
      body: {
        measure: 'spend',
        window: { rolling: '365d' },
        levels: [
          { name: 'Gold', threshold: 5000 },
          { name: 'gold', threshold: 1000 },
        ],
      },
    });
    expect(bad.status, bad.text).toBe(400);
    const error = errorOf(bad);
    expect(error.code).toBe('VALIDATION_ERROR');
    const paths = ((error.details as { issues?: Array<{ path: string }> } | undefined)?.issues ?? []).map(
      (i) => i.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['levels.1.name', 'levels.1.threshold']));

    const good = {
      measure: 'visits',
      event_types: ['visit'],
      window: { calendar: 'month' },
      levels: [{ name: 'Regular', threshold: 3 }],
    };
    expect(errorOf(await server.request('PUT', path, { token: viewer, body: good })).code).toBe(
      'AUTHORIZATION_ERROR',
    );
    expect(errorOf(await server.request('PUT', path, { token: pos, body: good })).code).toBe(
      'AUTHORIZATION_ERROR',
    );
    const put = await server.request('PUT', path, { token: manager, body: good });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ measure: 'visits', grace: '30d', version: 1, event_types: ['visit'] });
    const read = await server.request('GET', path, { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(put.body);
    expect(errorOf(await server.request('GET', path, { token: pos })).code).toBe('AUTHORIZATION_ERROR');

    expect((await server.request('DELETE', path, { token: key })).status).toBe(204);
    expect(errorOf(await server.request('DELETE', path, { token: key })).code).toBe('NOT_FOUND');
  });

  it('upgrades at once (a rule on customer.tier issues), writes the webhook outbox row, recomputes lazily and downgrades after the grace', async () => {
    const { id: tid, key } = await server.tenant('Tier shop');
    const pos = await server.key(tid, 'pos');
    const post = async (path: string, body: unknown, token = key) => {
      const answer = await server.request('POST', `/v1/tenants/${tid}${path}`, { token, body });
      expect(answer.status, answer.text).toBeLessThan(300);
      return answer.body;
    };
    const hook = await post('/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['customer.tier_changed'],
    });
    expect(hook.events).toEqual(['customer.tier_changed']);
    const put = await server.request('PUT', `/v1/tenants/${tid}/tiers`, {
      token: key,
      body: {
        measure: 'spend',
        window: { rolling: '365d' },
        grace: '30d',
        levels: [
          { name: 'Silver', threshold: 1000 },
          { name: 'Gold', threshold: 5000 },
        ],
      },
    });
    expect(put.status, put.text).toBe(200);
    const points = await post('/rewards', { name: 'Points', type: 'points', value: 1 });
    await post('/rules', {
      name: 'Gold earns 2x',
      event_types: ['purchase'],
      condition: { '==': [{ var: 'customer.tier' }, 'Gold'] },
      reward_id: points.id,
      quantity: { '*': [2, { floor: [{ '/': [{ var: 'event.amount' }, 100] }] }] },
    });
    const customer = { phone: phone() };
    const buy = (amount: number) =>
      post(
        '/events',
        {
          idempotency_key: `t-${randomBytes(6).toString('hex')}`,
          type: 'purchase',
          customer,
          data: { amount },
        },
        pos,
      );

    const first = await buy(1200);
    expect(first.issuances).toEqual([]);
    const cid = first.customer_id as string;
    const silver = await server.request('GET', `/v1/tenants/${tid}/customers/${cid}/tier`, { token: pos });
    expect(silver.status, silver.text).toBe(200);
    expect(silver.body).toMatchObject({
      tier: 'Silver',
      measure: 'spend',
      qualifying_value: 1200,
      downgrade_due_at: null,
      next: { tier: 'Gold', threshold: 5000, remaining: 3800 },
    });
    const gold = await buy(4000);
    expect(gold.issuances.map((i: { value: number }) => i.value)).toEqual([80]);
    const missing = await server.request(
      'GET',
      `/v1/tenants/${tid}/customers/0190a000-0000-7000-8000-00000000dead/tier`,
      { token: pos },
    );
    expect(errorOf(missing).code).toBe('NOT_FOUND');

    const engine = server.running.engine;
    const rows = (await engine.outbox.list(tid, { limit: 100 })).items
      .filter((e) => e.type === 'customer.tier_changed')
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(rows.map((r) => r.data)).toEqual([
      expect.objectContaining({
        customer_id: cid,
        from: null,
        to: 'Silver',
        reason: 'upgrade',
        measure: 'spend',
        value: 1200,
      }),
      expect.objectContaining({
        customer_id: cid,
        from: 'Silver',
        to: 'Gold',
        reason: 'upgrade',
        value: 5200,
      }),
    ]);

    // Raising Gold's threshold recomputes lazily: the next read starts the grace period, no downgrade yet.
    const raised = await server.request('PUT', `/v1/tenants/${tid}/tiers`, {
      token: key,
      body: {
        measure: 'spend',
        window: { rolling: '365d' },
        grace: '30d',
        levels: [
          { name: 'Silver', threshold: 1000 },
          { name: 'Gold', threshold: 10000 },
        ],
      },
    });
    expect(raised.body.version).toBe(2);
    const grace = await server.request('GET', `/v1/tenants/${tid}/customers/${cid}/tier`, { token: key });
    expect(grace.body).toMatchObject({ tier: 'Gold', qualifying_value: 5200 });
    const due = Date.parse(grace.body.downgrade_due_at as string);
    expect(due).toBeGreaterThan(Date.now() + 29 * DAY);

    // The worker's job: nothing before the grace ends, the downgrade after it.
    expect(await engine.tiers.applyDue(tid, new Date(due - 1000))).toBe(0);
    expect(await engine.tiers.applyDue(tid, new Date(due + 1000))).toBe(1);
    const after = await server.request('GET', `/v1/tenants/${tid}/customers/${cid}/tier`, { token: key });
    expect(after.body).toMatchObject({ tier: 'Silver', downgrade_due_at: null });
    const last = (await engine.outbox.list(tid, { limit: 100 })).items
      .filter((e) => e.type === 'customer.tier_changed')
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .at(-1);
    expect(last?.data).toMatchObject({ from: 'Gold', to: 'Silver', reason: 'downgrade', value: 5200 });
  });

  it('a refund takes back the spend it qualified with: bought into Gold, returned, the grace period starts', async () => {
    const { id: tid, key } = await server.tenant('Tier refund shop');
    const path = `/v1/tenants/${tid}`;
    const put = await server.request('PUT', `${path}/tiers`, {
      token: key,
      body: {
        measure: 'spend',
        window: { rolling: '365d' },
        grace: '30d',
        levels: [
          { name: 'Silver', threshold: 5000 },
          { name: 'Gold', threshold: 20000 },
        ],
      },
    });
    expect(put.status, put.text).toBe(200);
    const event = async (idempotencyKey: string, body: Record<string, unknown>) => {
      const answer = await server.request('POST', `${path}/events`, {
        token: key,
        headers: { 'Idempotency-Key': idempotencyKey },
        body,
      });
      expect(answer.status, answer.text).toBe(201);
      return answer.body;
    };
    const bought = await event('buy-1', {
      type: 'purchase',
      customer: { phone: phone() },
      data: { amount: 25000 },
    });
    const cid = bought.customer_id as string;
    const tier = async () =>
      (await server.request('GET', `${path}/customers/${cid}/tier`, { token: key })).body;
    expect(await tier()).toMatchObject({ tier: 'Gold', qualifying_value: 25000, downgrade_due_at: null });

    // A partial return leaves 15,000: below Gold, so the grace period starts; Gold is kept for now.
    await event('return-1', {
      type: 'return',
      customer: { id: cid },
      data: { amount: 10000, original_event_id: bought.event_id },
    });
    const partial = await tier();
    expect(partial).toMatchObject({ tier: 'Gold', qualifying_value: 15000 });
    expect(partial.downgrade_due_at).not.toBeNull();

    // The rest comes back: nothing qualifies any more.
    await event('return-2', {
      type: 'refund',
      customer: { id: cid },
      data: { original_event_id: bought.event_id },
    });
    expect(await tier()).toMatchObject({ tier: 'Gold', qualifying_value: 0 });
  });
});
