import { pageRequestSchema, redeemPointsSchema } from '@laas/core';
import { audited } from '../audit.js';
import {
  issuanceSchema,
  pageSchema,
  pointsBalanceSchema,
  pointsLedgerEntrySchema,
} from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const cid = (p: Readonly<Record<string, string>>) => p.id as string;

export const pointsRoutes: RouteSpec[] = [
  route({
    operationId: 'getPointsBalance',
    method: 'get',
    path: `${T}/customers/:id/points`,
    tag: 'points',
    summary: 'A customer’s points balance and lots',
    permission: 'till:read',
    response: { status: 200, description: 'The balance', schema: pointsBalanceSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.points.balance(tenantId, cid(params))),
  }),
  route({
    operationId: 'listPointsHistory',
    method: 'get',
    path: `${T}/customers/:id/points/history`,
    tag: 'points',
    summary: 'A customer’s points ledger, newest first',
    permission: 'till:read',
    query: pageRequestSchema,
    response: {
      status: 200,
      description: 'A page of ledger rows',
      schema: pageSchema(pointsLedgerEntrySchema),
    },
    handler: async ({ engine, tenantId, params, query }) =>
      ok(await engine.points.history(tenantId, cid(params), query)),
  }),
  route({
    operationId: 'redeemPoints',
    audit: audited('points.redeem', 'issuance', 'answer'),
    method: 'post',
    path: `${T}/customers/:id/points/redeem`,
    tag: 'points',
    summary: 'Spend points on a catalog reward (its points_price); issues the reward',
    permission: 'rewards:redeem',
    body: redeemPointsSchema,
    idempotency: 'stored',
    errors: [409],
    response: { status: 201, description: 'The issuance bought', schema: issuanceSchema },
    handler: async ({ deps, engine, tenantId, params, body }) => {
      const issuance = await engine.redeemPoints(tenantId, cid(params), body);
      deps.metrics.rewardsIssued.inc({ state: issuance.state });
      return ok(issuance, 201);
    },
  }),
];
