import {
  createCustomerSchema,
  customerStatusSchema,
  externalRefSchema,
  pageRequestSchema,
  phoneSchema,
  updateCustomerSchema,
} from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import { customerExportSchema, customerSchema, pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

export const customerRoutes: RouteSpec[] = [
  route({
    operationId: 'createCustomer',
    audit: audited('customer.create', 'customer', 'answer'),
    method: 'post',
    path: `${T}/customers`,
    tag: 'customers',
    summary: 'Enroll a customer (phone or external_ref required)',
    permission: 'customers:write',
    body: createCustomerSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The customer', schema: customerSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.customers.create(tenantId, body), 201),
  }),
  route({
    operationId: 'listCustomers',
    method: 'get',
    path: `${T}/customers`,
    tag: 'customers',
    summary:
      'List customers, newest first (optionally searched with q); or find one by phone or external_ref (exact)',
    permission: 'till:read',
    query: pageRequestSchema.extend({
      status: z.enum(['active', 'blocked', 'erased']).optional(),
      tag: z.string().min(1).max(64).optional(),
      q: z.string().min(1).max(100).optional().meta({
        description:
          'Search: customers whose phone contains the digits of q (when q has 3 or more digits; other characters are ignored), or whose external_ref starts with q, or whose name contains q, both case-insensitive (ASCII letters on SQLite). Every character matches itself (% and _ too). Newest first, paginated.',
      }),
      phone: phoneSchema.optional().meta({ description: 'Exact lookup: the customer with this E.164 phone' }),
      external_ref: externalRefSchema
        .optional()
        .meta({ description: 'Exact lookup: the customer with this external reference' }),
    }),
    response: { status: 200, description: 'A page of customers', schema: pageSchema(customerSchema) },
    handler: async ({ engine, tenantId, query: { limit, cursor, ...filter } }) =>
      ok(await engine.customers.list(tenantId, filter, { limit, cursor })),
  }),
  route({
    operationId: 'getCustomer',
    method: 'get',
    path: `${T}/customers/:id`,
    tag: 'customers',
    summary: 'Get a customer with their stats',
    permission: 'till:read',
    response: { status: 200, description: 'The customer', schema: customerSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.customers.get(tenantId, id(params))),
  }),
  route({
    operationId: 'updateCustomer',
    audit: audited('customer.update', 'customer'),
    method: 'patch',
    path: `${T}/customers/:id`,
    tag: 'customers',
    summary: 'Change a customer’s profile (null clears a field)',
    permission: 'customers:write',
    body: updateCustomerSchema,
    errors: [409],
    response: { status: 200, description: 'The customer', schema: customerSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.customers.update(tenantId, id(params), body)),
  }),
  route({
    operationId: 'setCustomerStatus',
    audit: audited('customer.set_status', 'customer'),
    method: 'post',
    path: `${T}/customers/:id/status`,
    tag: 'customers',
    summary: 'Block or unblock a customer',
    permission: 'customers:write',
    body: customerStatusSchema,
    errors: [409],
    response: { status: 200, description: 'The customer', schema: customerSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.customers.setStatus(tenantId, id(params), body.status)),
  }),
  route({
    operationId: 'eraseCustomer',
    audit: audited('customer.erase', 'customer'),
    method: 'post',
    path: `${T}/customers/:id/erase`,
    tag: 'customers',
    summary: 'Erase a customer’s personal data (counts and ledgers stay)',
    permission: 'customers:privacy',
    errors: [409],
    response: { status: 200, description: 'The erased customer', schema: customerSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.customers.erase(tenantId, id(params))),
  }),
  route({
    operationId: 'exportCustomer',
    audit: audited('customer.export', 'customer'),
    method: 'get',
    path: `${T}/customers/:id/export`,
    tag: 'customers',
    summary: 'Everything stored about a customer',
    permission: 'customers:privacy',
    response: { status: 200, description: 'The export', schema: customerExportSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.customers.export(tenantId, id(params))),
  }),
];
