import type { Timestamp } from '../time.js';

export type ApiKeyRole = 'admin' | 'manager' | 'pos' | 'viewer';

/** An API key as stored: only the SHA-256 of the secret is kept. */
export interface ApiKey {
  id: string;
  tenant_id: string;
  name: string;
  role: ApiKeyRole;
  /** Hex SHA-256 of the full key `laas_...`. */
  key_hash: string;
  /** The first characters of the key, to recognise it in a list. */
  prefix: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** A stored response for an `Idempotency-Key` on a POST other than ingest (PROTOCOLS.md). */
export interface IdempotencyRecord {
  tenant_id: string;
  key: string;
  /** SHA-256 of method + path + body. */
  fingerprint: string;
  status: number;
  body: unknown;
  created_at: Timestamp;
}
