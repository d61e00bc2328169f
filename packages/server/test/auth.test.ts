import { sign } from 'hono/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, roleAllows } from '../src/index.js';
import { type Answer, errorOf, STORE_KINDS, useServer } from './harness.js';

const ROLES = ['admin', 'manager', 'pos', 'viewer'] as const;
const DUMMY = '0190a000-0000-7000-8000-00000000dead';
const SECRET = 'jwt-test-secret-0123456789abcdef';

function pathFor(pattern: string, tid: string): string {
  return pattern.replace(':tid', tid).replace(/:[A-Za-z0-9_]+/g, DUMMY);
}

/** True when an answer comes from past authorisation (the handler ran and judged the input). */
function passedAuth(a: Answer): boolean {
  if (a.status === 401 || a.status === 403 || a.status === 429) return false;
  if (a.status === 404) return errorOf(a).details?.entity !== 'tenant';
  return true;
}

describe.each(STORE_KINDS)('auth matrix (%s)', (kind) => {
  const server = useServer(kind, { jwtSecret: SECRET });
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    a = await server.tenant('A');
    b = await server.tenant('B');
    for (const role of ROLES) keys[role] = await server.key(a.id, role);
  });

  it('every route × every role × (own tenant, other tenant, no key, bad key) follows the permission table', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const spec of API_ROUTES) {
      // Public routes (a USSD gateway's or Meta's callback) take no credentials and answer on their
      // own terms (a signature check, an END sentence); their own suites test them.
      if (spec.permission === 'public') continue;
      const method = spec.method.toUpperCase();
      const body = spec.body === undefined ? undefined : {};
      const tenantRoute = spec.path.includes(':tid');
      for (const role of ROLES) {
        const own = await server.request(method, pathFor(spec.path, a.id), { token: keys[role], body });
        const allowed = roleAllows(role, spec.permission);
        checked++;
        if (allowed ? !passedAuth(own) : own.status !== 403 || errorOf(own).code !== 'AUTHORIZATION_ERROR') {
          failures.push(`${role} ${method} ${spec.path} own tenant: ${own.status} (allowed: ${allowed})`);
        }
        if (tenantRoute) {
          const other = await server.request(method, pathFor(spec.path, b.id), { token: keys[role], body });
          checked++;
          const e = other.status === 404 ? errorOf(other) : undefined;
          if (e?.code !== 'NOT_FOUND' || e.details?.entity !== 'tenant') {
            failures.push(`${role} ${method} ${spec.path} other tenant: ${other.status} ${other.text}`);
          }
        }
      }
      for (const token of [null, 'laas_this-key-does-not-exist', 'garbage']) {
        const r = await server.request(method, pathFor(spec.path, a.id), { token, body });
        checked++;
        if (r.status !== 401 || errorOf(r).code !== 'AUTHENTICATION_ERROR') {
          failures.push(`${token ?? 'no key'} ${method} ${spec.path}: ${r.status}`);
        }
      }
      const platform = await server.request(method, pathFor(spec.path, a.id), { body });
      checked++;
      if (!passedAuth(platform)) failures.push(`platform ${method} ${spec.path}: ${platform.status}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(API_ROUTES.length * 8);
  });

  it('a key of tenant A reads nothing of tenant B, even with a real id', async () => {
    const customer = await server.request('POST', `/v1/tenants/${b.id}/customers`, {
      token: b.key,
      body: { phone: '+263775555555' },
    });
    expect(customer.status).toBe(201);
    const r = await server.request('GET', `/v1/tenants/${b.id}/customers/${customer.body.id}`, {
      token: a.key,
    });
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('+263775555555');
    // And under its own tenant the id of B's customer does not exist either.
    const own = await server.request('GET', `/v1/tenants/${a.id}/customers/${customer.body.id}`, {
      token: a.key,
    });
    expect(own.status).toBe(404);
  });

  it('revoked keys are refused at once', async () => {
    const key = await server.key(a.id, 'viewer');
    expect((await server.request('GET', `/v1/tenants/${a.id}`, { token: key })).status).toBe(200);
    const list = await server.request('GET', `/v1/tenants/${a.id}/api-keys?limit=200`, { token: a.key });
    const prefix = key.slice(0, 12);
    const row = list.body.items.find((k: { prefix: string }) => k.prefix === prefix);
    expect(row.key_hash).toBeUndefined();
    expect(
      (await server.request('DELETE', `/v1/tenants/${a.id}/api-keys/${row.id}`, { token: a.key })).status,
    ).toBe(204);
    const after = await server.request('GET', `/v1/tenants/${a.id}`, { token: key });
    expect(after.status).toBe(401);
  });

  it('HS256 JWTs with tenant_id and role claims', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const viewer = await sign({ tenant_id: a.id, role: 'viewer', sub: 'u1', exp }, SECRET, 'HS256');
    expect((await server.request('GET', `/v1/tenants/${a.id}/customers`, { token: viewer })).status).toBe(
      200,
    );
    const write = await server.request('POST', `/v1/tenants/${a.id}/rules`, { token: viewer, body: {} });
    expect(write.status).toBe(403);
    expect((await server.request('GET', `/v1/tenants/${b.id}/customers`, { token: viewer })).status).toBe(
      404,
    );
    const expired = await sign({ tenant_id: a.id, role: 'admin', exp: 1000 }, SECRET, 'HS256');
    expect((await server.request('GET', `/v1/tenants/${a.id}`, { token: expired })).status).toBe(401);
    const forged = await sign(
      { tenant_id: a.id, role: 'admin', exp },
      'another-secret-xxxxxxxxxxxxxxxx',
      'HS256',
    );
    expect((await server.request('GET', `/v1/tenants/${a.id}`, { token: forged })).status).toBe(401);
    const noRole = await sign({ tenant_id: a.id, exp }, SECRET, 'HS256');
    expect((await server.request('GET', `/v1/tenants/${a.id}`, { token: noRole })).status).toBe(401);
  });

  it('only the platform admin creates tenants', async () => {
    const r = await server.request('POST', '/v1/tenants', { token: a.key, body: { name: 'Sneaky' } });
    expect(r.status).toBe(403);
    expect((await server.request('POST', '/v1/tenants', { token: null, body: { name: 'x' } })).status).toBe(
      401,
    );
  });
});
