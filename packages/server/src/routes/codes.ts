import { CODE_REFUSALS, generateCodesSchema } from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import { ok, type RouteSpec, route, T } from './define.js';

const generatedCodesSchema = z
  .object({
    added: z.number().int().meta({ description: 'How many codes were added to the pool (= count)' }),
    codes: z.array(z.string()).meta({ description: 'The codes added, each new to the pool' }),
  })
  .meta({ id: 'GeneratedCodes' });

const codeValidationSchema = z
  .object({
    code: z.string(),
    redeemable: z.boolean().meta({ description: 'True when redeeming the code now would succeed' }),
    reason: z.enum(CODE_REFUSALS).nullable().meta({
      description:
        'Why not (null when redeemable): not_found (no pool or issuance has it), not_issued_yet (in a pool, handed to no one), reserved (waiting for POST .../issue), redeemed, expired, cancelled, customer_blocked (its customer is blocked or erased), not_redeemable (a points reward)',
    }),
    issuance_id: z.string().nullable(),
    customer_id: z.string().nullable(),
    reward: z
      .object({ id: z.string(), name: z.string(), type: z.string(), value: z.number().int() })
      .nullable(),
    state: z
      .string()
      .nullable()
      .meta({ description: 'The issuance’s state; null when no issuance holds the code' }),
    expires_at: z.string().nullable(),
  })
  .meta({ id: 'CodeValidation' });

/** Voucher codes generated into a pool, and looked up without redeeming (docs/vouchers.md). */
export const codeRoutes: RouteSpec[] = [
  route({
    operationId: 'generateRewardCodes',
    method: 'post',
    path: `${T}/rewards/:id/codes/generate`,
    tag: 'rewards',
    summary:
      'Generate random voucher codes into a reward’s pool (count 1..100000, length 6..32, optional prefix, charset safe or digits), unique in the pool',
    permission: 'setup:write',
    audit: audited('reward.generate_codes', 'reward_codes'),
    body: generateCodesSchema,
    response: { status: 201, description: 'The codes added', schema: generatedCodesSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.rewards.generateCodes(tenantId, params.id as string, body), 201),
  }),
  route({
    operationId: 'validateCode',
    method: 'get',
    path: `${T}/codes/:code`,
    tag: 'issuances',
    summary: 'Whether a code would redeem now, for whom, and if not why; changes nothing',
    permission: 'till:read',
    response: { status: 200, description: 'The answer', schema: codeValidationSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.issuances.validateCode(tenantId, params.code as string)),
  }),
];
