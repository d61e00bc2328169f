import { z } from 'zod';
import { secretsEqual } from '../auth.js';
import { httpError } from '../errors.js';
import { healthSchema, readySchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route } from './define.js';

/**
 * `/health`, `/ready`, `/metrics`, `/openapi.json`: no API credentials (`/metrics` takes
 * `LAAS_METRICS_TOKEN` when set). Unknown query parameters are a 400, as on the API.
 */
export function operationRoutes(document: () => unknown): RouteSpec[] {
  return [
    route({
      operationId: 'health',
      method: 'get',
      path: '/health',
      tag: 'operations',
      summary: 'The process is up',
      permission: 'public',
      errors: [400],
      response: { status: 200, description: 'Up', schema: healthSchema },
      handler: async () => ok({ status: 'ok' }),
    }),
    route({
      operationId: 'ready',
      method: 'get',
      path: '/ready',
      tag: 'operations',
      summary: 'The database is reachable and migrated (503 otherwise)',
      permission: 'public',
      errors: [400, 503],
      response: { status: 200, description: 'Ready', schema: readySchema },
      handler: async ({ deps, hono }) => {
        try {
          await deps.store.ping();
          return ok({ status: 'ready' });
        } catch (error) {
          // The reason may name hosts or SQL: it goes to the log, not to an unauthenticated caller.
          hono.set('readyFailure', error instanceof Error ? error.message : String(error));
          return ok({ status: 'unavailable', reason: 'the database is unreachable or not migrated' }, 503);
        }
      },
    }),
    route({
      operationId: 'metrics',
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      summary: 'Prometheus metrics',
      description:
        'The Prometheus text format (docs/observability.md lists the metrics). When the server runs with ' +
        '`LAAS_METRICS_TOKEN`, send `Authorization: Bearer <that token>` (an API key is not accepted): ' +
        'without it the answer is 401 with `WWW-Authenticate`.',
      permission: 'public',
      errors: [400, 401],
      response: { status: 200, description: 'Prometheus text format', contentType: 'text/plain' },
      handler: async ({ deps, hono }) => {
        const token = deps.config.metricsToken;
        if (token !== undefined) {
          const match = /^Bearer[ ]+(\S+)\s*$/i.exec(hono.req.header('authorization') ?? '');
          if (match === null || !secretsEqual(match[1] as string, token)) {
            throw httpError(
              'AUTHENTICATION_ERROR',
              'This server requires LAAS_METRICS_TOKEN for /metrics: send "Authorization: Bearer <metrics token>"',
            );
          }
        }
        return new Response(await deps.metrics.registry.metrics(), {
          status: 200,
          headers: { 'Content-Type': deps.metrics.registry.contentType },
        });
      },
    }),
    route({
      operationId: 'openapi',
      method: 'get',
      path: '/openapi.json',
      tag: 'operations',
      summary: 'This OpenAPI 3.1 document',
      description: 'Rendered for people at `GET /docs` (Swagger UI, served by this server).',
      permission: 'public',
      errors: [400],
      response: { status: 200, description: 'The document', schema: z.record(z.string(), z.unknown()) },
      handler: async () => ok(document()),
    }),
  ];
}
