import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

describe.each(STORE_KINDS)('scenarios through the API (%s)', (kind) => {
  const server = useServer(kind);

  it('stamp card: every 5th visit earns a free coffee', async () => {
    const { id: tid, key } = await server.tenant('Kofi Coffee');
    const pos = await server.key(tid, 'pos');
    const coffee = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Free coffee', type: 'item', cost: 250 },
    });
    expect(coffee.status).toBe(201);
    const rule = await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: {
        name: 'Every 5th visit',
        event_types: ['visit'],
        condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 5] }, 0] },
        reward_id: coffee.body.id,
      },
    });
    expect(rule.status).toBe(201);
    const outcomes: string[] = [];
    for (let visit = 1; visit <= 5; visit++) {
      const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: pos,
        headers: { 'Idempotency-Key': `till-1-visit-${visit}` },
        body: { type: 'visit', customer: { phone: '+233201234567' } },
      });
      expect(r.status).toBe(201);
      outcomes.push(r.body.decisions[0].outcome);
    }
    expect(outcomes).toEqual(['not_matched', 'not_matched', 'not_matched', 'not_matched', 'issued']);
    const customers = await server.request('GET', `/v1/tenants/${tid}/customers`, { token: pos });
    expect(customers.body.items).toHaveLength(1);
    expect(customers.body.items[0].stats.counts.visit).toBe(5);
    const issued = await server.request('GET', `/v1/tenants/${tid}/issuances?state=issued`, { token: pos });
    expect(issued.body.items).toHaveLength(1);
  });

  it('points: earn on purchases, spend on a reward, balance and history', async () => {
    const { id: tid, key } = await server.tenant();
    const pos = await server.key(tid, 'pos');
    const points = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Points', type: 'points', value: 1 },
    });
    const mug = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Mug', type: 'item', points_price: 100 },
    });
    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: {
        name: '1 point per dollar',
        event_types: ['purchase'],
        reward_id: points.body.id,
        quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
      },
    });
    const buy = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      body: {
        idempotency_key: 'p-1',
        type: 'purchase',
        customer: { external_ref: 'c-1' },
        data: { amount: 12_550 },
      },
    });
    expect(buy.status).toBe(201);
    const cid = buy.body.customer_id;
    const balance = await server.request('GET', `/v1/tenants/${tid}/customers/${cid}/points`, { token: pos });
    expect(balance.body.balance).toBe(125);
    const redeem = await server.request('POST', `/v1/tenants/${tid}/customers/${cid}/points/redeem`, {
      token: pos,
      body: { reward_id: mug.body.id },
    });
    expect(redeem.status).toBe(201);
    expect(redeem.body.state).toBe('issued');
    const after = await server.request('GET', `/v1/tenants/${tid}/customers/${cid}/points`, { token: pos });
    expect(after.body.balance).toBe(25);
    const history = await server.request('GET', `/v1/tenants/${tid}/customers/${cid}/points/history`, {
      token: pos,
    });
    expect(history.body.items.map((e: { amount: number }) => e.amount).sort()).toEqual([-100, 125]);
    // Not enough points left: a state conflict, nothing spent.
    const broke = await server.request('POST', `/v1/tenants/${tid}/customers/${cid}/points/redeem`, {
      token: pos,
      body: { reward_id: mug.body.id },
    });
    expect(broke.status).toBe(409);
    expect(errorOf(broke).code).toBe('STATE_CONFLICT');
  });

  it('budget exhaustion: a hard cap refuses the reward that would overshoot', async () => {
    const { id: tid, key } = await server.tenant();
    const budget = await server.request('POST', `/v1/tenants/${tid}/budgets`, {
      token: key,
      body: { name: 'Cakes', limit: 1000, period: 'none' },
    });
    expect(budget.status).toBe(201);
    const cake = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Cake', type: 'item', cost: 500 },
    });
    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: { name: 'Cake', event_types: ['purchase'], reward_id: cake.body.id, budget_id: budget.body.id },
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: key,
        body: { idempotency_key: `b-${i}`, type: 'purchase', customer: { phone: `+26377123450${i}` } },
      });
      outcomes.push(r.body.decisions[0].outcome);
    }
    expect(outcomes).toEqual(['issued', 'issued', 'budget_exhausted']);
    const periods = await server.request('GET', `/v1/tenants/${tid}/budgets/${budget.body.id}/periods`, {
      token: key,
    });
    expect(periods.body.items[0]).toMatchObject({ limit: 1000, utilized: 1000, reserved: 0, spent: 0 });
    const topUp = await server.request('POST', `/v1/tenants/${tid}/budgets/${budget.body.id}/top-up`, {
      token: key,
      body: { amount: 500 },
    });
    expect(topUp.status).toBe(201);
    expect(topUp.body.limit).toBe(1500);
    const ledger = await server.request('GET', `/v1/tenants/${tid}/budgets/${budget.body.id}/ledger`, {
      token: key,
    });
    expect(ledger.body.items.length).toBeGreaterThanOrEqual(5);
    const metrics = await server.request('GET', '/metrics', { token: null });
    expect(metrics.text).toMatch(/laas_budget_refusals_total \d+/);
  });

  it('vouchers: codes are handed out once each, then codes run out', async () => {
    const { id: tid, key } = await server.tenant();
    const voucher = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: '10% off', type: 'voucher', value: 10 },
    });
    const upload = await server.request('POST', `/v1/tenants/${tid}/rewards/${voucher.body.id}/codes`, {
      token: key,
      body: { codes: ['AAA-1', 'AAA-2'] },
    });
    expect(upload.status).toBe(201);
    expect(upload.body).toEqual({ added: 2, duplicates: [] });
    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: { name: 'Voucher per visit', event_types: ['visit'], reward_id: voucher.body.id },
    });
    const codes: string[] = [];
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: key,
        body: { idempotency_key: `v-${i}`, type: 'visit', customer: { external_ref: `cust-${i}` } },
      });
      outcomes.push(r.body.decisions[0].outcome);
      for (const iss of r.body.issuances) codes.push(iss.code);
    }
    expect(outcomes).toEqual(['issued', 'issued', 'codes_exhausted']);
    expect(new Set(codes)).toEqual(new Set(['AAA-1', 'AAA-2']));
    const counts = await server.request('GET', `/v1/tenants/${tid}/rewards/${voucher.body.id}/codes`, {
      token: key,
    });
    expect(counts.body).toEqual({ available: 0, used: 2 });

    // Redeem by code at the till, then a second time: 409.
    const pos = await server.key(tid, 'pos');
    const first = await server.request('POST', `/v1/tenants/${tid}/issuances/redeem`, {
      token: pos,
      body: { code: 'AAA-1' },
    });
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('redeemed');
    const second = await server.request('POST', `/v1/tenants/${tid}/issuances/${first.body.id}/redeem`, {
      token: pos,
    });
    expect(second.status).toBe(409);
    expect(errorOf(second).code).toBe('STATE_CONFLICT');
    const unknown = await server.request('POST', `/v1/tenants/${tid}/issuances/redeem`, {
      token: pos,
      body: { code: 'NOPE' },
    });
    expect(unknown.status).toBe(404);
  });

  it('idempotent ingest: a replay answers 200 with the stored outcome; another body is 422', async () => {
    const { id: tid, key } = await server.tenant();
    const body = { type: 'visit', customer: { phone: '+263771111111' } };
    const first = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': '"visit-42"' },
      body,
    });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': 'visit-42' },
      body,
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.event_id).toBe(first.body.event_id);
    expect(again.body.decisions).toEqual(first.body.decisions);
    const reused = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': 'visit-42' },
      body: { ...body, type: 'purchase' },
    });
    expect(reused.status).toBe(422);
    expect(errorOf(reused).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const events = await server.request('GET', `/v1/tenants/${tid}/events`, { token: key });
    expect(events.body.items).toHaveLength(1);
    // Header and body disagreeing is a validation error.
    const clash = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': 'a' },
      body: { ...body, idempotency_key: 'b' },
    });
    expect(clash.status).toBe(400);
  });

  it('Idempotency-Key on other creating POSTs: replay, reuse, and failed validation stores nothing', async () => {
    const { id: tid, key } = await server.tenant();
    const path = `/v1/tenants/${tid}/customers`;
    const body = { phone: '+263772222222', name: 'Tariro' };
    const bad = await server.request('POST', path, {
      token: key,
      headers: { 'Idempotency-Key': 'c-1' },
      body: { phone: 'not a phone' },
    });
    expect(bad.status).toBe(400);
    const first = await server.request('POST', path, {
      token: key,
      headers: { 'Idempotency-Key': 'c-1' },
      body,
    });
    expect(first.status).toBe(201);
    const again = await server.request('POST', path, {
      token: key,
      headers: { 'Idempotency-Key': 'c-1' },
      body,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const reused = await server.request('POST', path, {
      token: key,
      headers: { 'Idempotency-Key': 'c-1' },
      body: { ...body, name: 'Other' },
    });
    expect(reused.status).toBe(422);
    expect(errorOf(reused).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const list = await server.request('GET', path, { token: key });
    expect(list.body.items).toHaveLength(1);
    // Without a key, a second create of the same phone is a conflict.
    const dup = await server.request('POST', path, { token: key, body });
    expect(dup.status).toBe(409);
    const long = await server.request('POST', path, {
      token: key,
      headers: { 'Idempotency-Key': 'x'.repeat(256) },
      body: { phone: '+263773333333' },
    });
    expect(long.status).toBe(400);
  });

  it('manual rewards: reserved, issued, cancelled; dry-run writes nothing', async () => {
    const { id: tid, key } = await server.tenant();
    const reward = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Hamper', type: 'item', issue_mode: 'manual' },
    });
    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: { name: 'Hamper', event_types: ['purchase'], reward_id: reward.body.id },
    });
    const dry = await server.request('POST', `/v1/tenants/${tid}/events/dry-run`, {
      token: key,
      body: { idempotency_key: 'd-1', type: 'purchase', customer: { phone: '+263774444444' } },
    });
    expect(dry.status).toBe(200);
    expect(dry.body.dry_run).toBe(true);
    expect(dry.body.explanations).toHaveLength(1);
    expect(
      (await server.request('GET', `/v1/tenants/${tid}/customers`, { token: key })).body.items,
    ).toHaveLength(0);

    const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      body: { idempotency_key: 'm-1', type: 'purchase', customer: { phone: '+263774444444' } },
    });
    expect(r.body.decisions[0].outcome).toBe('reserved');
    const iid = r.body.issuance_ids[0];
    const issued = await server.request('POST', `/v1/tenants/${tid}/issuances/${iid}/issue`, { token: key });
    expect(issued.body.state).toBe('issued');
    const cancelled = await server.request('POST', `/v1/tenants/${tid}/issuances/${iid}/cancel`, {
      token: key,
      body: { reason: 'out of stock' },
    });
    expect(cancelled.body).toMatchObject({ state: 'cancelled', cancel_reason: 'out of stock' });
    const redeem = await server.request('POST', `/v1/tenants/${tid}/issuances/${iid}/redeem`, { token: key });
    expect(redeem.status).toBe(409);
  });

  it('rules: validate returns errors and warnings; test explains a sample context', async () => {
    const { id: tid, key } = await server.tenant();
    const v = await server.request('POST', `/v1/tenants/${tid}/rules/validate`, {
      token: key,
      body: { condition: { and: [{ '>': [{ var: 'event.ammount' }, 100] }, { nope: [1] }] } },
    });
    expect(v.status).toBe(200);
    expect(v.body.valid).toBe(false);
    expect(v.body.condition.errors[0].code).toBe('unknown_operator');
    expect(v.body.condition.warnings[0].code).toBe('unknown_path');
    const t = await server.request('POST', `/v1/tenants/${tid}/rules/test`, {
      token: key,
      body: {
        condition: { '>=': [{ var: 'event.amount' }, 1000] },
        quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
        context: { event: { amount: 2550 } },
      },
    });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ matched: true, quantity: 25 });
    expect(t.body.explanation.condition.op).toBe('>=');
    const bad = await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: {
        name: 'x',
        event_types: ['visit'],
        reward_id: '0190a000-0000-7000-8000-000000000000',
        condition: { nope: 1 },
      },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details.issues.length).toBeGreaterThan(0);
  });
});
