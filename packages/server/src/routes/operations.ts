import { z } from 'zod';
import { healthSchema, readySchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route } from './define.js';

/** `/health`, `/ready`, `/metrics`, `/openapi.json`: no credentials. */
export function operationRoutes(document: () => unknown): RouteSpec[] {
  return [
    route({
      operationId: 'health',
      method: 'get',
      path: '/health',
      tag: 'operations',
      summary: 'The process is up',
      permission: 'public',
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
      errors: [503],
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
      permission: 'public',
      response: { status: 200, description: 'Prometheus text format', contentType: 'text/plain' },
      handler: async ({ deps }) =>
        new Response(await deps.metrics.registry.metrics(), {
          status: 200,
          headers: { 'Content-Type': deps.metrics.registry.contentType },
        }),
    }),
    route({
      operationId: 'openapi',
      method: 'get',
      path: '/openapi.json',
      tag: 'operations',
      summary: 'This OpenAPI 3.1 document',
      permission: 'public',
      response: { status: 200, description: 'The document', schema: z.record(z.string(), z.unknown()) },
      handler: async () => ok(document()),
    }),
  ];
}
