import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { pageRequestSchema, timestampSchema } from './common.js';

/** Who made a change: an API key, a JWT's subject, the platform admin token, or LaaS itself. */
export const AUDIT_ACTOR_KINDS = ['api_key', 'jwt', 'platform', 'system'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export interface AuditActor {
  kind: AuditActorKind;
  /** The API key's id, the JWT's `sub` (null when it has none); null for the platform and system. */
  id: string | null;
  /** `admin`, `manager`, `pos`, `viewer`, `platform` or `system`. */
  role: string;
}

/** The route a change came through: the method and the path template (`/v1/tenants/:tid/rules/:id`). */
export interface AuditRoute {
  method: string;
  path: string;
}

/**
 * One audited change (or audited read, such as a customer export), written in the transaction of
 * the change itself: it exists exactly when the change committed. `before` and `after` are the
 * entity as stored around the change (null when it did not exist), secrets redacted
 * ({@link redactForAudit}).
 */
export interface AuditEntry {
  /** UUIDv7: lists are ordered by it, newest first. */
  id: string;
  tenant_id: string;
  at: Timestamp;
  actor: AuditActor;
  route: AuditRoute;
  /** `<entity>.<verb>`, e.g. `rule.update`, `issuance.redeem`, `customer.export`. */
  action: string;
  entity_type: string;
  /** Null for an entity that has no id of its own (settings are the tenant's). */
  entity_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

/** What `GET /audit` filters by; every filter narrows (AND). */
export interface AuditListFilter {
  /** The actor's id (an API key's id, a JWT's subject). */
  actor?: string;
  entity_type?: string;
  entity_id?: string;
  action?: string;
  /** `at >= from`. */
  from?: Timestamp;
  /** `at < to`. */
  to?: Timestamp;
}

/** The query of `GET /v1/tenants/:tid/audit`. */
export const auditListQuerySchema = pageRequestSchema.extend({
  actor: z.string().min(1).max(200).optional(),
  entity_type: z
    .string()
    .regex(/^[a-z_]{1,64}$/, { message: 'must be an entity type such as "rule" or "webhook"' })
    .optional(),
  entity_id: z.string().min(1).max(200).optional(),
  action: z
    .string()
    .regex(/^[a-z_]{1,64}\.[a-z_]{1,64}$/, { message: 'must be an action such as "rule.update"' })
    .optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
});

/** Tenant setting bounds for `audit_retention_days`. */
export const AUDIT_RETENTION_MIN_DAYS = 1;
export const AUDIT_RETENTION_MAX_DAYS = 3650;
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/**
 * Field names whose values never reach the audit log, wherever they appear in an entity: webhook
 * signing secrets, API key hashes and plain keys, WhatsApp tokens (sealed or not), the USSD
 * callback secret and its hash.
 */
export const AUDIT_SECRET_FIELDS: ReadonlySet<string> = new Set([
  'secret',
  'previous_secret',
  'key',
  'key_hash',
  'access_token',
  'access_token_encrypted',
  'app_secret',
  'app_secret_encrypted',
  'verify_token',
  'callback_secret',
  'callback_secret_hash',
]);

/**
 * A customer's personal data: kept out of the log too, so that erasing a customer leaves none of
 * it behind in earlier audit rows (the log records that these fields were there, not their values).
 */
export const AUDIT_PERSONAL_FIELDS: ReadonlySet<string> = new Set([
  'phone',
  'external_ref',
  'name',
  'birthday',
  'attributes',
]);

/** What a redacted value reads as. A null stays null: "there was no secret" is not a secret. */
export const REDACTED = '[redacted]';

/**
 * `value` with every secret field (at any depth) replaced by {@link REDACTED}, and, for a
 * `customer` entity, its personal fields too. Returns a copy; `value` is not changed.
 *
 * @example
 * redactForAudit('webhook', { id: 'w1', secret: 'whsec_x' }) // { id: 'w1', secret: '[redacted]' }
 */
export function redactForAudit(entityType: string, value: unknown): unknown {
  const personal = entityType === 'customer';
  const walk = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [field, inner] of Object.entries(v as Record<string, unknown>)) {
      const hidden =
        AUDIT_SECRET_FIELDS.has(field) || (personal && depth === 0 && AUDIT_PERSONAL_FIELDS.has(field));
      out[field] = hidden && inner !== null && inner !== undefined ? REDACTED : walk(inner, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}
