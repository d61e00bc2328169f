import {
  createWebhookSchema,
  pageRequestSchema,
  updateWebhookSchema,
  type WebhookSubscription,
} from '@laas/core';
import { createdWebhookSchema, pageSchema, webhookSchema } from '../openapi/schemas.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

/** The signing secret is shown once, when the subscription is created. */
function withoutSecret({ secret: _secret, ...rest }: WebhookSubscription) {
  return rest;
}

/**
 * Subscriptions only. Deliveries (the outbox worker) and `POST .../webhooks/:id/test` belong to
 * the channels issue; they mount through `createServer({ extensions })`.
 */
export const webhookRoutes: RouteSpec[] = [
  route({
    operationId: 'createWebhook',
    method: 'post',
    path: `${T}/webhooks`,
    tag: 'webhooks',
    summary: 'Subscribe a URL to outbox events (the secret is in this answer only)',
    permission: 'webhooks',
    body: createWebhookSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The subscription with its secret', schema: createdWebhookSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.webhooks.create(tenantId, body), 201),
  }),
  route({
    operationId: 'listWebhooks',
    method: 'get',
    path: `${T}/webhooks`,
    tag: 'webhooks',
    summary: 'List webhook subscriptions',
    permission: 'webhooks',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of subscriptions', schema: pageSchema(webhookSchema) },
    handler: async ({ engine, tenantId, query }) => {
      const page = await engine.webhooks.list(tenantId, query);
      return ok({ items: page.items.map(withoutSecret), next_cursor: page.next_cursor });
    },
  }),
  route({
    operationId: 'getWebhook',
    method: 'get',
    path: `${T}/webhooks/:id`,
    tag: 'webhooks',
    summary: 'Get a webhook subscription',
    permission: 'webhooks',
    response: { status: 200, description: 'The subscription', schema: webhookSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(withoutSecret(await engine.webhooks.get(tenantId, id(params)))),
  }),
  route({
    operationId: 'updateWebhook',
    method: 'patch',
    path: `${T}/webhooks/:id`,
    tag: 'webhooks',
    summary: 'Change a subscription (`active: true` re-enables a disabled one)',
    permission: 'webhooks',
    body: updateWebhookSchema,
    response: { status: 200, description: 'The subscription', schema: webhookSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(withoutSecret(await engine.webhooks.update(tenantId, id(params), body))),
  }),
  route({
    operationId: 'deleteWebhook',
    method: 'delete',
    path: `${T}/webhooks/:id`,
    tag: 'webhooks',
    summary: 'Delete a subscription',
    permission: 'webhooks',
    response: { status: 204, description: 'Deleted' },
    handler: async ({ engine, tenantId, params }) => {
      await engine.webhooks.delete(tenantId, id(params));
      return noContent();
    },
  }),
];
