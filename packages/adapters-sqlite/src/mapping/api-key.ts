import type { ApiKey, ApiKeyRole, IdempotencyRecord } from '@laas/core';
import type { ApiKeysTable, IdempotencyKeysTable } from '../schema.js';
import { fromJson, toJson, toTs, toTsOrNull } from './helpers.js';

export function apiKeyToRow(k: ApiKey): ApiKeysTable {
  return {
    tenant_id: k.tenant_id,
    id: k.id,
    name: k.name,
    role: k.role,
    key_hash: k.key_hash,
    prefix: k.prefix,
    created_at: toTs(k.created_at),
    revoked_at: toTsOrNull(k.revoked_at),
  };
}

export function apiKeyFromRow(r: ApiKeysTable): ApiKey {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    role: r.role as ApiKeyRole,
    key_hash: r.key_hash,
    prefix: r.prefix,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
  };
}

export function idempotencyToRow(i: IdempotencyRecord): IdempotencyKeysTable {
  return {
    tenant_id: i.tenant_id,
    key: i.key,
    fingerprint: i.fingerprint,
    status: i.status,
    body: toJson(i.body),
    created_at: toTs(i.created_at),
  };
}

export function idempotencyFromRow(r: IdempotencyKeysTable): IdempotencyRecord {
  return {
    tenant_id: r.tenant_id,
    key: r.key,
    fingerprint: r.fingerprint,
    status: r.status,
    body: fromJson<unknown>(r.body),
    created_at: r.created_at,
  };
}
