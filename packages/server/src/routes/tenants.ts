import { createTenantSchema, pageRequestSchema, updateTenantSchema } from '@laas/core';
import { audited } from '../audit.js';
import { pageSchema, tenantSchema, whoamiSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

export const tenantRoutes: RouteSpec[] = [
  route({
    operationId: 'whoami',
    method: 'get',
    path: '/v1/whoami',
    tag: 'tenants',
    summary: 'Who the credentials belong to: their role and tenant (what a console needs after sign-in)',
    description:
      'Any valid credentials may call it. For the platform admin token, `tenant` is null; for an API key ' +
      'or a JWT, the tenant the credentials belong to, with its settings (currency, time zone).',
    // Every role holds till:read, and the platform token may call anything.
    permission: 'till:read',
    response: { status: 200, description: 'The caller', schema: whoamiSchema },
    handler: async ({ engine, principal }) => {
      if (principal === null || principal.kind === 'platform') {
        return ok({ kind: 'platform', role: 'platform', tenant: null });
      }
      return ok({
        kind: principal.kind,
        role: principal.role,
        tenant: await engine.tenants.get(principal.tenantId),
      });
    },
  }),
  route({
    operationId: 'createTenant',
    method: 'post',
    path: '/v1/tenants',
    tag: 'tenants',
    summary: 'Create a tenant (platform admin token only)',
    description:
      'Idempotency-Key is not available here (keys are scoped to a tenant); send an `id` to make a ' +
      'retry safe: the second creation with the same id is 409.',
    permission: 'platform',
    body: createTenantSchema,
    errors: [409],
    response: { status: 201, description: 'The tenant', schema: tenantSchema },
    handler: async ({ engine, body }) => ok(await engine.tenants.create(body), 201),
  }),
  route({
    operationId: 'listTenants',
    method: 'get',
    path: '/v1/tenants',
    tag: 'tenants',
    summary: 'List tenants (platform admin token only)',
    permission: 'platform',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of tenants', schema: pageSchema(tenantSchema) },
    handler: async ({ deps, query }) => ok(await deps.store.platform.listTenants(query)),
  }),
  route({
    operationId: 'getTenant',
    method: 'get',
    path: T,
    tag: 'tenants',
    summary: 'Get the tenant and its settings',
    permission: 'till:read',
    response: { status: 200, description: 'The tenant', schema: tenantSchema },
    handler: async ({ engine, tenantId }) => ok(await engine.tenants.get(tenantId)),
  }),
  route({
    operationId: 'updateTenant',
    audit: audited('tenant.update', 'tenant', 'tenant'),
    method: 'patch',
    path: T,
    tag: 'tenants',
    summary: 'Change the tenant’s name, time zone or settings',
    permission: 'tenant:write',
    body: updateTenantSchema,
    response: { status: 200, description: 'The tenant', schema: tenantSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.tenants.update(tenantId, body)),
  }),
];
