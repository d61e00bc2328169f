import { randomBytes } from 'node:crypto';
import { addDays, localNow, periodKey, startOfDate } from '@laas/core';
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

const ZONE = 'America/New_York';
const zeros = {
  events: 0,
  enrolments: 0,
  issued: 0,
  redeemed: 0,
  points_earned: 0,
  points_spent: 0,
  points_expired: 0,
};

function phone(): string {
  return `+1415${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

describe.each(STORE_KINDS)('GET /v1/tenants/:tid/analytics (%s)', (kind) => {
  const server = useServer(kind);

  /** A New York shop: points per dollar, a coffee per visit charged to a monthly budget of 1000. */
  async function shop() {
    const t = await server.request('POST', '/v1/tenants', {
      body: { name: 'Console shop', timezone: ZONE, settings: { currency: 'USD', backdate_limit: null } },
    });
    expect(t.status, t.text).toBe(201);
    const tid = t.body.id as string;
    const key = await server.key(tid, 'admin');
    const post = async (path: string, body: unknown) => {
      const answer = await server.request('POST', `/v1/tenants/${tid}${path}`, { token: key, body });
      expect(answer.status, answer.text).toBeLessThan(300);
      return answer.body;
    };
    const budget = await post('/budgets', {
      name: 'Coffee budget',
      unit: 'USD',
      limit: 1000,
      period: 'month',
    });
    const points = await post('/rewards', { name: 'Points', type: 'points', value: 1 });
    const coffee = await post('/rewards', { name: 'Free coffee', type: 'item', cost: 300, validity: '30d' });
    await post('/rules', {
      name: 'Points per dollar',
      event_types: ['purchase'],
      reward_id: points.id,
      quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
    });
    await post('/rules', {
      name: 'Coffee on visit',
      event_types: ['visit'],
      reward_id: coffee.id,
      budget_id: budget.id,
    });
    const ingest = (type: string, occurred_at: string, amount?: number) =>
      post('/events', {
        idempotency_key: `evt-${randomBytes(6).toString('hex')}`,
        type,
        occurred_at,
        customer: { phone: phone() },
        ...(amount === undefined ? {} : { data: { amount } }),
      });
    return { tid, key, budget, ingest, post };
  }

  it('answers every day of the range in the tenant time zone, with the figures of today, budgets and top rules', async () => {
    const { tid, key, budget, ingest, post } = await shop();
    // Oct 30, 23:30 EDT (Oct 31 in UTC) and Nov 1, 23:30 EST in the 25-hour day (Nov 2 in UTC).
    await ingest('purchase', '2026-10-31T03:30:00.000Z', 500);
    const visit = await ingest('visit', '2026-11-02T04:30:00.000Z');
    await post(`/issuances/${visit.issuances[0].id}/redeem`, undefined);

    const past = await server.request('GET', `/v1/tenants/${tid}/analytics?from=2026-10-30&to=2026-11-02`, {
      token: key,
    });
    expect(past.status, past.text).toBe(200);
    expect(past.body).toMatchObject({
      from: '2026-10-30',
      to: '2026-11-02',
      timezone: ZONE,
      currency: 'USD',
    });
    expect(past.body.days).toEqual([
      { date: '2026-10-30', ...zeros, events: 1 },
      { date: '2026-10-31', ...zeros },
      { date: '2026-11-01', ...zeros, events: 1 },
      { date: '2026-11-02', ...zeros },
    ]);
    expect(past.body.totals).toEqual({ ...zeros, events: 2 });
    expect(past.body.top_rules).toEqual([]);

    // Enrolments, issuances, points and the budget charge happen now (the server's clock).
    const now = new Date().toISOString();
    const today = localNow(now, ZONE).date;
    const recent = await server.request('GET', `/v1/tenants/${tid}/analytics`, { token: key });
    expect(recent.status, recent.text).toBe(200);
    expect(recent.body.to).toBe(today);
    expect(recent.body.from).toBe(addDays(today, -29));
    expect(recent.body.days).toHaveLength(30);
    expect(recent.body.days[29]).toEqual({
      date: today,
      ...zeros,
      enrolments: 2,
      issued: 2,
      redeemed: 1,
      points_earned: 5,
    });
    expect(recent.body.points_liability).toBe(5);
    const after = addDays(today, Math.ceil(700 / (300 / 7)));
    const stillThisMonth =
      periodKey(startOfDate(after, ZONE), 'month', ZONE) === periodKey(now, 'month', ZONE);
    expect(recent.body.budgets).toEqual([
      {
        id: budget.id,
        name: 'Coffee budget',
        unit: 'USD',
        limit: 1000,
        period: 'month',
        hard_cap: true,
        current_period: periodKey(now, 'month', ZONE),
        used: 300,
        remaining: 700,
        days: recent.body.days.map((d: { date: string }) => ({
          date: d.date,
          amount: d.date === today ? 300 : 0,
        })),
        projected_exhaustion: stillThisMonth ? after : null,
      },
    ]);
    expect(recent.body.top_rules).toEqual([
      { rule_id: expect.any(String), name: 'Coffee on visit', issued: 1 },
      { rule_id: expect.any(String), name: 'Points per dollar', issued: 1 },
    ]);
  });

  it('refuses a malformed date (400), to before from and more than 366 days (422), naming the field', async () => {
    const { tid, key } = await shop();
    const get = (query: string) =>
      server.request('GET', `/v1/tenants/${tid}/analytics?${query}`, { token: key });
    for (const [query, status, path] of [
      ['from=2026-13-01', 400, 'from'],
      ['to=yesterday', 400, 'to'],
      ['from=2026-11-02&to=2026-11-01', 422, 'to'],
      ['from=2025-10-31&to=2026-11-01', 422, 'to'],
      ['since=2026-11-01', 400, 'since'],
    ] as const) {
      const answer = await get(query);
      expect(answer.status, `${query}: ${answer.text}`).toBe(status);
      const error = errorOf(answer);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details?.issues).toEqual([expect.objectContaining({ path })]);
    }
    const year = await get('from=2025-11-01&to=2026-11-01');
    expect(year.status).toBe(200);
    expect(year.body.days).toHaveLength(366);
  });

  it('is setup:read: viewer and manager yes, pos 403; another tenant’s key 404', async () => {
    const { tid } = await shop();
    for (const role of ['viewer', 'manager'] as const) {
      const key = await server.key(tid, role);
      expect((await server.request('GET', `/v1/tenants/${tid}/analytics`, { token: key })).status).toBe(200);
    }
    const pos = await server.key(tid, 'pos');
    const refused = await server.request('GET', `/v1/tenants/${tid}/analytics`, { token: pos });
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe('AUTHORIZATION_ERROR');
    const other = await server.tenant('Another shop');
    const foreign = await server.request('GET', `/v1/tenants/${tid}/analytics`, { token: other.key });
    expect(foreign.status).toBe(404);
    expect(errorOf(foreign).code).toBe('NOT_FOUND');
  });
});

describe.each(STORE_KINDS)('GET /v1/tenants/:tid/customers?q= (%s)', (kind) => {
  const server = useServer(kind);

  it('searches phone digits, external_ref prefix and name, literally, newest first and paginated', async () => {
    const { id: tid, key } = await server.tenant();
    const create = async (body: unknown) => {
      const answer = await server.request('POST', `/v1/tenants/${tid}/customers`, { token: key, body });
      expect(answer.status, answer.text).toBe(201);
      return answer.body.id as string;
    };
    const ama = await create({ phone: '+233201234567', name: 'Ama Owusu', external_ref: 'CARD-1' });
    const kofi = await create({ phone: '+233209999000', name: 'Kofi 100%', external_ref: 'card_2' });
    const list = async (query: string) => {
      const answer = await server.request('GET', `/v1/tenants/${tid}/customers?${query}`, { token: key });
      expect(answer.status, answer.text).toBe(200);
      return answer.body;
    };
    expect((await list('q=0123%204')).items.map((c: { id: string }) => c.id)).toEqual([ama]);
    expect((await list('q=card')).items.map((c: { id: string }) => c.id)).toEqual([kofi, ama]);
    expect((await list('q=card_')).items.map((c: { id: string }) => c.id)).toEqual([kofi]);
    expect((await list('q=%25')).items.map((c: { id: string }) => c.id)).toEqual([kofi]);
    expect((await list('q=owusu')).items.map((c: { id: string }) => c.id)).toEqual([ama]);
    const first = await list('q=card&limit=1');
    expect(first.items.map((c: { id: string }) => c.id)).toEqual([kofi]);
    const second = await list(`q=card&limit=1&cursor=${first.next_cursor}`);
    expect(second.items.map((c: { id: string }) => c.id)).toEqual([ama]);
    for (const q of ['', 'x'.repeat(101)]) {
      const answer = await server.request('GET', `/v1/tenants/${tid}/customers?q=${q}`, { token: key });
      expect(answer.status).toBe(400);
      expect(errorOf(answer).details?.issues).toEqual([expect.objectContaining({ path: 'q' })]);
    }
  });
});
