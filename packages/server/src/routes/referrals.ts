import type { ReferralSummary } from '@laas/core';
import { z } from 'zod';
import { ok, type RouteSpec, route, T } from './define.js';

const ts = z.string().meta({ format: 'date-time' });
const status = z.enum(['pending', 'qualified', 'rejected']);

/** `GET /customers/:id/referral` (docs/referrals.md). */
export const referralSummarySchema = z
  .object({
    customer_id: z.string(),
    code: z.string().meta({
      description:
        'The customer’s own referral code (8 characters without look-alikes), made on the first request; give it to friends',
    }),
    referred_by: z
      .object({
        referrer_id: z.string(),
        code: z.string(),
        status,
        attributed_at: ts,
        qualified_at: ts.nullable(),
        rejected_reason: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'Who referred this customer and how far it got; null when nobody did' }),
    referred: z
      .object({
        pending: z.number().int(),
        qualified: z.number().int(),
        rejected: z.number().int(),
        remaining: z.number().int().nullable(),
      })
      .meta({
        description:
          'The customers this customer referred, by status; remaining: how many more the tenant’s referral_max_per_referrer allows (null: no cap)',
      }),
  })
  .meta({ id: 'ReferralSummary' });

// Compile-time check: the schema describes exactly core's interface.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type ReferralSchemaCheck =
  Same<z.infer<typeof referralSummarySchema>, ReferralSummary> extends true ? true : never;
const schemaMatches: ReferralSchemaCheck = true;
void schemaMatches;

export const referralRoutes: RouteSpec[] = [
  route({
    operationId: 'getCustomerReferral',
    method: 'get',
    path: `${T}/customers/:id/referral`,
    tag: 'referrals',
    summary: 'A customer’s referral code, who referred them, and how many they referred',
    description:
      'The code is made on the first request (one per customer, unique in the tenant). A new customer enrolled with it (`referral_code` on customer create, `customer.referral_code` on an event that enrolls) is attributed to this customer once; see docs/referrals.md.',
    permission: 'till:read',
    errors: [409],
    response: { status: 200, description: 'The referral summary', schema: referralSummarySchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.referrals.get(tenantId, params.id as string)),
  }),
];
