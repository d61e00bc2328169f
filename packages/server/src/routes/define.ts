import type { Engine, Store, StoredResponse } from '@laas/core';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { RouteAudit } from '../audit.js';
import type { Authenticator, Principal } from '../auth.js';
import type { WhatsAppChannel } from '../channels/whatsapp/service.js';
import type { ResolvedConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Permission } from '../permissions.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What every handler can reach. */
export interface ServerDeps {
  readonly engine: Engine;
  readonly store: Store;
  readonly config: ResolvedConfig;
  readonly metrics: Metrics;
  readonly auth: Authenticator;
  readonly logger: Logger;
  /** The WhatsApp channel of this app (webhook processing, immediate sends). */
  readonly whatsapp: WhatsAppChannel;
}

export interface RouteContext<Q, B> {
  readonly deps: ServerDeps;
  readonly engine: Engine;
  /** The `:tid` of a tenant route ('' elsewhere). */
  readonly tenantId: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  /** The JSON body, parsed and validated with the route's `body` schema. */
  readonly body: B;
  /** Null on public routes. */
  readonly principal: Principal | null;
  readonly hono: Context;
}

/** A handler answers a status and a JSON body (null for 204), or a ready `Response`. */
export type Reply = StoredResponse | Response;

/**
 * One route: how it is served AND how it is documented. The OpenAPI document and the router are
 * both built from the list of these, so a served route cannot be missing from the document.
 */
export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  operationId: string;
  method: HttpMethod;
  /** Hono syntax: `/v1/tenants/:tid/customers/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  permission: Permission;
  query?: Q;
  body?: B;
  /**
   * `stored`: an `Idempotency-Key` header makes the request replayable (engine.idempotent);
   * `ingest`: the header fills the body's `idempotency_key` (events carry their own key).
   */
  idempotency?: 'stored' | 'ingest';
  /**
   * The answer carries a secret (a webhook's signing secret): its stored idempotent copy is sealed
   * with the engine's secret codec, never kept in clear, and opened again on a replay.
   */
  secretInAnswer?: true;
  /**
   * Records each successful call in the audit trail, in the transaction of the change, with the
   * entity before and after (secrets redacted): `audit: audited('rule.update', 'rule')`. See
   * `audit.ts` and docs/audit.md.
   */
  audit?: RouteAudit;
  response: {
    status: number;
    description: string;
    /** JSON body schema; omitted for 204 or non-JSON answers. */
    schema?: z.ZodType;
    /** Non-JSON answers (`/metrics`). */
    contentType?: string;
    /** Other success statuses with the same body (an ingest's replay answers 200, not 201). */
    also?: ReadonlyArray<{ status: number; description: string }>;
  };
  /** Further answers worth documenting beyond the common errors (e.g. 409 on a transition). */
  errors?: number[];
  /**
   * Checks that may wait on the outside world (a DNS lookup), run before the handler and outside
   * its transaction (an idempotent request runs its handler inside one), so that no database lock
   * or connection is held while they wait. Throws to refuse the request.
   */
  before?(ctx: RouteContext<z.output<Q>, z.output<B>>): Promise<void>;
  handler(ctx: RouteContext<z.output<Q>, z.output<B>>): Promise<Reply>;
}

/** Keeps each route's query and body types attached to its handler. */
export function route<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(
  spec: RouteSpec<Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

export const ok = (body: unknown, status = 200): StoredResponse => ({ status, body });
export const noContent = (): StoredResponse => ({ status: 204, body: null });

/** Every tenant route lives under this prefix. */
export const T = '/v1/tenants/:tid';
