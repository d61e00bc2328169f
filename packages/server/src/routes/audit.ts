import { AUDIT_ACTOR_KINDS, type AuditEntry, auditListQuerySchema } from '@laas/core';
import { z } from 'zod';
import { pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const ts = z.string().meta({ format: 'date-time' });

export const auditEntrySchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    at: ts,
    actor: z.object({
      kind: z.enum(AUDIT_ACTOR_KINDS),
      id: z
        .string()
        .nullable()
        .meta({ description: 'The API key id or the JWT subject; null for the platform token' }),
      role: z.string(),
    }),
    route: z.object({
      method: z.string(),
      path: z.string().meta({ description: 'The path template, e.g. /v1/tenants/{tid}/rules/{id}' }),
    }),
    action: z.string().meta({ description: '`<entity>.<verb>`, e.g. `rule.update`' }),
    entity_type: z.string(),
    entity_id: z.string().nullable(),
    before: z
      .unknown()
      .meta({ description: 'The entity before the change (null: it did not exist); secrets redacted' }),
    after: z.unknown().meta({ description: 'The entity after the change (null: deleted); secrets redacted' }),
    request_id: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });

// Compile-time check: the schema describes exactly the core interface.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
export type AuditSchemaCheck = Check<Same<z.infer<typeof auditEntrySchema>, AuditEntry>>;

export const auditRoutes: RouteSpec[] = [
  route({
    operationId: 'listAuditLog',
    method: 'get',
    path: `${T}/audit`,
    tag: 'audit',
    summary:
      'The audit trail: changes to configuration, customers and keys, and manual operations, newest first',
    description:
      'Filters: `actor` (an API key id or a JWT subject), `entity_type`, `entity_id`, `action` (`rule.update`), ' +
      '`from` (inclusive) and `to` (exclusive) on `at`. Ingested events are not audited (see the events list). ' +
      'Rows older than the tenant’s `settings.audit_retention_days` are purged by the worker.',
    permission: 'audit:read',
    query: auditListQuerySchema,
    response: { status: 200, description: 'A page of audit rows', schema: pageSchema(auditEntrySchema) },
    handler: async ({ engine, tenantId, query }) => {
      const { limit, cursor, ...filter } = query;
      const page = await engine.transaction(tenantId, (tx) =>
        tx.audit.list(Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)), {
          limit,
          cursor,
        }),
      );
      return ok(page);
    },
  }),
];
