import type { ApiKeyRole } from '@laas/core';

/**
 * What a route needs. Every tenant route names exactly one permission; the table below says which
 * roles hold it. `public` routes need no credentials; `platform` routes need the platform admin
 * token (which may also do everything else).
 */
export type Permission =
  | 'public'
  | 'platform'
  /** Read the tenant, customers, events, issuances, rewards and points: what a till shows. */
  | 'till:read'
  /** Read everything else of the tenant's set-up: rules, budgets, campaigns. */
  | 'setup:read'
  | 'events:ingest'
  | 'simulate'
  /** Redeem an issuance (by id or code) and spend points on a reward. */
  | 'rewards:redeem'
  | 'customers:write'
  /** Personal data out (export) and erasure. */
  | 'customers:privacy'
  /** Rules (and their validate/test), rewards and codes, campaigns, budgets and top-ups. */
  | 'setup:write'
  /** Issue a reserved reward, cancel an issuance. */
  | 'issuances:manage'
  | 'webhooks'
  | 'api-keys'
  | 'tenant:write'
  /** Read the audit trail (admin only: it shows who changed what). */
  | 'audit:read';

/**
 * THE permission table (DESIGN.md, "Auth"): admin everything; manager the set-up (rules, rewards,
 * campaigns, budgets) and reads; pos ingest and redeem and what a till reads; viewer reads.
 */
export const ROLE_PERMISSIONS: Readonly<Record<ApiKeyRole, ReadonlySet<Permission>>> = Object.freeze({
  admin: new Set<Permission>([
    'till:read',
    'setup:read',
    'events:ingest',
    'simulate',
    'rewards:redeem',
    'customers:write',
    'customers:privacy',
    'setup:write',
    'issuances:manage',
    'webhooks',
    'api-keys',
    'tenant:write',
    'audit:read',
  ]),
  manager: new Set<Permission>(['till:read', 'setup:read', 'simulate', 'setup:write', 'issuances:manage']),
  pos: new Set<Permission>(['till:read', 'events:ingest', 'rewards:redeem']),
  viewer: new Set<Permission>(['till:read', 'setup:read']),
});

/** Whether `role` may use a route that needs `permission` (the platform admin may use any). */
export function roleAllows(role: ApiKeyRole | 'platform', permission: Permission): boolean {
  if (permission === 'public' || role === 'platform') return true;
  if (permission === 'platform') return false;
  return ROLE_PERMISSIONS[role].has(permission);
}
