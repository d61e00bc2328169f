import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import { ruleContextMarkdown } from '@laas/core';
import type { Env } from 'hono';
import { z } from 'zod';
import type { RouteSpec } from '../routes/define.js';
import { REQUEST_EXAMPLES } from './examples.js';
import { errorSchema } from './schemas.js';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_ERROR: the input is invalid (`details.issues` names each field)',
  401: 'AUTHENTICATION_ERROR: missing, unknown or revoked credentials',
  403: 'AUTHORIZATION_ERROR: the role may not do this',
  404: 'NOT_FOUND: no such resource (also: any resource of another tenant)',
  409: 'STATE_CONFLICT: the resource is not in a state that allows this, or a unique value is taken',
  413: 'VALIDATION_ERROR: the body is larger than the limit',
  415: 'VALIDATION_ERROR: the body is not JSON (send Content-Type: application/json)',
  422: 'IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used with another request',
  429: 'RATE_LIMIT_EXCEEDED: too many requests for this key (see Retry-After)',
  500: 'INTERNAL_ERROR: unexpected; quote the requestId',
  503: 'STORE_UNAVAILABLE: the database is away, stuck or full; retry after Retry-After seconds (with the same Idempotency-Key)',
};

/** Every operation's tag, with what it groups (the rules tag's text is the rule context). */
export const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  tenants: 'Merchants: created by the platform admin; settings such as time zone, currency, points expiry.',
  customers: 'Members: enrol, look up, list, block, erase, export (with their stats and points).',
  analytics:
    'The merchant console’s figures: activity per day in the tenant’s time zone, budgets’ burn, top rules.',
  enrollment:
    'The public enrollment page’s data (no credentials; a tenant turns it on with settings.enrollment_page).',
  points: 'A customer’s points: balance, history, and spending points on a catalog reward.',
  referrals: 'Referral codes, who referred whom, and the referral rewards’ progress (docs/referrals.md).',
  events: 'Ingest purchases, visits and any other event (idempotent), dry-run them, list them.',
  rules: '',
  rewards: 'The reward catalog, and the voucher code pools of voucher rewards.',
  issuances: 'Rewards given to customers: issue a reservation, redeem, cancel.',
  budgets: 'Budgets with per-period counters and their ledger; top-ups.',
  campaigns: 'Named groups of rules with a schedule: activate, pause.',
  webhooks: 'Outbound webhook subscriptions, their deliveries and attempts, test messages, secret rotation.',
  'api-keys': 'API keys of a tenant, each with one role (admin, manager, pos, viewer).',
  audit:
    'Who changed what: every change to configuration, customers and keys, and every manual operation (admin only).',
  ussd: 'The USSD channel: settings and the gateway callback.',
  tiers: 'Tier levels (Bronze/Silver/Gold) by a qualifying measure over a window, and each customer’s tier.',
  whatsapp: 'The WhatsApp channel: settings, join links and Meta’s webhooks.',
  'shared channels':
    'One WhatsApp number and one USSD code for many merchants: the platform’s set-up, a merchant’s code and opt-ins, the shared USSD callback.',
  operations: 'Health, readiness, Prometheus metrics and this document (also rendered at GET /docs).',
});

/** `/v1/tenants/:tid/x/:id` → `/v1/tenants/{tid}/x/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const jsonError = (status: number) => ({
  description: ERROR_DESCRIPTIONS[status] ?? 'Error',
  content: { 'application/json': { schema: errorSchema } },
});

/** Registers one route in the app's OpenAPI registry, from the same spec that serves it. */
export function registerRouteDoc<E extends Env>(app: OpenAPIHono<E>, spec: RouteSpec): void {
  const names = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  const params =
    names.length === 0
      ? undefined
      : z.object(Object.fromEntries(names.map((n) => [n, z.string().meta({ format: 'uuid' })])));
  const statuses = new Set<number>(spec.errors ?? []);
  statuses.add(500);
  statuses.add(503);
  if (spec.permission !== 'public') for (const s of [401, 403, 404, 429]) statuses.add(s);
  if (spec.query !== undefined || spec.body !== undefined || names.length > 0) statuses.add(400);
  if (spec.body !== undefined) statuses.add(415);
  if (spec.body !== undefined) statuses.add(413);
  if (spec.idempotency !== undefined) statuses.add(422);
  if (names.length > 0) statuses.add(404);

  const headers =
    spec.idempotency === undefined
      ? undefined
      : z.object({
          'idempotency-key': z
            .string()
            .max(257)
            .optional()
            .meta({
              description:
                spec.idempotency === 'ingest'
                  ? 'The event’s idempotency key (fills `idempotency_key`); up to 255 characters, quoted form accepted'
                  : 'Makes the request safely retryable: the same key and request replay the stored answer with `Idempotent-Replayed: true`; up to 255 characters',
            }),
        });

  // An ingest's key may come in the Idempotency-Key header instead: the server fills the body's
  // field from it before validating, so the documented body does not require it.
  const body =
    spec.idempotency === 'ingest' && spec.body instanceof z.ZodObject
      ? spec.body.partial({ idempotency_key: true } as never)
      : spec.body;

  const responses: RouteConfig['responses'] = {
    [String(spec.response.status)]: {
      description: spec.response.description,
      ...(spec.response.schema !== undefined
        ? { content: { 'application/json': { schema: spec.response.schema } } }
        : spec.response.contentType !== undefined
          ? { content: { [spec.response.contentType]: { schema: z.string() } } }
          : {}),
    },
  };
  for (const also of spec.response.also ?? []) {
    responses[String(also.status)] = {
      ...responses[String(spec.response.status)],
      description: also.description,
    };
  }
  for (const s of [...statuses].sort()) {
    if (s === 503 && spec.operationId === 'ready') {
      responses[String(s)] = {
        description: ERROR_DESCRIPTIONS[503] as string,
        content: { 'application/json': { schema: spec.response.schema ?? z.unknown() } },
      };
    } else responses[String(s)] = jsonError(s);
  }

  app.openAPIRegistry.registerPath({
    method: spec.method,
    path: toOpenApiPath(spec.path),
    operationId: spec.operationId,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.permission === 'public' ? { security: [] } : { security: [{ bearer: [] }] }),
    request: {
      ...(params === undefined ? {} : { params }),
      ...(spec.query === undefined ? {} : { query: spec.query as z.ZodObject }),
      ...(headers === undefined ? {} : { headers }),
      ...(spec.body === undefined
        ? {}
        : {
            body: {
              required: !spec.body.safeParse(undefined).success,
              content: {
                'application/json': {
                  schema: body,
                  ...(REQUEST_EXAMPLES[spec.operationId] === undefined
                    ? {}
                    : { example: REQUEST_EXAMPLES[spec.operationId] }),
                },
              },
            },
          }),
    },
    responses,
    'x-permission': spec.permission,
  } as RouteConfig);
}

/** The OpenAPI 3.1 document of every route registered so far. */
export function buildDocument<E extends Env>(app: OpenAPIHono<E>): unknown {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key `laas_...` (bound to one tenant and a role: admin, manager, pos, viewer), the ' +
      'platform admin token, or an HS256 JWT with `tenant_id` and `role` claims.',
  });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'LaaS API',
      version: '1',
      description:
        'The multi-tenant loyalty API. Errors are always `{ "error": { "code", "message", "details"?, "requestId" } }`. ' +
        'When the database is away or stuck every route answers 503 `STORE_UNAVAILABLE` with `Retry-After` ' +
        '(never a hang): waits are bounded by the server’s timeouts (PostgreSQL: a connection within ' +
        '`LAAS_PG_ACQUIRE_TIMEOUT_MS`, default 5 s; a row lock within `LAAS_PG_LOCK_TIMEOUT_MS`, 3 s; a statement ' +
        'within `LAAS_PG_STATEMENT_TIMEOUT_MS`, 15 s). Retry with the same `Idempotency-Key`: a first attempt that ' +
        'committed answers its stored response, one that did not is applied once. ' +
        'A browser app may call it when the server lists its origin in `LAAS_CORS_ORIGINS`.',
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
    },
    servers: [{ url: '/' }],
    // Every tag an operation uses, described. The rules tag carries docs/rule-context.md (rendered
    // from the validator's own list), so a client reading the document sees which variables a
    // condition or quantity may use.
    tags: Object.entries(TAG_DESCRIPTIONS).map(([name, description]) => ({
      name,
      description: name === 'rules' ? ruleContextMarkdown() : description,
    })),
  });
}
