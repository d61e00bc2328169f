import { adjustPointsSchema, idSchema, pageRequestSchema } from '@laas/core';
import { audited } from '../audit.js';
import type { Principal } from '../auth.js';
import { pointsAdjustmentSchema, refundRecordSchema } from '../openapi/refund-schemas.js';
import { pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

/** Who made a manual operation, as stored on the ledger row: the key id, `platform`, a JWT's subject. */
export function actorOf(principal: Principal | null): string | null {
  if (principal === null) return null;
  if (principal.kind === 'api-key') return principal.keyId;
  if (principal.kind === 'jwt')
    return principal.subject === null ? `jwt:${principal.role}` : `jwt:${principal.subject}`;
  return 'platform';
}

/** Manual points adjustments and the refunds list (docs/refunds.md). */
export const refundRoutes: RouteSpec[] = [
  route({
    operationId: 'adjustPoints',
    method: 'post',
    path: `${T}/customers/:id/points/adjustments`,
    tag: 'points',
    summary: 'Credit (amount > 0) or debit (amount < 0) a customer’s points by hand, with a reason',
    description:
      'On the ledger as kind `adjust`, with the reason and who made it (the API key id, `platform`, or `jwt:<subject>`). A debit past the balance is a 409 naming the balance. Replayable with an `Idempotency-Key` header.',
    permission: 'issuances:manage',
    body: adjustPointsSchema,
    idempotency: 'stored',
    audit: audited('points.adjust', 'points_balance'),
    errors: [409],
    response: {
      status: 201,
      description: 'The adjustment and the balance after',
      schema: pointsAdjustmentSchema,
    },
    handler: async ({ engine, tenantId, params, body, principal }) =>
      ok(await engine.points.adjust(tenantId, params.id as string, body, actorOf(principal)), 201),
  }),
  route({
    operationId: 'listRefunds',
    method: 'get',
    path: `${T}/refunds`,
    tag: 'events',
    summary: 'What refund events reversed, newest first (by customer_id, original_event_id)',
    permission: 'till:read',
    query: pageRequestSchema.extend({
      customer_id: idSchema.optional(),
      original_event_id: idSchema.optional(),
    }),
    response: { status: 200, description: 'A page of refunds', schema: pageSchema(refundRecordSchema) },
    handler: async ({ engine, tenantId, query: { limit, cursor, ...filter } }) =>
      ok(await engine.refunds.list(tenantId, filter, { limit, cursor })),
  }),
];
