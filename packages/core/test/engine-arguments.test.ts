import { beforeEach, describe, expect, it } from 'vitest';
import { type ArgSpec, ENGINE_ARGUMENTS, signatureOf } from '../src/engine/arguments.js';
import { createEngine, type Engine, LaasError, memoryStore, newId } from '../src/index.js';

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** Every public method of the engine, found by walking the object itself (not the table). */
function walk(engine: Engine): Map<string, AnyMethod> {
  const methods = new Map<string, AnyMethod>();
  for (const [key, value] of Object.entries(engine)) {
    if (key === 'store' || key === 'secrets' || key === 'logic') continue;
    if (typeof value === 'function') methods.set(key, value as AnyMethod);
    else {
      for (const [name, method] of Object.entries(value as Record<string, unknown>)) {
        if (typeof method === 'function') methods.set(`${key}.${name}`, method as AnyMethod);
      }
    }
  }
  return methods;
}

const table = ENGINE_ARGUMENTS as Readonly<Record<string, readonly ArgSpec[]>>;

async function refusal(call: () => Promise<unknown>): Promise<LaasError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LaasError)) {
    throw new Error(`expected a LaasError, got ${error instanceof Error ? error.stack : String(error)}`);
  }
  return error;
}

let engine: Engine;
let tenantId: string;

beforeEach(async () => {
  engine = createEngine({ store: memoryStore() });
  tenantId = (await engine.tenants.create({ name: 'Kofi Coffee', timezone: 'Africa/Accra' })).id;
});

/** A value the argument accepts, so that a later argument is the one at fault. */
function sample(spec: ArgSpec): unknown {
  if (spec.name === 'tenantId') return tenantId;
  if (spec.name === 'fn') return async () => ({ status: 200, body: null });
  if (spec.name === 'request') return { key: 'k', fingerprint: 'f' };
  if (spec.expected.startsWith('the id of')) return newId();
  if (spec.expected.startsWith('an object')) return {};
  if (spec.optional) return undefined;
  throw new Error(`no sample for ${spec.name}`);
}

describe('engine arguments', () => {
  it('every method of the engine is in the table, and nothing else', () => {
    expect([...walk(engine).keys()].sort()).toEqual(Object.keys(ENGINE_ARGUMENTS).sort());
  });

  it('every method called with no arguments is a VALIDATION_ERROR, not a TypeError or NOT_FOUND', async () => {
    for (const [path, method] of walk(engine)) {
      const error = await refusal(() => method());
      expect(error.code, path).toBe('VALIDATION_ERROR');
      expect(error.message, path).toMatch(new RegExp(`^${path.replace('.', '\\.')}\\(`));
      expect(error.details?.issues?.[0]?.path, path).toBe(table[path]?.[0]?.name);
    }
  });

  it('each argument of each method, wrong or missing, is a VALIDATION_ERROR naming it', async () => {
    const methods = walk(engine);
    let checked = 0;
    for (const [path, specs] of Object.entries(table)) {
      const method = methods.get(path) as AnyMethod;
      for (const [i, spec] of specs.entries()) {
        const before = specs.slice(0, i).map(sample);
        const wrong: unknown[] = spec.optional ? [42, true] : [undefined, 42, null];
        if (spec.expected.startsWith('an object')) wrong.push('a string', [1, 2]);
        if (spec.expected.startsWith('the id of')) wrong.push({ id: newId() });
        for (const value of wrong) {
          const error = await refusal(() => method(...before, value));
          const what = `${path} argument ${spec.name} = ${String(value)}`;
          expect(error.code, what).toBe('VALIDATION_ERROR');
          expect(error.message, what).toContain(`${signatureOf(path, specs)}: ${spec.name} must be`);
          expect(error.details?.issues?.[0]?.path, what).toBe(spec.name);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('the examples of issue 14: redeemPoints and redeem given a bare id', async () => {
    const customer = await engine.customers.create(tenantId, { phone: '+233201234567' });
    const rewardId = newId();
    const points = await refusal(() => engine.redeemPoints(tenantId, customer.id, rewardId as never));
    expect(points.code).toBe('VALIDATION_ERROR');
    expect(points.message).toBe(
      `redeemPoints(tenantId, customerId, input): input must be an object like { reward_id }, got the string "${rewardId}"`,
    );
    expect(points.details?.issues).toEqual([
      { path: 'input', message: 'must be an object like { reward_id }', code: 'invalid_argument' },
    ]);

    const id = newId();
    const redeem = await refusal(() => engine.redeem(tenantId, id as never));
    expect(redeem.code).toBe('VALIDATION_ERROR');
    expect(redeem.message).toContain(
      'redeem(tenantId, target): target must be an object like { issuance_id } or { code }',
    );
    expect(redeem.details?.issues?.[0]?.path).toBe('target');
  });

  it('a wrong field of an object checked here names it under the argument', async () => {
    const customerId = newId();
    const missing = await refusal(() => engine.redeemPoints(tenantId, customerId, {} as never));
    expect(missing.details?.issues?.[0]?.path).toBe('input.reward_id');
    expect(missing.message).toMatch(/^redeemPoints\(tenantId, customerId, input\): input\.reward_id: /);
    const extra = await refusal(() =>
      engine.redeemPoints(tenantId, customerId, { reward_id: newId(), points: 5 } as never),
    );
    expect(extra.details?.issues).toEqual([
      { path: 'input.points', message: 'is not a known field', code: 'unrecognized_keys' },
    ]);
    const both = await refusal(() => engine.redeem(tenantId, { issuance_id: newId(), code: 'X' }));
    expect(both.details?.issues?.[0]?.path).toBe('target');
    const filter = await refusal(() => engine.issuances.list(tenantId, { state: 'lost' } as never));
    expect(filter.details?.issues?.[0]?.path).toBe('filter.state');
    const page = await refusal(() => engine.rules.list(tenantId, { limit: 10, offset: 20 } as never));
    expect(page.details?.issues?.[0]?.path).toBe('page.offset');
  });

  it('fields of an input object are still named by the method, as over the API', async () => {
    const error = await refusal(() => engine.customers.create(tenantId, { phone: '0771234567' }));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details?.issues?.[0]?.path).toBe('phone');
  });

  it('a string that is no id is not found, as GET /customers/abc is a 404', async () => {
    const error = await refusal(() => engine.customers.get(tenantId, 'abc'));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('valid calls work as before', async () => {
    const customer = await engine.customers.create(tenantId, { phone: '+233201234567' });
    expect((await engine.customers.get(tenantId, customer.id)).id).toBe(customer.id);
    const found = await engine.customers.list(tenantId, { phone: '+233201234567' }, { limit: 5 });
    expect(found.items.map((c) => c.id)).toEqual([customer.id]);
    const result = await engine.ingest(
      tenantId,
      { idempotency_key: 'k-1', type: 'visit', customer: { phone: '+233201234567' } },
      { dryRun: false },
    );
    expect(result.replayed).toBe(false);
    expect(await engine.expireDue(tenantId, new Date())).toEqual({
      expired: 0,
      cancelled: 0,
      points_expired: 0,
    });
    expect(await engine.transaction(tenantId, async () => 7)).toBe(7);
    const stored = await engine.idempotent(tenantId, { key: 'k', fingerprint: 'f' }, async () => ({
      status: 201,
      body: { ok: true },
    }));
    expect(stored.replayed).toBe(false);
  });

  it('a wrong argument rejects the returned promise, it does not throw synchronously', () => {
    const returned = (engine.customers.get as AnyMethod)(undefined, undefined);
    expect(returned).toBeInstanceOf(Promise);
    return expect(returned).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});
