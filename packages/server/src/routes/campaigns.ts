import { createCampaignSchema, pageRequestSchema, updateCampaignSchema } from '@laas/core';
import { audited } from '../audit.js';
import { campaignSchema, pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

function statusRoute(action: 'activate' | 'pause' | 'end', status: 'active' | 'paused' | 'ended'): RouteSpec {
  return route({
    operationId: `${action}Campaign`,
    audit: audited(`campaign.${action}`, 'campaign'),
    method: 'post',
    path: `${T}/campaigns/:id/${action}`,
    tag: 'campaigns',
    summary: `Set the campaign ${status}`,
    permission: 'setup:write',
    errors: [409],
    response: { status: 200, description: 'The campaign', schema: campaignSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.campaigns.setStatus(tenantId, id(params), status)),
  });
}

export const campaignRoutes: RouteSpec[] = [
  route({
    operationId: 'createCampaign',
    audit: audited('campaign.create', 'campaign', 'answer'),
    method: 'post',
    path: `${T}/campaigns`,
    tag: 'campaigns',
    summary: 'Create a campaign (draft unless a status is given)',
    permission: 'setup:write',
    body: createCampaignSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The campaign', schema: campaignSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.campaigns.create(tenantId, body), 201),
  }),
  route({
    operationId: 'listCampaigns',
    method: 'get',
    path: `${T}/campaigns`,
    tag: 'campaigns',
    summary: 'List campaigns, newest first',
    permission: 'setup:read',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of campaigns', schema: pageSchema(campaignSchema) },
    handler: async ({ engine, tenantId, query }) => ok(await engine.campaigns.list(tenantId, query)),
  }),
  route({
    operationId: 'getCampaign',
    method: 'get',
    path: `${T}/campaigns/:id`,
    tag: 'campaigns',
    summary: 'Get a campaign',
    permission: 'setup:read',
    response: { status: 200, description: 'The campaign', schema: campaignSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.campaigns.get(tenantId, id(params))),
  }),
  route({
    operationId: 'updateCampaign',
    audit: audited('campaign.update', 'campaign'),
    method: 'patch',
    path: `${T}/campaigns/:id`,
    tag: 'campaigns',
    summary: 'Change a campaign’s name, dates or budget',
    permission: 'setup:write',
    body: updateCampaignSchema,
    response: { status: 200, description: 'The campaign', schema: campaignSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.campaigns.update(tenantId, id(params), body)),
  }),
  statusRoute('activate', 'active'),
  statusRoute('pause', 'paused'),
  statusRoute('end', 'ended'),
];
