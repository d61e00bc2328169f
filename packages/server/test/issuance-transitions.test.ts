/**
 * Every transition the issuance state machine (DESIGN.md, "The issuance state machine") does not
 * have, asked for over HTTP on each store: 409 STATE_CONFLICT naming the state the reward is in,
 * and nothing moves — the issuance, its budget period's counters, the budget ledger and the outbox
 * are exactly as before the request.
 */
import { ISSUANCE_TRANSITIONS, type IssuanceAction, type IssuanceState } from '@laas/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type Json, STORE_KINDS, useServer } from './harness.js';

/** What the API can ask of an issuance: the state machine's actions, redeem also by voucher code. */
type Request = 'issue' | 'redeem' | 'redeem-by-code' | 'cancel';
const ACTION_OF: Record<Request, IssuanceAction> = {
  issue: 'issue',
  redeem: 'redeem',
  'redeem-by-code': 'redeem',
  cancel: 'cancel',
};

/** The illegal (state, request) pairs, written out: the state machine's complement, checked below. */
const ILLEGAL: ReadonlyArray<readonly [IssuanceState, Request]> = [
  ['reserved', 'redeem'],
  ['reserved', 'redeem-by-code'],
  ['issued', 'issue'],
  ['redeemed', 'issue'],
  ['redeemed', 'redeem'],
  ['redeemed', 'redeem-by-code'],
  ['redeemed', 'cancel'],
  ['expired', 'issue'],
  ['expired', 'redeem'],
  ['expired', 'redeem-by-code'],
  ['expired', 'cancel'],
  ['cancelled', 'issue'],
  ['cancelled', 'redeem'],
  ['cancelled', 'redeem-by-code'],
  ['cancelled', 'cancel'],
];

const DAY = 86_400_000;

it('ILLEGAL lists exactly the transitions the state machine lacks', () => {
  const lacking: string[] = [];
  for (const [state, actions] of Object.entries(ISSUANCE_TRANSITIONS)) {
    for (const request of Object.keys(ACTION_OF) as Request[]) {
      if (!(ACTION_OF[request] in actions)) lacking.push(`${state} ${request}`);
    }
  }
  expect(ILLEGAL.map(([state, request]) => `${state} ${request}`).sort()).toEqual(lacking.sort());
});

describe.each(STORE_KINDS)('illegal issuance transitions over HTTP (%s)', (kind) => {
  const server = useServer(kind);
  let tid: string;
  let key: string;
  let budgetId: string;
  /** An issuance (id and voucher code) in each state. */
  const fixtures = {} as Record<IssuanceState, { id: string; code: string }>;

  const api = (method: string, path: string, body?: unknown) =>
    server.request(method, `/v1/tenants/${tid}${path}`, { token: key, body });

  let phones = 0;
  /** A purchase by a new customer: the rule reserves one voucher (manual issue mode). */
  async function reserve(): Promise<{ id: string; code: string }> {
    phones++;
    const r = await api('POST', '/events', {
      idempotency_key: `purchase-${phones}`,
      type: 'purchase',
      customer: { phone: `+2637712300${String(phones).padStart(2, '0')}` },
    });
    expect(r.status).toBe(201);
    expect(r.body.decisions[0].outcome).toBe('reserved');
    const issuance = r.body.issuances[0];
    expect(issuance).toMatchObject({ state: 'reserved', code: expect.any(String) });
    return { id: issuance.id, code: issuance.code };
  }

  async function step(id: string, action: 'issue' | 'redeem' | 'cancel', state: IssuanceState) {
    const r = await api('POST', `/issuances/${id}/${action}`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe(state);
  }

  beforeAll(async () => {
    ({ id: tid, key } = await server.tenant('Transitions'));
    const budget = await api('POST', '/budgets', { name: 'Vouchers', limit: 100_000, period: 'none' });
    expect(budget.status).toBe(201);
    budgetId = budget.body.id;
    const reward = await api('POST', '/rewards', {
      name: 'Cake voucher',
      type: 'voucher',
      cost: 100,
      issue_mode: 'manual',
      validity: '1d',
    });
    expect(reward.status).toBe(201);
    const codes = Array.from({ length: 10 }, (_, i) => `CAKE-${i}`);
    expect((await api('POST', `/rewards/${reward.body.id}/codes`, { codes })).status).toBe(201);
    const rule = await api('POST', '/rules', {
      name: 'Cake on purchase',
      event_types: ['purchase'],
      reward_id: reward.body.id,
      budget_id: budgetId,
    });
    expect(rule.status).toBe(201);

    // Expired first, while it is the only issued reward: expiry as the background worker runs it
    // (`engine.expireDue`, the worker's expiry job), at a time past its 1-day validity. The server
    // runs without a worker (harness), so nothing else expires behind the test's back.
    fixtures.expired = await reserve();
    await step(fixtures.expired.id, 'issue', 'issued');
    const swept = await server.running.engine.expireDue(tid, new Date(Date.now() + 2 * DAY));
    expect(swept).toMatchObject({ expired: 1, cancelled: 0 });

    fixtures.reserved = await reserve();
    fixtures.issued = await reserve();
    await step(fixtures.issued.id, 'issue', 'issued');
    fixtures.redeemed = await reserve();
    await step(fixtures.redeemed.id, 'issue', 'issued');
    await step(fixtures.redeemed.id, 'redeem', 'redeemed');
    fixtures.cancelled = await reserve();
    await step(fixtures.cancelled.id, 'issue', 'issued');
    await step(fixtures.cancelled.id, 'cancel', 'cancelled');

    for (const [state, { id }] of Object.entries(fixtures)) {
      expect((await api('GET', `/issuances/${id}`)).body.state).toBe(state);
    }
  });

  /** What an illegal request must leave alone. */
  async function snapshot(id: string): Promise<Json> {
    const issuance = await api('GET', `/issuances/${id}`);
    const periods = await api('GET', `/budgets/${budgetId}/periods`);
    const ledger = await api('GET', `/budgets/${budgetId}/ledger?limit=200`);
    const outbox = await server.running.engine.outbox.list(tid, { limit: 200 });
    return {
      issuance: issuance.body,
      periods: periods.body.items,
      ledger: ledger.body.items.map((row: { id: string }) => row.id),
      outbox: outbox.items.map((row) => row.id),
    };
  }

  it.each(ILLEGAL)('%s, %s: 409 STATE_CONFLICT naming the state; nothing changes', async (state, request) => {
    const fixture = fixtures[state];
    const before = await snapshot(fixture.id);
    expect(before.periods).toHaveLength(1);
    const answer =
      request === 'redeem-by-code'
        ? await api('POST', '/issuances/redeem', { code: fixture.code })
        : request === 'cancel'
          ? await api('POST', `/issuances/${fixture.id}/cancel`, { reason: 'test' })
          : await api('POST', `/issuances/${fixture.id}/${request}`);
    expect(answer.status).toBe(409);
    const error = errorOf(answer);
    expect(error.code).toBe('STATE_CONFLICT');
    expect(error.details).toMatchObject({ state, action: ACTION_OF[request], issuance_id: fixture.id });
    expect(error.message).toContain(state);
    expect(await snapshot(fixture.id)).toEqual(before);
  });

  it('the budget counters account for the fixtures exactly (reserved 100, issued 100, redeemed 100)', async () => {
    const periods = await api('GET', `/budgets/${budgetId}/periods`);
    expect(periods.body.items).toEqual([
      expect.objectContaining({ reserved: 100, utilized: 100, spent: 100, limit: 100_000 }),
    ]);
  });
});
