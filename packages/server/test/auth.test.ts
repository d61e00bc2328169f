import { readFileSync } from 'node:fs';
import { sign } from 'hono/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../src/index.js';
import { type Answer, errorOf, STORE_KINDS, useServer } from './harness.js';

const ROLES = ['admin', 'manager', 'pos', 'viewer'] as const;
type Role = (typeof ROLES)[number];
const DUMMY = '0190a000-0000-7000-8000-00000000dead';
const SECRET = 'jwt-test-secret-0123456789abcdef';

/**
 * THE permission matrix, written out by hand from the README's table: every non-public operation →
 * the permission it documents and the tenant roles allowed to call it (space-separated; '' = none:
 * the platform admin token only). Deliberately NOT derived from `roleAllows` or `spec.permission`:
 * widening a role or loosening a route in `src/` must fail here until this table (and the README)
 * is changed on purpose too.
 */
const MATRIX: Record<string, readonly [permission: string, roles: string]> = {
  whoami: ['till:read', 'admin manager pos viewer'],
  createTenant: ['platform', ''],
  listTenants: ['platform', ''],
  getTenant: ['till:read', 'admin manager pos viewer'],
  updateTenant: ['tenant:write', 'admin'],
  createCustomer: ['customers:write', 'admin'],
  listCustomers: ['till:read', 'admin manager pos viewer'],
  getAnalytics: ['setup:read', 'admin manager viewer'],
  getTierProgramme: ['setup:read', 'admin manager viewer'],
  putTierProgramme: ['setup:write', 'admin manager'],
  deleteTierProgramme: ['setup:write', 'admin manager'],
  getCustomerTier: ['till:read', 'admin manager pos viewer'],
  getCustomer: ['till:read', 'admin manager pos viewer'],
  updateCustomer: ['customers:write', 'admin'],
  setCustomerStatus: ['customers:write', 'admin'],
  eraseCustomer: ['customers:privacy', 'admin'],
  exportCustomer: ['customers:privacy', 'admin'],
  getPointsBalance: ['till:read', 'admin manager pos viewer'],
  listPointsHistory: ['till:read', 'admin manager pos viewer'],
  redeemPoints: ['rewards:redeem', 'admin pos'],
  adjustPoints: ['issuances:manage', 'admin manager'],
  listRefunds: ['till:read', 'admin manager pos viewer'],
  getCustomerReferral: ['till:read', 'admin manager pos viewer'],
  ingestEvent: ['events:ingest', 'admin pos'],
  dryRunEvent: ['simulate', 'admin manager'],
  listEvents: ['till:read', 'admin manager pos viewer'],
  getEvent: ['till:read', 'admin manager pos viewer'],
  createRule: ['setup:write', 'admin manager'],
  listRules: ['setup:read', 'admin manager viewer'],
  getRule: ['setup:read', 'admin manager viewer'],
  updateRule: ['setup:write', 'admin manager'],
  deleteRule: ['setup:write', 'admin manager'],
  validateRule: ['simulate', 'admin manager'],
  testRule: ['simulate', 'admin manager'],
  createReward: ['setup:write', 'admin manager'],
  listRewards: ['till:read', 'admin manager pos viewer'],
  getReward: ['till:read', 'admin manager pos viewer'],
  updateReward: ['setup:write', 'admin manager'],
  uploadRewardCodes: ['setup:write', 'admin manager'],
  countRewardCodes: ['till:read', 'admin manager pos viewer'],
  generateRewardCodes: ['setup:write', 'admin manager'],
  validateCode: ['till:read', 'admin manager pos viewer'],
  listIssuances: ['till:read', 'admin manager pos viewer'],
  getIssuance: ['till:read', 'admin manager pos viewer'],
  redeemIssuanceByCode: ['rewards:redeem', 'admin pos'],
  issueIssuance: ['issuances:manage', 'admin manager'],
  redeemIssuance: ['rewards:redeem', 'admin pos'],
  cancelIssuance: ['issuances:manage', 'admin manager'],
  createBudget: ['setup:write', 'admin manager'],
  listBudgets: ['setup:read', 'admin manager viewer'],
  getBudget: ['setup:read', 'admin manager viewer'],
  updateBudget: ['setup:write', 'admin manager'],
  topUpBudget: ['setup:write', 'admin manager'],
  listBudgetPeriods: ['setup:read', 'admin manager viewer'],
  listBudgetLedger: ['setup:read', 'admin manager viewer'],
  createCampaign: ['setup:write', 'admin manager'],
  listCampaigns: ['setup:read', 'admin manager viewer'],
  getCampaign: ['setup:read', 'admin manager viewer'],
  updateCampaign: ['setup:write', 'admin manager'],
  activateCampaign: ['setup:write', 'admin manager'],
  pauseCampaign: ['setup:write', 'admin manager'],
  endCampaign: ['setup:write', 'admin manager'],
  createWebhook: ['webhooks', 'admin'],
  listWebhooks: ['webhooks', 'admin'],
  getWebhook: ['webhooks', 'admin'],
  updateWebhook: ['webhooks', 'admin'],
  deleteWebhook: ['webhooks', 'admin'],
  listWebhookDeliveries: ['webhooks', 'admin'],
  replayWebhookDelivery: ['webhooks', 'admin'],
  rotateWebhookSecret: ['webhooks', 'admin'],
  testWebhook: ['webhooks', 'admin'],
  createApiKey: ['api-keys', 'admin'],
  listApiKeys: ['api-keys', 'admin'],
  revokeApiKey: ['api-keys', 'admin'],
  listAuditLog: ['audit:read', 'admin'],
  putUssdSettings: ['tenant:write', 'admin'],
  getUssdSettings: ['setup:read', 'admin manager viewer'],
  rotateUssdCallbackSecret: ['tenant:write', 'admin'],
  deleteUssdSettings: ['tenant:write', 'admin'],
  putWhatsAppSettings: ['tenant:write', 'admin'],
  getWhatsAppSettings: ['setup:read', 'admin manager viewer'],
  deleteWhatsAppSettings: ['tenant:write', 'admin'],
  getWhatsAppJoinLink: ['till:read', 'admin manager pos viewer'],
  getWhatsAppJoinQrPng: ['till:read', 'admin manager pos viewer'],
  getWhatsAppJoinQrSvg: ['till:read', 'admin manager pos viewer'],
  listWhatsAppMessages: ['setup:read', 'admin manager viewer'],
  putSharedWhatsApp: ['platform', ''],
  getSharedWhatsApp: ['platform', ''],
  putSharedUssd: ['platform', ''],
  getSharedUssd: ['platform', ''],
  putSharedMerchant: ['tenant:write', 'admin'],
  getSharedMerchant: ['setup:read', 'admin manager viewer'],
  deleteSharedMerchant: ['tenant:write', 'admin'],
};

function rolesOf(list: string): Set<Role> {
  const roles = list === '' ? [] : list.split(' ');
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new Error(`unknown role ${r}`);
  return new Set(roles as Role[]);
}

/** The routes that need credentials: public ones (USSD, Meta callbacks) are tested by their suites. */
const GUARDED = API_ROUTES.filter((spec) => spec.permission !== 'public');

function pathFor(pattern: string, tid: string): string {
  return pattern.replace(':tid', tid).replace(/:[A-Za-z0-9_]+/g, DUMMY);
}

/** True when an answer comes from past authorisation (the handler ran and judged the input). */
function passedAuth(a: Answer): boolean {
  if (a.status === 401 || a.status === 403 || a.status === 429) return false;
  if (a.status === 404) return errorOf(a).details?.entity !== 'tenant';
  return true;
}

/**
 * The README's permission table (section "Auth and roles"): permission → the roles with a ✓. The
 * platform row's merged cell ("platform admin token only") grants no tenant role.
 */
function readmePermissionTable(): Map<string, Set<Role>> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const lines = readme.split('\n');
  const header = lines.findIndex((l) => /^\|\s*permission\s*\|/.test(l));
  if (header < 0) throw new Error('README.md: no permission table');
  const columns = (lines[header] as string).split('|').map((c) => c.trim());
  const table = new Map<string, Set<Role>>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    const permission = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (permission === undefined) throw new Error(`README.md: unreadable row ${line}`);
    const roles = new Set<Role>();
    for (const role of ROLES) {
      const cell = cells[columns.indexOf(role)] ?? '';
      if (cell === '✓') roles.add(role);
      // Anything else than a tick, a blank or the platform row's text is a typo, not a "no".
      else if (cell !== '' && cell !== 'platform admin token only') {
        throw new Error(`README.md: cell ${JSON.stringify(cell)} of ${permission}/${role}`);
      }
    }
    table.set(permission, roles);
  }
  return table;
}

describe('the literal permission matrix', () => {
  it('has one row per non-public route of API_ROUTES, and no other', () => {
    const routes = GUARDED.map((spec) => spec.operationId).sort();
    expect(new Set(routes).size).toBe(routes.length);
    expect(Object.keys(MATRIX).sort()).toEqual(routes);
  });

  it('names the permission each route needs in src/', () => {
    const wrong = GUARDED.filter((spec) => MATRIX[spec.operationId]?.[0] !== spec.permission).map(
      (spec) =>
        `${spec.operationId}: src needs ${spec.permission}, the matrix ${MATRIX[spec.operationId]?.[0]}`,
    );
    expect(wrong).toEqual([]);
  });

  it("agrees with the README's permission table", () => {
    const readme = readmePermissionTable();
    const disagreements: string[] = [];
    for (const [op, [permission, roles]] of Object.entries(MATRIX)) {
      const documented = readme.get(permission);
      if (documented === undefined) disagreements.push(`${op}: ${permission} is not in the README`);
      else if ([...documented].sort().join(' ') !== [...rolesOf(roles)].sort().join(' ')) {
        disagreements.push(`${op} (${permission}): README ${[...documented]}, matrix ${roles}`);
      }
    }
    const used = new Set(Object.values(MATRIX).map(([permission]) => permission));
    for (const permission of readme.keys()) {
      if (!used.has(permission)) disagreements.push(`README row ${permission} is used by no route`);
    }
    expect(disagreements).toEqual([]);
  });
});

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

  it('every route × every role × (own tenant, other tenant, no key, bad key) follows the literal matrix', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const spec of GUARDED) {
      const row = MATRIX[spec.operationId];
      if (row === undefined) throw new Error(`${spec.operationId} has no row in MATRIX`);
      const allowedRoles = rolesOf(row[1]);
      const method = spec.method.toUpperCase();
      const body = spec.body === undefined ? undefined : {};
      const tenantRoute = spec.path.includes(':tid');
      for (const role of ROLES) {
        const own = await server.request(method, pathFor(spec.path, a.id), { token: keys[role], body });
        const allowed = allowedRoles.has(role);
        checked++;
        if (allowed) {
          if (!passedAuth(own)) failures.push(`${role} ${spec.operationId}: ${own.status}, expected allowed`);
        } else if (own.status !== 403 || errorOf(own).code !== 'AUTHORIZATION_ERROR') {
          failures.push(`${role} ${spec.operationId}: ${own.status}, expected 403 AUTHORIZATION_ERROR`);
        } else if (errorOf(own).details?.permission !== row[0]) {
          failures.push(`${role} ${spec.operationId}: 403 names ${errorOf(own).details?.permission}`);
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
        // RFC 6750: every 401 says how to authenticate (API keys, JWTs and the admin token are Bearer).
        const challenge =
          token === null ? 'Bearer realm="laas"' : 'Bearer realm="laas", error="invalid_token"';
        if (r.headers.get('www-authenticate') !== challenge) {
          failures.push(
            `${token ?? 'no key'} ${method} ${spec.path}: WWW-Authenticate ${r.headers.get('www-authenticate')}`,
          );
        }
      }
      const platform = await server.request(method, pathFor(spec.path, a.id), { body });
      checked++;
      if (!passedAuth(platform)) failures.push(`platform ${method} ${spec.path}: ${platform.status}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(GUARDED.length * 8);
  });

  it('GET /v1/whoami names the role and the tenant of the credentials (what the console signs in with)', async () => {
    for (const role of ROLES) {
      const r = await server.request('GET', '/v1/whoami', { token: keys[role] });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ kind: 'api-key', role, tenant: { id: a.id, name: 'A' } });
      expect(r.body.tenant.settings.currency).toMatch(/^[A-Z]{3}$/);
      expect(JSON.stringify(r.body)).not.toContain(keys[role]);
    }
    const platform = await server.request('GET', '/v1/whoami', {});
    expect(platform.body).toEqual({ kind: 'platform', role: 'platform', tenant: null });
    const jwt = await sign(
      { tenant_id: b.id, role: 'viewer', exp: Math.floor(Date.now() / 1000) + 60 },
      SECRET,
      'HS256',
    );
    const viaJwt = await server.request('GET', '/v1/whoami', { token: jwt });
    expect(viaJwt.body).toMatchObject({ kind: 'jwt', role: 'viewer', tenant: { id: b.id, name: 'B' } });
    const bad = await server.request('GET', '/v1/whoami', { token: 'laas_nope' });
    expect(bad.status).toBe(401);
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
