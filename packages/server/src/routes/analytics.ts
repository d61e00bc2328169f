import { analyticsRangeSchema } from '@laas/core';
import { analyticsSummarySchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

/** The merchant console's performance figures (engine.analytics.summary). */
export const analyticsRoutes: RouteSpec[] = [
  route({
    operationId: 'getAnalytics',
    method: 'get',
    path: `${T}/analytics`,
    tag: 'analytics',
    summary: 'Performance per day over a date range (tenant time zone), budgets’ burn and the top rules',
    description:
      'Days are calendar days in the tenant’s time zone, `from` and `to` both included (a day where the ' +
      'clocks change is 23 or 25 hours long). Default: the 30 days ending today. `to` before `from`, or ' +
      'more than 366 days: 422 VALIDATION_ERROR naming `to`. Per day: events (by occurred_at), enrolments ' +
      '(customers enrolled), issued (issuances created, any state), redeemed (issuances redeemed, by ' +
      'redeemed_at), points earned, spent and expired (the points ledger’s earn, redeem and expire rows, as ' +
      'positive numbers). Budgets: every active one, with its current period, what it has used, and what ' +
      'was charged to it each day (reserved minus released).',
    permission: 'setup:read',
    query: analyticsRangeSchema,
    errors: [422],
    response: { status: 200, description: 'The figures', schema: analyticsSummarySchema },
    handler: async ({ engine, tenantId, query }) => ok(await engine.analytics.summary(tenantId, query)),
  }),
];
