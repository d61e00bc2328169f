import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../src/index.js';
import { type Answer, type Json, STORE_KINDS, useServer } from './harness.js';

/** A valid body per route, for mutations (one field replaced by random JSON). */
const VALID: Record<string, Record<string, unknown>> = {
  createTenant: { name: 'Shop' },
  updateTenant: { name: 'Shop 2' },
  createCustomer: { phone: '+263771000001', name: 'A' },
  updateCustomer: { name: 'B' },
  setCustomerStatus: { status: 'blocked' },
  redeemPoints: { reward_id: '0190a000-0000-7000-8000-000000000001' },
  ingestEvent: { idempotency_key: 'k', type: 'visit', customer: { phone: '+263771000001' } },
  dryRunEvent: { idempotency_key: 'k', type: 'visit', customer: { phone: '+263771000001' } },
  createRule: { name: 'r', event_types: ['visit'], reward_id: '0190a000-0000-7000-8000-000000000001' },
  updateRule: { name: 'r2' },
  validateRule: { condition: true },
  testRule: { condition: true, context: {} },
  createReward: { name: 'x', type: 'item' },
  updateReward: { name: 'y' },
  uploadRewardCodes: { codes: ['Z1'] },
  generateRewardCodes: { count: 2, length: 8, prefix: 'GIFT-' },
  adjustPoints: { amount: 5, reason: 'goodwill' },
  redeemIssuanceByCode: { code: 'C1' },
  cancelIssuance: { reason: 'r' },
  createBudget: { name: 'b', limit: 10 },
  updateBudget: { name: 'b2' },
  topUpBudget: { amount: 5 },
  createCampaign: { name: 'c' },
  updateCampaign: { name: 'c2' },
  createWebhook: { url: 'https://example.com/hook' },
  updateWebhook: { active: false },
  createApiKey: { name: 'k', role: 'viewer' },
};

describe.each(STORE_KINDS)('random bodies to every POST/PATCH route (%s)', (kind) => {
  const server = useServer(kind);
  let tid = '';
  const ids: Record<string, string> = {};

  async function ok(a: Promise<Answer>): Promise<Json> {
    const r = await a;
    if (r.status >= 300) throw new Error(`${r.status} ${r.text}`);
    return r.body;
  }

  beforeAll(async () => {
    tid = (await server.tenant()).id;
    const T = `/v1/tenants/${tid}`;
    const points = await ok(
      server.request('POST', `${T}/rewards`, { body: { name: 'P', type: 'points', value: 1 } }),
    );
    const voucher = await ok(
      server.request('POST', `${T}/rewards`, { body: { name: 'V', type: 'voucher' } }),
    );
    await ok(
      server.request('POST', `${T}/rewards/${voucher.id}/codes`, { body: { codes: ['C1', 'C2', 'C3'] } }),
    );
    const budget = await ok(server.request('POST', `${T}/budgets`, { body: { name: 'B', limit: 100_000 } }));
    const campaign = await ok(
      server.request('POST', `${T}/campaigns`, { body: { name: 'C', status: 'active' } }),
    );
    const rule = await ok(
      server.request('POST', `${T}/rules`, {
        body: {
          name: 'R',
          event_types: ['purchase'],
          reward_id: points.id,
          budget_id: budget.id,
          campaign_id: campaign.id,
        },
      }),
    );
    await ok(
      server.request('POST', `${T}/rules`, {
        body: { name: 'V', event_types: ['visit'], reward_id: voucher.id },
      }),
    );
    const event = await ok(
      server.request('POST', `${T}/events`, {
        body: {
          idempotency_key: 'e1',
          type: 'purchase',
          customer: { phone: '+263771000009' },
          data: { amount: 100 },
        },
      }),
    );
    const visit = await ok(
      server.request('POST', `${T}/events`, {
        body: { idempotency_key: 'e2', type: 'visit', customer: { id: event.customer_id } },
      }),
    );
    const webhook = await ok(
      server.request('POST', `${T}/webhooks`, { body: { url: 'https://example.com/h' } }),
    );
    Object.assign(ids, {
      customers: event.customer_id,
      rules: rule.id,
      rewards: voucher.id,
      budgets: budget.id,
      campaigns: campaign.id,
      issuances: visit.issuance_ids[0],
      webhooks: webhook.id,
      'api-keys': '0190a000-0000-7000-8000-000000000002',
    });
  });

  async function snapshot(): Promise<string> {
    const T = `/v1/tenants/${tid}`;
    const paths = [
      '/v1/tenants?limit=200',
      T,
      ...[
        'customers',
        'events',
        'rules',
        'rewards',
        'issuances',
        'budgets',
        'campaigns',
        'webhooks',
        'api-keys',
      ].map((p) => `${T}/${p}?limit=200`),
      `${T}/budgets/${ids.budgets}/periods`,
      `${T}/budgets/${ids.budgets}/ledger?limit=200`,
      `${T}/customers/${ids.customers}/points/history?limit=200`,
      `${T}/rewards/${ids.rewards}/codes`,
    ];
    const bodies = await Promise.all(paths.map((p) => server.request('GET', p).then((r) => r.text)));
    return bodies.join('\n');
  }

  function pathOf(pattern: string): string {
    return pattern
      .replace(':tid', tid)
      .replace(/\/([a-z-]+)\/:id/, (_m, collection: string) => `/${collection}/${ids[collection]}`);
  }

  it('answers 4xx in the error shape, never 5xx, and writes nothing', async () => {
    const before = await snapshot();
    const routes = API_ROUTES.filter(
      (r) => r.body !== undefined && (r.method === 'post' || r.method === 'patch'),
    );
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    for (const spec of routes) {
      const valid = VALID[spec.operationId];
      expect(valid, `no valid example for ${spec.operationId}`).toBeDefined();
      const mutated = fc
        .tuple(fc.constantFrom(...Object.keys(valid as object)), fc.jsonValue({ maxDepth: 3 }))
        .map(([k, v]) => ({ ...valid, [k]: v }));
      const extraKey = fc
        .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
        .filter(([k]) => !(k in (valid as object)))
        .map(([k, v]) => ({ ...valid, [k]: v }));
      const body = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.object({ maxDepth: 3 }), mutated, extraKey);
      const raw = fc.oneof(
        // What the server receives is the JSON text: `{ k: undefined }` reaches it as `{}`.
        body.map((b) => {
          const text = JSON.stringify(b);
          return { raw: text, parsed: JSON.parse(text) as unknown, json: true };
        }),
        fc.string({ maxLength: 40 }).map((s) => ({ raw: s, parsed: undefined as unknown, json: false })),
      );
      await fc.assert(
        fc.asyncProperty(raw, async ({ raw: text, parsed, json }) => {
          // Only bodies the route's own schema refuses (a valid one would rightly be written).
          let isJson = json;
          if (!json && text.trim() === '') {
            parsed = undefined; // an empty body is "no body", as the server reads it
            isJson = true;
          } else if (!json) {
            try {
              parsed = JSON.parse(text);
              isJson = true;
            } catch {}
          }
          if (isJson && spec.body?.safeParse(parsed).success) return;
          const r = await server.request(spec.method.toUpperCase(), pathOf(spec.path), {
            rawBody: text,
            headers: { 'content-type': 'application/json' },
          });
          const e = r.body?.error;
          const shaped =
            typeof e?.code === 'string' && typeof e.message === 'string' && typeof e.requestId === 'string';
          if (r.status < 400 || r.status >= 500 || !shaped) {
            problems.push(
              `${spec.operationId} ${JSON.stringify(text).slice(0, 200)} -> ${r.status} ${r.text.slice(0, 200)}`,
            );
          }
        }),
        { numRuns: 30 },
      );
    }
    expect(problems).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});
