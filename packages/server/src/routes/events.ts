import { dryRunEventSchema, idSchema, ingestEventSchema, pageRequestSchema } from '@laas/core';
import { z } from 'zod';
import { eventSchema, ingestResultSchema, pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

export const eventRoutes: RouteSpec[] = [
  route({
    operationId: 'ingestEvent',
    method: 'post',
    path: `${T}/events`,
    tag: 'events',
    summary: 'Ingest an event: run the rules and issue rewards, in one transaction',
    description:
      'The `Idempotency-Key` header fills `idempotency_key` (they must agree when both are sent). ' +
      'A new event answers 201; a replay of a key already seen with the same payload answers 200 with ' +
      '`Idempotent-Replayed: true` and the stored outcome; the same key with another payload is 422.',
    permission: 'events:ingest',
    body: ingestEventSchema,
    idempotency: 'ingest',
    errors: [409, 422],
    response: {
      status: 201,
      description: 'A new event: its outcome',
      schema: ingestResultSchema,
      also: [{ status: 200, description: 'A replay (`Idempotent-Replayed: true`): the stored outcome' }],
    },
    handler: async ({ deps, engine, tenantId, body, hono }) => {
      const result = await engine.ingest(tenantId, body);
      const { metrics } = deps;
      metrics.eventsIngested.inc({ replayed: String(result.replayed) });
      if (result.replayed) {
        hono.header('Idempotent-Replayed', 'true');
        return ok(result, 200);
      }
      for (const d of result.decisions) {
        if (d.outcome === 'issued' || d.outcome === 'reserved')
          metrics.rewardsIssued.inc({ state: d.outcome });
        else if (d.outcome === 'budget_exhausted') metrics.budgetRefusals.inc();
      }
      return ok(result, 201);
    },
  }),
  route({
    operationId: 'dryRunEvent',
    method: 'post',
    path: `${T}/events/dry-run`,
    tag: 'events',
    summary: 'Run an event through the rules, explain every decision, and roll everything back',
    description: 'Nothing is stored, so `idempotency_key` may be left out.',
    permission: 'simulate',
    body: dryRunEventSchema,
    response: { status: 200, description: 'The outcome with explanations', schema: ingestResultSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.dryRun(tenantId, body)),
  }),
  route({
    operationId: 'listEvents',
    method: 'get',
    path: `${T}/events`,
    tag: 'events',
    summary: 'List events, newest first',
    permission: 'till:read',
    query: pageRequestSchema.extend({
      customer_id: idSchema.optional(),
      type: z.string().min(1).max(64).optional(),
    }),
    response: { status: 200, description: 'A page of events', schema: pageSchema(eventSchema) },
    handler: async ({ engine, tenantId, query: { limit, cursor, ...filter } }) =>
      ok(await engine.events.list(tenantId, filter, { limit, cursor })),
  }),
  route({
    operationId: 'getEvent',
    method: 'get',
    path: `${T}/events/:id`,
    tag: 'events',
    summary: 'Get an event with its stored outcome',
    permission: 'till:read',
    response: { status: 200, description: 'The event', schema: eventSchema },
    handler: async ({ engine, tenantId, params }) =>
      ok(await engine.events.get(tenantId, params.id as string)),
  }),
];
