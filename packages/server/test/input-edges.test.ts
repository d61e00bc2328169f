/**
 * The edges of input a careless till or a hostile caller reaches (issue "Safe to expose"): NUL
 * characters, filters that do not exist, cursors that were never handed out, error answers larger
 * than the request, bodies that are not JSON. On SQLite and PostgreSQL: never a 500.
 */
import { createEngine, memoryStore, ValidationError } from '@laas/core';
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

describe.each(STORE_KINDS)('input edges (%s)', (kind) => {
  const server = useServer(kind);

  async function world() {
    const { id: tid, key } = await server.tenant('Edge shop');
    const reward = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Coffee', type: 'item', cost: 100 },
    });
    const other = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Cake', type: 'item', cost: 100 },
    });
    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: { name: 'Every visit', event_types: ['visit'], reward_id: reward.body.id },
    });
    for (const phone of ['+263771110001', '+263771110002']) {
      const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: key,
        headers: { 'Idempotency-Key': `v-${phone}` },
        body: { type: 'visit', customer: { phone, external_ref: `ref-${phone.slice(-1)}` } },
      });
      expect(r.status).toBe(201);
    }
    return { tid, key, rewardId: reward.body.id as string, otherRewardId: other.body.id as string };
  }

  it('refuses NUL in every kind of string, body or query, with a 400 naming the field', async () => {
    const { tid, key, rewardId } = await world();
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', `/v1/tenants/${tid}/rewards`, { name: 'Free\u0000coffee', type: 'item' }, 'name'],
      ['POST', `/v1/tenants/${tid}/budgets`, { name: 'B\u0000', limit: 100, period: 'month' }, 'name'],
      ['POST', `/v1/tenants/${tid}/campaigns`, { name: 'C\u0000' }, 'name'],
      [
        'POST',
        `/v1/tenants/${tid}/customers`,
        { phone: '+263771110009', attributes: { note: 'a\u0000b' } },
        'attributes.note',
      ],
      ['POST', `/v1/tenants/${tid}/customers`, { phone: '+263771110008', tags: ['vip\u0000'] }, 'tags.0'],
      [
        'POST',
        `/v1/tenants/${tid}/customers`,
        { phone: '+263771110007', attributes: { 'k\u0000': 1 } },
        'attributes.k\\u0000',
      ],
      ['POST', `/v1/tenants/${tid}/issuances/redeem`, { code: 'CODE\u0000' }, 'code'],
      [
        'POST',
        `/v1/tenants/${tid}/webhooks`,
        { url: 'https://example.com/\u0000', events: ['reward.issued'] },
        'url',
      ],
      [
        'POST',
        `/v1/tenants/${tid}/events`,
        {
          type: 'visit',
          idempotency_key: 'nul-1',
          customer: { phone: '+263771110001' },
          data: { sku: 'x\u0000' },
        },
        'data.sku',
      ],
      ['PATCH', `/v1/tenants/${tid}/rewards/${rewardId}`, { name: '\u0000' }, 'name'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await server.request(method, path, { token: key, body });
      expect(r.status, `${method} ${path} ${field}`).toBe(400);
      const e = errorOf(r);
      expect(e.code).toBe('VALIDATION_ERROR');
      expect(e.details.issues[0].path).toBe(field);
    }
    for (const query of ['tag=v%00ip', 'status=active%00']) {
      const r = await server.request('GET', `/v1/tenants/${tid}/customers?${query}`, { token: key });
      expect(r.status, query).toBe(400);
    }
    for (const query of ['type=vis%00it']) {
      const r = await server.request('GET', `/v1/tenants/${tid}/events?${query}`, { token: key });
      expect(r.status, query).toBe(400);
    }
  });

  it('refuses an occurred_at in the future or past the backdate limit with 422 naming it', async () => {
    const { tid, key } = await world();
    for (const occurred_at of [
      '2199-03-01T00:00:00Z',
      '1970-01-01T00:00:00Z',
      new Date(Date.now() + 3_600_000).toISOString(),
    ]) {
      const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: key,
        headers: { 'Idempotency-Key': `when-${occurred_at}` },
        body: { type: 'visit', occurred_at, customer: { phone: '+263771110001' } },
      });
      expect(r.status, occurred_at).toBe(422);
      const e = errorOf(r);
      expect(e.code).toBe('VALIDATION_ERROR');
      expect(e.details.issues[0].path).toBe('occurred_at');
    }
    const recent = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': 'when-recent' },
      body: {
        type: 'visit',
        occurred_at: new Date(Date.now() - 86_400_000).toISOString(),
        customer: { phone: '+263771110001' },
      },
    });
    expect(recent.status).toBe(201);
  });

  it('answers figures past the maximum with 422 naming the field, never 500', async () => {
    const { tid, key, rewardId } = await world();
    const budget = await server.request('POST', `/v1/tenants/${tid}/budgets`, {
      token: key,
      body: { name: 'B', limit: 1000, period: 'month' },
    });
    const topUp = await server.request('POST', `/v1/tenants/${tid}/budgets/${budget.body.id}/top-up`, {
      token: key,
      body: { amount: 9007199254740991 },
    });
    expect(topUp.status).toBe(422);
    expect(errorOf(topUp).details.issues[0].path).toBe('amount');
    const amount = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      headers: { 'Idempotency-Key': 'huge' },
      body: { type: 'purchase', customer: { phone: '+263771110001' }, data: { amount: 9007199254740991 } },
    });
    expect(amount.status).toBe(422);
    expect(errorOf(amount).details.issues[0].path).toBe('data.amount');
    const rule = await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: { name: 'Huge', event_types: ['visit'], reward_id: rewardId, quantity: 1e20 },
    });
    expect(rule.status).toBe(422);
    expect(errorOf(rule).details.issues[0].path).toBe('quantity');
    // A malformed figure (a fraction, a string) stays a 400.
    const fraction = await server.request('POST', `/v1/tenants/${tid}/budgets/${budget.body.id}/top-up`, {
      token: key,
      body: { amount: 0.5 },
    });
    expect(fraction.status).toBe(400);
  });

  it('refuses query parameters a route does not know, naming them', async () => {
    const { tid, key } = await world();
    const r = await server.request('GET', `/v1/tenants/${tid}/events?custmer_id=x&limit=5`, { token: key });
    expect(r.status).toBe(400);
    expect(errorOf(r).details.issues.map((i: { path: string }) => i.path)).toEqual(['custmer_id']);
    const noQuery = await server.request('GET', `/v1/tenants/${tid}?debug=1`, { token: key });
    expect(noQuery.status).toBe(400);
    expect(errorOf(noQuery).details.issues[0].path).toBe('debug');
  });

  it('finds a customer by exact phone or external_ref, and nobody when nobody has it', async () => {
    const { tid, key } = await world();
    const byPhone = await server.request('GET', `/v1/tenants/${tid}/customers?phone=%2B263771110002`, {
      token: key,
    });
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.items.map((c: { phone: string }) => c.phone)).toEqual(['+263771110002']);
    const byRef = await server.request('GET', `/v1/tenants/${tid}/customers?external_ref=ref-1`, {
      token: key,
    });
    expect(byRef.body.items.map((c: { phone: string }) => c.phone)).toEqual(['+263771110001']);
    const nobody = await server.request('GET', `/v1/tenants/${tid}/customers?phone=%2B263779999999`, {
      token: key,
    });
    expect(nobody.status).toBe(200);
    expect(nobody.body.items).toEqual([]);
    const bad = await server.request('GET', `/v1/tenants/${tid}/customers?phone=0771110002`, { token: key });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details.issues[0].path).toBe('phone');
  });

  it('filters issuances by customer, reward and state', async () => {
    const { tid, key, rewardId, otherRewardId } = await world();
    const all = await server.request('GET', `/v1/tenants/${tid}/issuances`, { token: key });
    expect(all.body.items).toHaveLength(2);
    const customer = all.body.items[0].customer_id as string;
    const mine = await server.request('GET', `/v1/tenants/${tid}/issuances?customer_id=${customer}`, {
      token: key,
    });
    expect(mine.body.items.map((i: { customer_id: string }) => i.customer_id)).toEqual([customer]);
    const ofReward = await server.request(
      'GET',
      `/v1/tenants/${tid}/issuances?reward_id=${rewardId}&state=issued`,
      {
        token: key,
      },
    );
    expect(ofReward.body.items).toHaveLength(2);
    const ofOther = await server.request('GET', `/v1/tenants/${tid}/issuances?reward_id=${otherRewardId}`, {
      token: key,
    });
    expect(ofOther.body.items).toEqual([]);
  });

  it('refuses a cursor it did not hand out on every list, and pages with the ones it did', async () => {
    const { tid, key } = await world();
    for (const list of [
      'customers',
      'events',
      'issuances',
      'rewards',
      'rules',
      'budgets',
      'campaigns',
      'webhooks',
      'api-keys',
    ]) {
      const r = await server.request('GET', `/v1/tenants/${tid}/${list}?cursor=garbage`, { token: key });
      expect(r.status, list).toBe(400);
      expect(errorOf(r).details.issues[0].path).toBe('cursor');
    }
    const first = await server.request('GET', `/v1/tenants/${tid}/customers?limit=1`, { token: key });
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await server.request(
      'GET',
      `/v1/tenants/${tid}/customers?limit=1&cursor=${first.body.next_cursor}`,
      {
        token: key,
      },
    );
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });

  it('lists at most 20 issues with their total, whatever the body holds', async () => {
    const { tid, key } = await world();
    const body: Record<string, unknown> = { name: 'Many keys', type: 'item' };
    for (let i = 0; i < 50_000; i++) body[`u${i}`] = 0;
    const r = await server.request('POST', `/v1/tenants/${tid}/rewards`, { token: key, body });
    expect(r.status).toBe(400);
    const e = errorOf(r);
    expect(e.details.issues).toHaveLength(20);
    expect(e.details.issue_count).toBe(50_000);
    expect(r.text.length).toBeLessThan(5_000);

    // Past the size limit: 413, and the client's next request still gets through.
    const huge = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'x'.repeat(2 * 1024 * 1024), type: 'item' },
    });
    expect(huge.status).toBe(413);
    const next = await server.request('GET', `/v1/tenants/${tid}/rewards`, { token: key });
    expect(next.status).toBe(200);
  });

  it('answers 415 to a body that is not JSON', async () => {
    const { tid, key } = await world();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const r = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
        token: key,
        rawBody: JSON.stringify({ name: 'Coffee', type: 'item' }),
        headers: { 'content-type': type },
      });
      expect(r.status, type).toBe(415);
      expect(errorOf(r).code).toBe('VALIDATION_ERROR');
    }
    const json = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      rawBody: JSON.stringify({ name: 'Coffee', type: 'item' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(json.status).toBe(201);
  });
});

describe('the SDK refuses NUL at its own boundary', () => {
  it('engine calls answer a ValidationError naming the field', async () => {
    const engine = createEngine({ store: memoryStore() });
    const tenant = await engine.tenants.create({ name: 'SDK shop' });
    const error = await engine.rewards
      .create(tenant.id, { name: 'Nul\u0000', type: 'item' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toBe('name');
    const ingest = await engine
      .ingest(tenant.id, {
        idempotency_key: 'k',
        type: 'visit',
        customer: { phone: '+263771110001' },
        data: { a: '\u0000' },
      })
      .catch((e: unknown) => e);
    expect((ingest as ValidationError).issues[0]?.path).toBe('data.a');
  });
});
