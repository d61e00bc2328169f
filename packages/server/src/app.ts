import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import {
  type Engine,
  NotFoundError,
  type Store,
  StoreUnavailableError,
  ValidationError,
  type WorkerObserver,
} from '@laas/core';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import { z } from 'zod';
import { runAudited } from './audit.js';
import { createAuthenticator, type Principal } from './auth.js';
import { createWhatsAppChannel, whatsAppOfApp } from './channels/whatsapp/service.js';
import { clientAddress } from './client-address.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { consoleRoutes } from './console.js';
import { docsRoutes } from './docs.js';
import {
  httpError,
  PayloadTooLargeError,
  parseOrThrow,
  RateLimitError,
  toErrorResponse,
  UnsupportedMediaTypeError,
} from './errors.js';
import { parseIdempotencyKey, requestFingerprint } from './idempotency.js';
import { createLogger, maskPhones } from './logging.js';
import { createMetrics, observeEngine, registerStoreGauges, workerObserverOf } from './metrics.js';
import { buildDocument, registerRouteDoc } from './openapi/document.js';
import { roleAllows } from './permissions.js';
import { createRateLimiter } from './rate-limit.js';
import type { Reply, RouteSpec, ServerDeps } from './routes/define.js';
import { API_ROUTES } from './routes/index.js';
import { operationRoutes } from './routes/operations.js';
import { endRequestSpan, startRequestSpan, traceIdOf, withContext } from './tracing.js';

/** Per-request values. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The matched route pattern (`unmatched` for 404s): the metrics and log label. */
    route: string;
    tenantId: string | undefined;
    readyFailure: string | undefined;
  };
}

export type LaasApp = OpenAPIHono<AppEnv>;

/** What an extension (the channels issue: `/public/...` routes, webhook deliveries) receives. */
export interface ServerExtensionContext {
  readonly app: LaasApp;
  readonly deps: ServerDeps;
  readonly logger: Logger;
  /**
   * Serves and documents routes the same way as the built-in ones (auth, permission table,
   * validation, idempotency, errors). Routes that need raw bytes (signed webhooks) can use `app`
   * directly instead; they are then theirs to document.
   */
  addRoutes(routes: readonly RouteSpec[]): void;
}

/** Mounted after the built-in routes and before the 404 handler. */
export type ServerExtension = (context: ServerExtensionContext) => void;

export interface CreateServerOptions {
  engine: Engine;
  store: Store;
  config?: ServerConfig;
  extensions?: readonly ServerExtension[];
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** What a 401 says to send (RFC 6750): API keys, JWTs and the platform admin token are all Bearer. */
export const WWW_AUTHENTICATE = 'Bearer realm="laas"';

const workerObservers = new WeakMap<LaasApp, WorkerObserver>();

/**
 * The observer that counts a worker's work into this app's `/metrics` (runs, errors, deliveries,
 * webhook latency, retries). `startServer` gives it to the worker it runs; pass it as
 * `createWorker({ observer })` when you run a worker yourself beside `createServer`.
 */
export function workerObserver(app: LaasApp): WorkerObserver {
  const observer = workerObservers.get(app);
  if (observer === undefined) throw new Error('workerObserver: not an app made by createServer');
  return observer;
}

/**
 * Builds the LaaS HTTP API as a Hono app: every route of DESIGN.md under `/v1/tenants/:tid`,
 * `POST /v1/tenants`, `/health`, `/ready`, `/metrics` and `/openapi.json`. Serve it with
 * `@hono/node-server` (see `startServer`), or call `app.fetch(request)` directly.
 *
 * @example
 * const store = sqliteStore({ filename: './data/laas.sqlite' });
 * await store.migrate();
 * const app = createServer({ engine: createEngine({ store }), store, config: { adminToken: 'secret' } });
 * serve({ fetch: app.fetch, port: 8787 });
 */
export function createServer(options: CreateServerOptions): LaasApp {
  const { engine, store } = options;
  const config = resolveConfig(options.config);
  const logger = options.config?.logger ?? createLogger();
  const metrics = createMetrics({ defaultMetrics: config.defaultMetrics });
  observeEngine(metrics, engine);
  registerStoreGauges(metrics, store);
  const auth = createAuthenticator({
    store,
    adminToken: config.adminToken,
    jwtSecret: config.jwtSecret,
    apiKeyCacheMs: options.config?.apiKeyCacheMs,
  });
  const limiter = config.rateLimit === false ? null : createRateLimiter(config.rateLimit);
  const publicLimiter = config.publicRateLimit === false ? null : createRateLimiter(config.publicRateLimit);
  const whatsapp = createWhatsAppChannel({
    engine,
    store,
    secretKey: config.secretKey,
    client: config.whatsapp,
    logger,
    observe: (direction, status, source) => {
      metrics.whatsappMessages.inc({ direction, status });
      if (source === 'send') {
        const outcome = status === 'sent' ? 'delivered' : status === 'queued' ? 'retry' : 'failed';
        metrics.deliveries.inc({ channel: 'whatsapp', outcome });
      }
    },
  });
  const deps: ServerDeps = Object.freeze({ engine, store, config, metrics, auth, logger, whatsapp });

  const app: LaasApp = new OpenAPIHono<AppEnv>();
  whatsAppOfApp.set(app, whatsapp);
  workerObservers.set(app, workerObserverOf(metrics));

  // 1. Request id, one log line and the metrics of every request (errors included).
  app.use('*', async (c, next) => {
    const start = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming !== undefined && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('route', 'unmatched');
    c.header('X-Request-Id', requestId);
    const { span, ctx } = startRequestSpan(c.req.method, c.req.raw.headers);
    await withContext(ctx, next);
    if (!c.res.headers.has('X-Request-Id')) c.res.headers.set('X-Request-Id', requestId);
    const ms = performance.now() - start;
    const labels = { method: c.req.method, route: c.get('route'), status: String(c.res.status) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, ms / 1000);
    const traceId = traceIdOf(span);
    endRequestSpan(span, {
      method: c.req.method,
      route: labels.route,
      status: c.res.status,
      requestId,
      tenantId: c.get('tenantId'),
    });
    const readyFailure = c.get('readyFailure');
    logger.info(
      {
        requestId,
        method: c.req.method,
        route: labels.route,
        status: c.res.status,
        ms: Math.round(ms * 100) / 100,
        tenant: c.get('tenantId'),
        ...(traceId === undefined ? {} : { traceId }),
        ...(readyFailure === undefined ? {} : { reason: maskPhones(readyFailure) }),
      },
      'request',
    );
  });
  // 2. CORS, only for the origins of LAAS_CORS_ORIGINS (off by default): preflights answered 204.
  if (config.corsOrigins.length > 0) {
    const anyOrigin = config.corsOrigins.includes('*');
    const allowed = new Set(config.corsOrigins);
    app.use(
      '*',
      cors({
        origin: (origin) => (anyOrigin ? '*' : allowed.has(origin) ? origin : null),
        allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate'],
        maxAge: 600,
      }),
    );
  }
  // 3. Security headers on every answer; 4. the body size limit (413 in the error shape).
  app.use('*', secureHeaders());
  app.use(
    '*',
    bodyLimit({
      maxSize: config.bodyLimitBytes,
      onError: () => {
        throw new PayloadTooLargeError(config.bodyLimitBytes);
      },
    }),
  );

  // The ONE error mapping (errors.ts), for every route and middleware.
  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? randomUUID();
    const { status, body, internal } = toErrorResponse(error, requestId);
    if (internal) {
      const err = error instanceof Error ? error : new Error(String(error));
      logger.error(
        {
          requestId,
          err: { type: err.name, message: maskPhones(err.message), stack: maskPhones(err.stack ?? '') },
        },
        'unhandled error',
      );
    }
    // The rest of an oversized body was never read: this connection cannot carry another request.
    if (error instanceof PayloadTooLargeError) c.header('Connection', 'close');
    if (status === 401) {
      const sent = (c.req.header('authorization') ?? '') !== '';
      c.header('WWW-Authenticate', sent ? `${WWW_AUTHENTICATE}, error="invalid_token"` : WWW_AUTHENTICATE);
    }
    if (error instanceof RateLimitError || error instanceof StoreUnavailableError) {
      c.header('Retry-After', String(error.retryAfterSeconds));
    }
    return c.json(body, status as 400);
  });
  app.notFound((c) => {
    const { status, body } = toErrorResponse(
      httpError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}`),
      c.get('requestId'),
    );
    return c.json(body, status as 404);
  });

  function mount(spec: RouteSpec): void {
    registerRouteDoc(app, spec);
    const query = queryOf(spec);
    app.on(spec.method.toUpperCase(), spec.path, async (c) => reply(c, await handle(spec, query, c)));
  }

  async function handle(
    spec: RouteSpec,
    querySchema: z.ZodType | undefined,
    c: Context<AppEnv>,
  ): Promise<Reply> {
    c.set('route', spec.path);
    const params = c.req.param() as Record<string, string>;
    const tenantId = params.tid ?? '';
    let principal: Principal | null = null;
    // The public callbacks (USSD, WhatsApp) have no key to count by: they are counted by address.
    if (publicLimiter !== null && spec.path.startsWith('/public/')) {
      const wait = publicLimiter.take(
        `ip:${clientAddress(c as unknown as Context, config.trustProxy) ?? 'unknown'}`,
      );
      if (wait > 0) throw new RateLimitError(wait, 'this address');
    }
    if (spec.permission !== 'public') {
      principal = await auth.authenticate(c.req.header('authorization'));
      if (limiter !== null && principal.rateKey !== null) {
        const wait = limiter.take(principal.rateKey);
        if (wait > 0) throw new RateLimitError(wait);
      }
      if (tenantId !== '') {
        c.set('tenantId', tenantId);
        // Another tenant's data does not exist for this caller: 404, exactly as an unknown tenant.
        if (principal.kind !== 'platform' && principal.tenantId !== tenantId) {
          throw new NotFoundError('tenant', tenantId);
        }
      }
      if (!roleAllows(principal.role, spec.permission)) {
        throw httpError(
          'AUTHORIZATION_ERROR',
          `The ${principal.role} role may not call ${spec.operationId} (it needs "${spec.permission}")`,
          { role: principal.role, permission: spec.permission },
        );
      }
    }
    const query = querySchema === undefined ? {} : parseOrThrow(querySchema, c.req.query(), 'query');
    let raw = '';
    let body: unknown;
    if (spec.body !== undefined) {
      raw = await c.req.text();
      const type = c.req.header('content-type') ?? '';
      const json = /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type);
      if (raw.trim() !== '' && !json) throw new UnsupportedMediaTypeError(type);
      body = parseJson(raw);
      if (spec.idempotency === 'ingest') body = withIngestKey(body, c.req.header('idempotency-key'));
      body = parseOrThrow(spec.body, body, 'request body');
    }
    const ctx = { deps, engine, tenantId, params, query, body, principal, hono: c as unknown as Context };
    if (spec.before !== undefined) await spec.before(ctx);
    const audit = spec.audit;
    const run =
      audit === undefined
        ? () => spec.handler(ctx)
        : () =>
            runAudited(
              audit,
              {
                engine,
                tenantId,
                params,
                body,
                principal,
                method: c.req.method,
                path: spec.path,
                requestId: c.get('requestId') ?? null,
              },
              () => spec.handler(ctx),
            );

    const key =
      spec.idempotency === 'stored' ? parseIdempotencyKey(c.req.header('idempotency-key')) : undefined;
    if (key === undefined) return run();
    const fingerprint = requestFingerprint(c.req.method, c.req.path, raw);
    const purpose = `idempotent-answer:${tenantId}:${key}`;
    const result = await engine.idempotent(tenantId, { key, fingerprint }, async () => {
      const r = await run();
      if (r instanceof Response)
        throw new Error(`${spec.operationId} cannot be idempotent: it answers a Response`);
      if (!spec.secretInAnswer) return r;
      return { status: r.status, body: { sealed: engine.secrets.seal(JSON.stringify(r.body), purpose) } };
    });
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    const answer = spec.secretInAnswer
      ? JSON.parse(engine.secrets.open((result.body as { sealed: string }).sealed, purpose))
      : result.body;
    return { status: result.status, body: answer };
  }

  function reply(c: Context<AppEnv>, r: Reply): Response {
    if (r instanceof Response) return r;
    if (r.status === 204) return c.body(null, 204);
    return c.json(r.body as object, r.status as 200);
  }

  let document: unknown;
  const documentOnce = () => {
    document ??= buildDocument(app);
    return document;
  };

  for (const spec of [...operationRoutes(documentOnce), ...API_ROUTES]) mount(spec);
  docsRoutes(app, logger);
  consoleRoutes(app, logger);
  for (const extension of options.extensions ?? []) {
    extension({
      app,
      deps,
      logger,
      addRoutes: (routes) => {
        for (const spec of routes) mount(spec);
        document = undefined;
      },
    });
  }
  return app;
}

const NO_QUERY = z.strictObject({});

/**
 * The query schema a route is served with. API routes and the operations routes (`/health`,
 * `/metrics`, ...) refuse parameters they do not know (a misspelt filter would otherwise be
 * ignored and answer every row); the `/public/...` callbacks, called by other platforms' gateways
 * and webhooks, tolerate extra parameters.
 */
function queryOf(spec: RouteSpec): z.ZodType | undefined {
  if (spec.permission === 'public' && spec.path.startsWith('/public/')) return spec.query;
  if (spec.query === undefined) return NO_QUERY;
  return spec.query instanceof z.ZodObject ? spec.query.strict() : spec.query;
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    throw new ValidationError('The request body is not valid JSON', [{ path: '(root)', message: reason }]);
  }
}

/**
 * The `Idempotency-Key` header of an ingest fills the event's `idempotency_key`. An event with
 * neither is refused here, saying how to send one: the schema alone would only say that a body
 * field is missing, and callers look for the header.
 */
function withIngestKey(body: unknown, header: string | undefined): unknown {
  const key = parseIdempotencyKey(header);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const given = (body as { idempotency_key?: unknown }).idempotency_key;
  if (key === undefined && given === undefined) {
    const how =
      'send an `Idempotency-Key` header (or `idempotency_key` in the body): a key unique to this event, the same on every retry of it';
    throw new ValidationError(`An event needs an idempotency key: ${how}`, [
      { path: 'idempotency_key', message: `is required: ${how}`, code: 'missing_idempotency_key' },
    ]);
  }
  if (key === undefined) return body;
  if (given !== undefined && given !== key) {
    throw new ValidationError('The Idempotency-Key header and the body’s idempotency_key differ', [
      { path: 'idempotency_key', message: 'differs from the Idempotency-Key header' },
    ]);
  }
  return { ...body, idempotency_key: key };
}
