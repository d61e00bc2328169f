import { createRewardSchema, pageRequestSchema, updateRewardSchema, uploadCodesSchema } from '@laas/core';
import { audited } from '../audit.js';
import { codeCountsSchema, codeUploadResultSchema, pageSchema, rewardSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

export const rewardRoutes: RouteSpec[] = [
  route({
    operationId: 'createReward',
    audit: audited('reward.create', 'reward', 'answer'),
    method: 'post',
    path: `${T}/rewards`,
    tag: 'rewards',
    summary: 'Add a reward to the catalog',
    permission: 'setup:write',
    body: createRewardSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The reward', schema: rewardSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.rewards.create(tenantId, body), 201),
  }),
  route({
    operationId: 'listRewards',
    method: 'get',
    path: `${T}/rewards`,
    tag: 'rewards',
    summary: 'List the reward catalog, newest first',
    permission: 'till:read',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of rewards', schema: pageSchema(rewardSchema) },
    handler: async ({ engine, tenantId, query }) => ok(await engine.rewards.list(tenantId, query)),
  }),
  route({
    operationId: 'getReward',
    method: 'get',
    path: `${T}/rewards/:id`,
    tag: 'rewards',
    summary: 'Get a reward',
    permission: 'till:read',
    response: { status: 200, description: 'The reward', schema: rewardSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.rewards.get(tenantId, id(params))),
  }),
  route({
    operationId: 'updateReward',
    audit: audited('reward.update', 'reward'),
    method: 'patch',
    path: `${T}/rewards/:id`,
    tag: 'rewards',
    summary: 'Change a reward (`active: false` retires it)',
    permission: 'setup:write',
    body: updateRewardSchema,
    response: { status: 200, description: 'The reward', schema: rewardSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.rewards.update(tenantId, id(params), body)),
  }),
  route({
    operationId: 'uploadRewardCodes',
    audit: audited('reward.upload_codes', 'reward_codes'),
    method: 'post',
    path: `${T}/rewards/:id/codes`,
    tag: 'rewards',
    summary: 'Upload voucher codes to a reward’s pool (codes already in the pool are reported, not added)',
    permission: 'setup:write',
    body: uploadCodesSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'How many were added', schema: codeUploadResultSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.rewards.uploadCodes(tenantId, id(params), body), 201),
  }),
  route({
    operationId: 'countRewardCodes',
    method: 'get',
    path: `${T}/rewards/:id/codes`,
    tag: 'rewards',
    summary: 'How many codes of the pool are available and used',
    permission: 'till:read',
    response: { status: 200, description: 'The counts', schema: codeCountsSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.rewards.codeCounts(tenantId, id(params))),
  }),
];
