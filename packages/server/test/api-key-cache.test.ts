import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine } from '@laas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator, DEFAULT_API_KEY_CACHE_MS } from '../src/auth.js';

const store = sqliteStore({ filename: ':memory:' });
afterAll(() => store.close());

async function keyOfNewTenant() {
  await store.migrate();
  const engine = createEngine({ store });
  const tenant = await engine.tenants.create({ name: 'Kofi Coffee' });
  const created = await engine.apiKeys.create(tenant.id, { name: 'till', role: 'pos' });
  return { engine, tenant, created, header: `Bearer ${created.key}` };
}

describe('the API-key cache', () => {
  it('is on by default: a key revoked behind its back keeps working until it expires', async () => {
    expect(DEFAULT_API_KEY_CACHE_MS).toBe(5_000);
    const { engine, tenant, created, header } = await keyOfNewTenant();
    const auth = createAuthenticator({ store, adminToken: undefined, jwtSecret: undefined });
    await expect(auth.authenticate(header)).resolves.toMatchObject({ keyId: created.api_key.id });
    // As another process would: revoked in the database, this process not told.
    await engine.apiKeys.revoke(tenant.id, created.api_key.id);
    await expect(auth.authenticate(header)).resolves.toMatchObject({ keyId: created.api_key.id });
    auth.invalidate(created.api_key.id);
    await expect(auth.authenticate(header)).rejects.toThrow(/unknown or revoked/);
  });

  it('does not remember a key read while its revocation through this process was not committed yet', async () => {
    const { engine, tenant, created, header } = await keyOfNewTenant();
    const auth = createAuthenticator({ store, adminToken: undefined, jwtSecret: undefined });
    // The revoking route calls invalidate inside its transaction, before the commit...
    auth.invalidate(created.api_key.id);
    // ...a request in that gap still finds the key valid (the revocation is not visible yet)...
    await expect(auth.authenticate(header)).resolves.toMatchObject({ keyId: created.api_key.id });
    // ...and once it commits, the key is refused at once: the gap's answer was not cached.
    await engine.apiKeys.revoke(tenant.id, created.api_key.id);
    await expect(auth.authenticate(header)).rejects.toThrow(/unknown or revoked/);
  });

  it('with 0, every request reads the database', async () => {
    const { engine, tenant, created, header } = await keyOfNewTenant();
    const auth = createAuthenticator({
      store,
      adminToken: undefined,
      jwtSecret: undefined,
      apiKeyCacheMs: 0,
    });
    await auth.authenticate(header);
    await engine.apiKeys.revoke(tenant.id, created.api_key.id);
    await expect(auth.authenticate(header)).rejects.toThrow(/unknown or revoked/);
  });
});
