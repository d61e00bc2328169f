import { createHash, timingSafeEqual } from 'node:crypto';
import { API_KEY_ROLES, type ApiKey, type ApiKeyRole, type Store } from '@laas/core';
import { verify } from 'hono/jwt';
import { httpError } from './errors.js';

/** Who is calling: the platform admin, or a role within one tenant (API key or JWT). */
export type Principal =
  | { kind: 'platform'; role: 'platform'; tenantId: null; rateKey: null }
  | { kind: 'api-key'; role: ApiKeyRole; tenantId: string; keyId: string; rateKey: string }
  | { kind: 'jwt'; role: ApiKeyRole; tenantId: string; subject: string | null; rateKey: string };

export interface AuthenticatorOptions {
  store: Store;
  adminToken: string | undefined;
  jwtSecret: string | undefined;
  /**
   * How long a looked-up API key is remembered, in ms (0: every request reads the database;
   * default {@link DEFAULT_API_KEY_CACHE_MS}). Revocations through this process take effect at
   * once; through another process, within this.
   */
  apiKeyCacheMs?: number;
}

/** Short enough for a revocation made through another process; long enough to spare a read per request. */
export const DEFAULT_API_KEY_CACHE_MS = 5_000;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of two secrets of any length (compares their SHA-256 digests). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const unauthenticated = (message: string) => httpError('AUTHENTICATION_ERROR', message);

/**
 * Turns an `Authorization` header into a {@link Principal}, or throws `AUTHENTICATION_ERROR`.
 * `laas_...` tokens are API keys (looked up by SHA-256); the platform admin token is compared in
 * constant time; anything with two dots is an HS256 JWT when a secret is configured.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  const cacheMs = options.apiKeyCacheMs ?? DEFAULT_API_KEY_CACHE_MS;
  const cache = new Map<string, { key: ApiKey | null; until: number }>();
  /*
   * Keys being revoked through this process, until when. `invalidate` runs inside the revoking
   * transaction, before it commits: a request reading the key in that gap still finds it valid,
   * and caching that answer would let the key work for `cacheMs` after its revocation.
   */
  const revoking = new Map<string, number>();

  async function findKey(hash: string): Promise<ApiKey | null> {
    const now = Date.now();
    if (cacheMs > 0) {
      const hit = cache.get(hash);
      if (hit !== undefined && hit.until > now) return hit.key;
    }
    const key = await options.store.platform.findApiKeyByHash(hash);
    if (cacheMs > 0 && !(key !== null && (revoking.get(key.id) ?? 0) > now)) {
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { key, until: now + cacheMs });
    }
    return key;
  }

  async function authenticate(header: string | undefined): Promise<Principal> {
    if (header === undefined || header === '') {
      throw unauthenticated('Missing credentials: send "Authorization: Bearer <API key>"');
    }
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <API key>"');
    const token = match[1] as string;

    if (options.adminToken !== undefined && secretsEqual(token, options.adminToken)) {
      return { kind: 'platform', role: 'platform', tenantId: null, rateKey: null };
    }
    if (token.startsWith('laas_')) {
      const key = await findKey(sha256Hex(token));
      if (key === null || key.revoked_at !== null) throw unauthenticated('The API key is unknown or revoked');
      return { kind: 'api-key', role: key.role, tenantId: key.tenant_id, keyId: key.id, rateKey: key.id };
    }
    if (options.jwtSecret !== undefined && token.split('.').length === 3) {
      let claims: Record<string, unknown>;
      try {
        claims = await verify(token, options.jwtSecret, 'HS256');
      } catch {
        throw unauthenticated('The token is invalid or expired');
      }
      const tenantId = claims.tenant_id;
      const role = claims.role;
      if (typeof tenantId !== 'string' || !API_KEY_ROLES.includes(role as ApiKeyRole)) {
        throw unauthenticated(
          'The token needs a tenant_id claim and a role claim (admin, manager, pos, viewer)',
        );
      }
      const subject = typeof claims.sub === 'string' ? claims.sub : null;
      return {
        kind: 'jwt',
        role: role as ApiKeyRole,
        tenantId,
        subject,
        rateKey: `jwt:${tenantId}:${subject ?? role}`,
      };
    }
    throw unauthenticated('The credentials are not valid');
  }

  return {
    authenticate,
    /**
     * Forgets cached keys; with `keyId` (a key being revoked), also never caches that key again for
     * the cache's lifetime, so a read made before the revocation commits is not remembered.
     */
    invalidate(keyId?: string): void {
      cache.clear();
      if (keyId === undefined || cacheMs === 0) return;
      const now = Date.now();
      for (const [id, until] of revoking) if (until <= now) revoking.delete(id);
      revoking.set(keyId, now + cacheMs);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
