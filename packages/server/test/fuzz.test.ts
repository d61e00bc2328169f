/**
 * Fuzz of every route of the API, on SQLite and PostgreSQL: requests generated with fast-check
 * from each route's own zod schemas (through their JSON Schema), so most reach the engine, plus
 * hostile mutations (NUL and control characters, numbers past 2^53, 1e20, fractions, 10,000-deep
 * nesting, `__proto__`/`constructor` keys, 100 KB strings, wrong types, unknown query parameters,
 * garbage cursors and ids, far-future and 1970 dates). Sent with an admin key of a seeded tenant.
 *
 * Asserts: no answer >= 500 (a 503 on a healthy database is a bug too), no request past its
 * timeout, every JSON error in the documented shape; afterwards the money invariants hold.
 *
 * Bounded in CI (LAAS_FUZZ_RUNS requests per store, default 1,200, fixed seed); a long run:
 *   LAAS_FUZZ_RUNS=50000 LAAS_FUZZ_SEED=$RANDOM npx vitest run packages/server/test/fuzz.test.ts
 */
import { expectInvariants } from '@laas/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_ROUTES, type RouteSpec } from '../src/index.js';
import { type Json, STORE_KINDS, useServer } from './harness.js';

const RUNS = Number(process.env.LAAS_FUZZ_RUNS ?? 1200);
const SEED = Number(process.env.LAAS_FUZZ_SEED ?? 20261205);
const TIMEOUT_MS = 10_000;

type Schema = Record<string, Json>;

interface FuzzRequest {
  route: RouteSpec;
  params: Record<string, string>;
  query: Record<string, string>;
  body: string | undefined;
}

const PHONES = ['+263771234567', '+233201234567', '+254700000001'];
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

/** Values no field expects. */
const hostile: fc.Arbitrary<unknown> = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31m\r\n',
  2 ** 53,
  2 ** 53 + 2,
  1e20,
  -1,
  0.5,
  -1e-9,
  '',
  'x'.repeat(100_000),
  [],
  {},
  null,
  true,
  '9999-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '../../etc/passwd',
  '__proto__',
  { __proto__: { admin: true } },
);

/** A value for `schema` (JSON Schema as zod writes it), mostly valid. */
function arbitraryOf(
  schema: Schema | undefined,
  name: string,
  ids: string[],
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema === undefined || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if ('const' in schema) return fc.constant(schema.const);
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => arbitraryOf(s, name, ids, depth + 1)));
  switch (schema.type) {
    case 'string': {
      if (name === 'phone') return fc.constantFrom(...PHONES);
      if (schema.format === 'uuid')
        return ids.length > 0 ? fc.oneof(fc.constantFrom(...ids), fc.uuid()) : fc.uuid();
      if (schema.format === 'date-time') {
        return fc
          .integer({ min: -40, max: 1 })
          .map((d) => new Date(Date.now() + d * 86_400_000).toISOString());
      }
      if (typeof schema.pattern === 'string') {
        try {
          return fc
            .stringMatching(new RegExp(schema.pattern))
            .filter((s) => s.length <= (schema.maxLength ?? 200));
        } catch {
          // A pattern fast-check cannot walk: plain strings.
        }
      }
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 24, 24) });
    }
    case 'integer':
    case 'number':
      return fc.integer({
        min: Math.max(schema.minimum ?? 0, -1_000),
        max: Math.min(schema.maximum ?? 100_000, 100_000),
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbitraryOf(schema.items, name, ids, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, 3),
      });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const keys = Object.keys(properties);
      if (keys.length === 0)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      return fc.record(
        Object.fromEntries(keys.map((k) => [k, arbitraryOf(properties[k], k, ids, depth + 1)])),
        {
          requiredKeys: ((schema.required ?? []) as string[]).filter((k) => keys.includes(k)),
        },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function jsonSchema(schema: z.ZodType | undefined): Schema | undefined {
  return schema === undefined
    ? undefined
    : (z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Schema);
}

/** A body: valid-looking, or with one field made hostile, or extra keys, or hostile raw text. */
function bodyOf(route: RouteSpec, ids: string[]): fc.Arbitrary<string | undefined> {
  if (route.body === undefined) return fc.constant(undefined);
  const valid = arbitraryOf(jsonSchema(route.body), '', ids);
  return fc.oneof(
    { weight: 8, arbitrary: valid.map((v) => JSON.stringify(v)) },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.nat(), hostile).map(([v, at, bad]) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return JSON.stringify(bad);
        const keys = Object.keys(v);
        const key = keys.length === 0 ? 'extra' : (keys[at % keys.length] as string);
        return JSON.stringify({ ...v, [key]: bad });
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
        deep(10_000),
        `{"a":${deep(5_000)}}`,
        '{"amount": 9007199254740993}',
        '{',
        'null',
        '"\\u0000"',
        JSON.stringify({
          name: 'x',
          ...Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
        }),
      ),
    },
  );
}

/** A query: some of the route's parameters, sometimes hostile, sometimes unknown ones. */
function queryOf(route: RouteSpec, ids: string[]): fc.Arbitrary<Record<string, string>> {
  const schema = jsonSchema(route.query);
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const known = Object.keys(properties);
  const entry = fc.oneof(
    ...(known.length === 0
      ? [fc.constant(['unknown_filter', '1'] as [string, string])]
      : [
          fc
            .constantFrom(...known)
            .chain((k) =>
              arbitraryOf(properties[k], k, ids).map(
                (v) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string],
              ),
            ),
          fc.constantFrom(...known).map((k) => [k, 'a\u0000b'] as [string, string]),
        ]),
    fc.constantFrom<[string, string]>(
      ['cursor', 'garbage'],
      ['limit', '1e20'],
      ['limit', '-1'],
      ['phone', '+263771234567'],
      ['x', 'y'],
    ),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    {
      weight: 2,
      arbitrary: fc.array(entry, { minLength: 1, maxLength: 3 }).map((pairs) => Object.fromEntries(pairs)),
    },
  );
}

describe.each(STORE_KINDS)('fuzz every route (%s)', (kind) => {
  const server = useServer(kind);

  it(`${RUNS} generated and hostile requests: no 5xx, no hang, invariants hold (seed ${SEED})`, async () => {
    const { id: tid, key } = await server.tenant('Fuzz shop');
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      server.request(method, `/v1/tenants/${tid}${path}`, { token: key, body, headers });
    // A world for the requests to act on: every kind of row exists.
    const reward = (await call('POST', '/rewards', { name: 'Coffee', type: 'item', cost: 100 })).body;
    const voucher = (await call('POST', '/rewards', { name: 'Voucher', type: 'voucher', cost: 50 })).body;
    await call('POST', `/rewards/${voucher.id}/codes`, { codes: ['FUZZ-1', 'FUZZ-2', 'FUZZ-3'] });
    const points = (await call('POST', '/rewards', { name: 'Points', type: 'points', value: 1 })).body;
    const budget = (
      await call('POST', '/budgets', { name: 'Monthly', limit: 5_000, period: 'month', hard_cap: true })
    ).body;
    const campaign = (await call('POST', '/campaigns', { name: 'Launch' })).body;
    const rule = (
      await call('POST', '/rules', {
        name: 'Visit',
        event_types: ['visit'],
        reward_id: reward.id,
        budget_id: budget.id,
      })
    ).body;
    await call('POST', '/rules', {
      name: 'Points',
      event_types: ['purchase'],
      reward_id: points.id,
      quantity: { var: 'event.amount' },
    });
    await call('POST', '/rules', { name: 'Voucher', event_types: ['purchase'], reward_id: voucher.id });
    const event = (
      await call(
        'POST',
        '/events',
        { type: 'visit', customer: { phone: PHONES[0] } },
        { 'Idempotency-Key': 'seed-1' },
      )
    ).body;
    await call(
      'POST',
      '/events',
      { type: 'purchase', customer: { phone: PHONES[1] }, data: { amount: 2500 } },
      {
        'Idempotency-Key': 'seed-2',
      },
    );
    const hook = (await call('POST', '/webhooks', { url: 'https://93.184.216.34/hook', events: [] })).body;
    const apiKey = (await call('POST', '/api-keys', { name: 'fuzz', role: 'viewer' })).body;
    const issuances = (await call('GET', '/issuances')).body.items as Array<{ id: string }>;
    const ids = [
      reward.id,
      voucher.id,
      points.id,
      budget.id,
      campaign.id,
      rule.id,
      event.event_id,
      event.customer_id,
      hook.id,
      apiKey.id,
      ...issuances.map((i) => i.id),
    ].filter((id): id is string => typeof id === 'string');

    const routes = API_ROUTES.filter((r) => r.permission !== 'public' && r.operationId !== 'createTenant');
    const pathParam = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...ids) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.constantFrom('x', '%00', 'a'.repeat(300), '..%2F..%2Fetc', '-1', '1e20') },
    );
    const request: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...routes).chain((route) =>
      fc.record({
        route: fc.constant(route),
        params: fc.array(pathParam, { minLength: 3, maxLength: 3 }).map((values) => {
          const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
          return Object.fromEntries(names.map((n, i) => [n, n === 'tid' ? tid : (values[i] as string)]));
        }),
        query: queryOf(route, ids),
        body: bodyOf(route, ids),
      }),
    );

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const samples = fc.sample(request, { seed: SEED, numRuns: RUNS });
    for (const [n, r] of samples.entries()) {
      const path = r.route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => r.params[name] ?? 'x');
      const qs = new URLSearchParams(r.query).toString();
      const url = `${server.url}${path}${qs ? `?${qs}` : ''}`;
      const what = `#${n} ${r.route.method.toUpperCase()} ${path}${qs ? `?${qs.slice(0, 120)}` : ''} ${r.body?.slice(0, 160) ?? ''}`;
      const send = () =>
        fetch(url, {
          method: r.route.method.toUpperCase(),
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'idempotency-key': `fuzz-${n % 50}`,
          },
          ...(r.body === undefined ? {} : { body: r.body }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      let res: Response;
      try {
        // A kept-alive connection the server closed for idleness just as it was reused fails at
        // once on the client (generating the samples can take longer than the keep-alive):
        // that is the client's race, so such a request is sent once more; a timeout is not.
        res = await send().catch((error: unknown) => {
          if ((error as Error).name === 'TimeoutError') throw error;
          return send();
        });
      } catch (error) {
        failures.push(`${what} → no answer (${(error as Error).name}: ${(error as Error).message})`);
        continue;
      }
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${what} → ${res.status} ${text.slice(0, 200)}`);
      else if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('json')) {
        const e = (JSON.parse(text) as Json)?.error;
        if (
          typeof e?.code !== 'string' ||
          typeof e?.message !== 'string' ||
          typeof e?.requestId !== 'string'
        ) {
          failures.push(`${what} → ${res.status} without the error shape: ${text.slice(0, 200)}`);
        }
      }
    }
    console.log(
      `[fuzz ${kind}] seed ${SEED}, ${RUNS} requests: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    expect(failures.slice(0, 30), `${failures.length} failures (seed ${SEED})`).toEqual([]);
    expect(statuses.get(200) ?? 0 + (statuses.get(201) ?? 0)).toBeGreaterThan(0);

    const tenant = await server.running.engine.tenants.get(tid);
    await expectInvariants(server.running.engine, tid, tenant.timezone);
  }, 600_000);
});
