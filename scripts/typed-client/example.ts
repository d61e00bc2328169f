/**
 * A typed LaaS client: `openapi-fetch` over the types `openapi-typescript` generates from the
 * server's own /openapi.json (scripts/typed-client.mjs writes generated/laas-api.d.ts, then
 * compiles this file with `tsc --strict`). Paths, parameters, bodies and answers are all checked.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/laas-api.js';

export type IngestResult = components['schemas']['IngestResult'];

export function laasClient(baseUrl: string, apiKey: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}

/** Sends one purchase (its receipt number is the idempotency key); a retry replays the outcome. */
export async function recordPurchase(
  laas: ReturnType<typeof laasClient>,
  tenantId: string,
  purchase: { receipt: string; phone: string; cents: number },
): Promise<{ replayed: boolean; result: IngestResult }> {
  const { data, error, response } = await laas.POST('/v1/tenants/{tid}/events', {
    params: { path: { tid: tenantId }, header: { 'idempotency-key': purchase.receipt } },
    body: {
      type: 'purchase',
      customer: { phone: purchase.phone },
      data: { amount: purchase.cents, currency: 'USD' },
    },
  });
  if (error !== undefined) throw new Error(`${error.error.code}: ${error.error.message}`);
  return { replayed: response.status === 200, result: data };
}

/** A point-of-sale key for a till: the role is one of the four the API knows. */
export async function createTillKey(laas: ReturnType<typeof laasClient>, tenantId: string, till: string) {
  const { data, error } = await laas.POST('/v1/tenants/{tid}/api-keys', {
    params: { path: { tid: tenantId } },
    body: { name: till, role: 'pos' },
  });
  if (error !== undefined) throw new Error(error.error.message);
  return data.key;
}

/** What the generated types refuse (checked by the same compile: each marked line must be an error). */
export function refusedAtCompileTime(laas: ReturnType<typeof laasClient>) {
  void laas.POST('/v1/tenants/{tid}/api-keys', {
    params: { path: { tid: 't' } },
    // @ts-expect-error 'owner' is not a role
    body: { name: 'x', role: 'owner' },
  });
  // @ts-expect-error no such route
  void laas.GET('/v1/tenants/{tid}/loyalty-cards', { params: { path: { tid: 't' } } });
  void laas.POST('/v1/tenants/{tid}/events', {
    params: { path: { tid: 't' } },
    // @ts-expect-error an event needs a customer
    body: { type: 'visit' },
  });
}
