import { cancelIssuanceSchema, idSchema, pageRequestSchema, redeemByCodeSchema } from '@laas/core';
import { z } from 'zod';
import { audited, issuanceByCode } from '../audit.js';
import { issuanceSchema, pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

export const issuanceRoutes: RouteSpec[] = [
  route({
    operationId: 'listIssuances',
    method: 'get',
    path: `${T}/issuances`,
    tag: 'issuances',
    summary: 'List issued rewards, newest first (by customer_id, rule_id, reward_id, state)',
    permission: 'till:read',
    query: pageRequestSchema.extend({
      customer_id: idSchema.optional(),
      rule_id: idSchema.optional(),
      reward_id: idSchema.optional(),
      state: z.enum(['reserved', 'issued', 'redeemed', 'expired', 'cancelled']).optional(),
    }),
    response: { status: 200, description: 'A page of issuances', schema: pageSchema(issuanceSchema) },
    handler: async ({ engine, tenantId, query: { limit, cursor, ...filter } }) =>
      ok(await engine.issuances.list(tenantId, filter, { limit, cursor })),
  }),
  route({
    operationId: 'getIssuance',
    method: 'get',
    path: `${T}/issuances/:id`,
    tag: 'issuances',
    summary: 'Get an issuance',
    permission: 'till:read',
    response: { status: 200, description: 'The issuance', schema: issuanceSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.issuances.get(tenantId, id(params))),
  }),
  route({
    operationId: 'redeemIssuanceByCode',
    audit: audited('issuance.redeem', 'issuance', issuanceByCode),
    method: 'post',
    path: `${T}/issuances/redeem`,
    tag: 'issuances',
    summary: 'Redeem the issuance holding a voucher code',
    permission: 'rewards:redeem',
    body: redeemByCodeSchema,
    errors: [409],
    response: { status: 200, description: 'The redeemed issuance', schema: issuanceSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.redeem(tenantId, { code: body.code })),
  }),
  route({
    operationId: 'issueIssuance',
    audit: audited('issuance.issue', 'issuance'),
    method: 'post',
    path: `${T}/issuances/:id/issue`,
    tag: 'issuances',
    summary: 'Issue a reserved reward (manual issue mode)',
    permission: 'issuances:manage',
    errors: [409],
    response: { status: 200, description: 'The issued issuance', schema: issuanceSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.issueReserved(tenantId, id(params))),
  }),
  route({
    operationId: 'redeemIssuance',
    audit: audited('issuance.redeem', 'issuance'),
    method: 'post',
    path: `${T}/issuances/:id/redeem`,
    tag: 'issuances',
    summary: 'Redeem an issued reward (409 when it is not issued: redeemed, expired, cancelled)',
    permission: 'rewards:redeem',
    errors: [409],
    response: { status: 200, description: 'The redeemed issuance', schema: issuanceSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.redeem(tenantId, { issuance_id: id(params) })),
  }),
  route({
    operationId: 'cancelIssuance',
    audit: audited('issuance.cancel', 'issuance'),
    method: 'post',
    path: `${T}/issuances/:id/cancel`,
    tag: 'issuances',
    summary: 'Cancel a reserved or issued reward (its budget is released)',
    permission: 'issuances:manage',
    body: cancelIssuanceSchema.optional(),
    errors: [409],
    response: { status: 200, description: 'The cancelled issuance', schema: issuanceSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.cancel(tenantId, id(params), body?.reason)),
  }),
];
