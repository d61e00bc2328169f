import { NotFoundError, TIER_MEASURES, tierProgrammeInputSchema } from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

const tag = 'tiers';

const tierLevel = z.object({ name: z.string(), threshold: z.number().int() });

/** The stored programme (engine.tiers.get / put). */
export const tierProgrammeSchema = z
  .object({
    tenant_id: z.string(),
    measure: z.enum(TIER_MEASURES),
    event_types: z.array(z.string()),
    window: z.union([z.object({ rolling: z.string() }), z.object({ calendar: z.enum(['month', 'year']) })]),
    grace: z.string(),
    levels: z.array(tierLevel),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'TierProgramme' });

/** A customer's standing (engine.tiers.customer). */
export const customerTierSchema = z
  .object({
    customer_id: z.string(),
    tier: z.string().nullable(),
    since: z.string().nullable(),
    measure: z.enum(TIER_MEASURES).nullable(),
    qualifying_value: z.number().int(),
    downgrade_due_at: z.string().nullable(),
    next: z.object({ tier: z.string(), threshold: z.number().int(), remaining: z.number().int() }).nullable(),
  })
  .meta({ id: 'CustomerTier' });

/** The tier programme and customers' tiers (docs/tiers.md). */
export const tierRoutes: RouteSpec[] = [
  route({
    operationId: 'getTierProgramme',
    method: 'get',
    path: `${T}/tiers`,
    tag,
    summary: 'The tenant’s tier programme (404 when it has none)',
    permission: 'setup:read',
    response: { status: 200, description: 'The programme', schema: tierProgrammeSchema },
    handler: async ({ engine, tenantId }) => {
      const programme = await engine.tiers.get(tenantId);
      if (programme === null) throw new NotFoundError('tier programme', tenantId);
      return ok(programme);
    },
  }),
  route({
    operationId: 'putTierProgramme',
    method: 'put',
    path: `${T}/tiers`,
    tag,
    summary: 'Define or replace the tier programme',
    description:
      'Levels lowest first with strictly increasing thresholds and unique names, on one measure (`spend`: sum ' +
      'of purchase amounts in minor units; `visits`: count of events of `event_types`; `points_earned`) over a ' +
      'window (`{"rolling": "365d"}` of local days, or `{"calendar": "month" | "year"}` in the tenant’s time ' +
      'zone), with a downgrade `grace` (default `30d`). Customers are recomputed lazily: at their next event, ' +
      'their next tier read, or a due downgrade (docs/tiers.md).',
    permission: 'setup:write',
    audit: audited('tier_programme.put', 'tier_programme', 'tenant'),
    body: tierProgrammeInputSchema,
    response: { status: 200, description: 'The stored programme', schema: tierProgrammeSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.tiers.put(tenantId, body)),
  }),
  route({
    operationId: 'deleteTierProgramme',
    method: 'delete',
    path: `${T}/tiers`,
    tag,
    summary: 'Remove the tier programme (customer.tier is null afterwards)',
    permission: 'setup:write',
    audit: audited('tier_programme.delete', 'tier_programme', 'tenant'),
    response: { status: 204, description: 'Removed' },
    handler: async ({ engine, tenantId }) => {
      await engine.tiers.delete(tenantId);
      return noContent();
    },
  }),
  route({
    operationId: 'getCustomerTier',
    method: 'get',
    path: `${T}/customers/:id/tier`,
    tag,
    summary: 'A customer’s tier, qualifying value, pending downgrade and the next level',
    description:
      'Recomputed at the time of the request: an upgrade or a downgrade whose grace ended is applied (and its ' +
      '`customer.tier_changed` webhook written) before the answer.',
    permission: 'till:read',
    response: { status: 200, description: 'The customer’s tier', schema: customerTierSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.tiers.customer(tenantId, params.id as string)),
  }),
];
