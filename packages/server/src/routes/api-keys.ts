import { type ApiKey, createApiKeySchema, pageRequestSchema } from '@laas/core';
import { audited } from '../audit.js';
import { apiKeySchema, createdApiKeySchema, pageSchema } from '../openapi/schemas.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

function publicKey({ key_hash: _hash, ...rest }: ApiKey) {
  return rest;
}

export const apiKeyRoutes: RouteSpec[] = [
  route({
    operationId: 'createApiKey',
    audit: audited('api_key.create', 'api_key', 'answer'),
    method: 'post',
    path: `${T}/api-keys`,
    tag: 'api-keys',
    summary: 'Create an API key: the key is in this answer only, and stored as a SHA-256 hash',
    description:
      'Not replayable with Idempotency-Key: a stored response would keep the key in clear. A retried ' +
      'creation makes a second key; revoke the one you did not keep.',
    permission: 'api-keys',
    body: createApiKeySchema,
    response: { status: 201, description: 'The key', schema: createdApiKeySchema },
    handler: async ({ engine, tenantId, body }) => {
      const created = await engine.apiKeys.create(tenantId, body);
      return ok({ api_key: publicKey(created.api_key), key: created.key }, 201);
    },
  }),
  route({
    operationId: 'listApiKeys',
    method: 'get',
    path: `${T}/api-keys`,
    tag: 'api-keys',
    summary: 'List API keys (prefixes only)',
    permission: 'api-keys',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of keys', schema: pageSchema(apiKeySchema) },
    handler: async ({ engine, tenantId, query }) => {
      const page = await engine.apiKeys.list(tenantId, query);
      return ok({ items: page.items.map(publicKey), next_cursor: page.next_cursor });
    },
  }),
  route({
    operationId: 'revokeApiKey',
    audit: audited('api_key.revoke', 'api_key'),
    method: 'delete',
    path: `${T}/api-keys/:id`,
    tag: 'api-keys',
    summary: 'Revoke an API key (it stops working at once)',
    permission: 'api-keys',
    response: { status: 204, description: 'Revoked' },
    handler: async ({ deps, engine, tenantId, params }) => {
      await engine.apiKeys.revoke(tenantId, params.id as string);
      deps.auth.invalidate(params.id as string);
      return noContent();
    },
  }),
];
