import { z } from 'zod';
import type { Timestamp } from '../time.js';

export const API_KEY_ROLES = ['admin', 'manager', 'pos', 'viewer'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  role: z.enum(API_KEY_ROLES),
});
export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;

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
