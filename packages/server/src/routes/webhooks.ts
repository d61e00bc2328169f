import {
  checkWebhookUrl,
  createWebhookSchema,
  pageRequestSchema,
  updateWebhookSchema,
  type WebhookSubscription,
} from '@laas/core';
import { audited } from '../audit.js';
import {
  createdWebhookSchema,
  pageSchema,
  webhookDeliverySchema,
  webhookDeliveryWithAttemptsSchema,
  webhookSchema,
} from '../openapi/schemas.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

/** The signing secrets are shown once, when the subscription is created or its secret rotated. */
function withoutSecret({ secret: _secret, previous_secret: _previous, ...rest }: WebhookSubscription) {
  return rest;
}

/** With the current secret (creation, rotation), never the previous one. */
function withSecret({ previous_secret: _previous, ...rest }: WebhookSubscription) {
  return rest;
}

/**
 * Subscriptions, their deliveries (sent by the background worker, `createWorker`), replays,
 * secret rotation and test messages.
 */
export const webhookRoutes: RouteSpec[] = [
  route({
    operationId: 'createWebhook',
    audit: audited('webhook.create', 'webhook', 'answer'),
    method: 'post',
    path: `${T}/webhooks`,
    tag: 'webhooks',
    summary: 'Subscribe a URL to outbox events (the secret is in this answer only)',
    description:
      'The URL must be `https` to a public address: a host that is, or resolves to, a loopback, private (RFC 1918), link-local, unique-local, unspecified or multicast address is refused with 422 naming `url`, and checked again at every delivery against the address connected to. `LAAS_WEBHOOK_ALLOW_PRIVATE=true` lifts this for development.',
    permission: 'webhooks',
    body: createWebhookSchema,
    idempotency: 'stored',
    secretInAnswer: true,
    response: { status: 201, description: 'The subscription with its secret', schema: createdWebhookSchema },
    before: ({ deps, body }) => checkWebhookUrl(body.url, { allowPrivate: deps.config.webhookAllowPrivate }),
    handler: async ({ engine, tenantId, body }) =>
      ok(withSecret(await engine.webhooks.create(tenantId, body)), 201),
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
    audit: audited('webhook.update', 'webhook'),
    method: 'patch',
    path: `${T}/webhooks/:id`,
    tag: 'webhooks',
    summary: 'Change a subscription (`active: true` re-enables a disabled one)',
    permission: 'webhooks',
    body: updateWebhookSchema,
    response: { status: 200, description: 'The subscription', schema: webhookSchema },
    handler: async ({ deps, engine, tenantId, params, body }) => {
      if (body.url !== undefined)
        await checkWebhookUrl(body.url, { allowPrivate: deps.config.webhookAllowPrivate });
      return ok(withoutSecret(await engine.webhooks.update(tenantId, id(params), body)));
    },
  }),
  route({
    operationId: 'deleteWebhook',
    audit: audited('webhook.delete', 'webhook'),
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
  route({
    operationId: 'listWebhookDeliveries',
    method: 'get',
    path: `${T}/webhooks/:id/deliveries`,
    tag: 'webhooks',
    summary: 'Deliveries of a subscription, newest first, each with every attempt',
    permission: 'webhooks',
    query: pageRequestSchema,
    response: {
      status: 200,
      description: 'A page of deliveries',
      schema: pageSchema(webhookDeliveryWithAttemptsSchema),
    },
    handler: async ({ engine, tenantId, params, query }) =>
      ok(await engine.webhooks.deliveries(tenantId, id(params), query)),
  }),
  route({
    operationId: 'replayWebhookDelivery',
    method: 'post',
    path: `${T}/webhooks/:id/deliveries/:deliveryId/replay`,
    tag: 'webhooks',
    summary: 'Send a delivery again: a new pending delivery of the same message (same webhook-id and body)',
    permission: 'webhooks',
    idempotency: 'stored',
    response: { status: 202, description: 'The new delivery, queued', schema: webhookDeliverySchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.webhooks.replay(tenantId, id(params), params.deliveryId as string), 202),
  }),
  route({
    operationId: 'rotateWebhookSecret',
    audit: audited('webhook.rotate_secret', 'webhook'),
    method: 'post',
    path: `${T}/webhooks/:id/rotate-secret`,
    tag: 'webhooks',
    summary: 'A new signing secret (in this answer only); the old one keeps signing for 24 hours',
    permission: 'webhooks',
    idempotency: 'stored',
    secretInAnswer: true,
    response: {
      status: 200,
      description: 'The subscription with its new secret',
      schema: createdWebhookSchema,
    },
    // A subscription saved before URLs were checked gets no fresh secret while its URL is refused.
    before: async ({ deps, engine, tenantId, params }) => {
      const current = await engine.webhooks.get(tenantId, id(params));
      await checkWebhookUrl(current.url, { allowPrivate: deps.config.webhookAllowPrivate });
    },
    handler: async ({ engine, tenantId, params }) =>
      ok(withSecret(await engine.webhooks.rotateSecret(tenantId, id(params)))),
  }),
  route({
    operationId: 'testWebhook',
    method: 'post',
    path: `${T}/webhooks/:id/test`,
    tag: 'webhooks',
    summary: 'Queue a `webhook.test` message to the subscription',
    permission: 'webhooks',
    idempotency: 'stored',
    response: { status: 202, description: 'The queued delivery', schema: webhookDeliverySchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.webhooks.test(tenantId, id(params)), 202),
  }),
];
