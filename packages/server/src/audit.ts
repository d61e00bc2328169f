import {
  type AuditActor,
  type AuditEntry,
  type Engine,
  newId,
  redactForAudit,
  type StoredResponse,
  type Tx,
} from '@laas/core';
import type { Principal } from './auth.js';

/** The entities the audit trail knows how to read before and after a change. */
const LOADERS = {
  tenant: (tx) => tx.tenants.get(),
  customer: (tx, id) => tx.customers.get(id),
  rule: (tx, id) => tx.rules.get(id),
  reward: (tx, id) => tx.rewards.get(id),
  /** A code upload: the pool's counts (the codes themselves are vouchers: never logged). */
  reward_codes: (tx, id) => tx.codes.counts(id),
  /** The budget with its periods: a top-up or a new limit changes the periods' limits. */
  budget: async (tx, id) => {
    const budget = await tx.budgets.get(id);
    return budget === null ? null : { ...budget, periods: await tx.budgets.listPeriods(id) };
  },
  campaign: (tx, id) => tx.campaigns.get(id),
  webhook: (tx, id) => tx.webhooks.get(id),
  api_key: (tx, id) => tx.apiKeys.get(id),
  issuance: (tx, id) => tx.issuances.get(id),
  /** A manual points adjustment: the customer's balance before and after (the ledger row has the reason). */
  points_balance: async (tx, id) => {
    const customer = await tx.customers.get(id);
    return customer === null ? null : { customer_id: id, balance: customer.stats.points_balance };
  },
  whatsapp_settings: (tx) => tx.whatsapp.getSettings(),
  tier_programme: (tx) => tx.tiers.getProgramme(),
  shared_merchant: (tx) => tx.sharedChannels.getMerchant(),
  ussd_settings: (tx) => tx.ussd.getSettings(),
} satisfies Record<string, (tx: Tx, id: string) => Promise<unknown>>;

export type AuditEntityType = keyof typeof LOADERS;

/**
 * Where the audited entity's id comes from: the route's `:id` (default), the answer's `id` (a
 * create: nothing existed before), the tenant (the tenant and its channel settings), or a lookup
 * made in the change's transaction before the handler runs (redeem by code).
 */
export type AuditEntityId =
  | 'param'
  | 'answer'
  | 'tenant'
  | ((
      input: { tenantId: string; params: Readonly<Record<string, string>>; body: unknown },
      tx: Tx,
    ) => Promise<string | null>);

/** A route's audit declaration (`RouteSpec.audit`). */
export interface RouteAudit {
  /** `<entity>.<verb>`, e.g. `rule.update`. */
  action: string;
  entity: AuditEntityType;
  id: AuditEntityId;
}

/**
 * Declares a route audited: one line in the route's spec, e.g.
 * `audit: audited('rule.update', 'rule')` (the entity id is the route's `:id`), or
 * `audit: audited('rule.create', 'rule', 'answer')` for a create.
 */
export function audited(action: string, entity: AuditEntityType, id: AuditEntityId = 'param'): RouteAudit {
  return { action, entity, id };
}

/** The actor of a request as the audit trail names it. */
export function actorOf(principal: Principal | null): AuditActor {
  if (principal === null) return { kind: 'system', id: null, role: 'system' };
  if (principal.kind === 'api-key') return { kind: 'api_key', id: principal.keyId, role: principal.role };
  if (principal.kind === 'jwt') return { kind: 'jwt', id: principal.subject, role: principal.role };
  return { kind: 'platform', id: null, role: 'platform' };
}

function idInAnswer(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as { id?: unknown; api_key?: { id?: unknown } };
  if (typeof record.id === 'string') return record.id;
  if (typeof record.api_key?.id === 'string') return record.api_key.id;
  return null;
}

export interface AuditedRequest {
  engine: Engine;
  tenantId: string;
  params: Readonly<Record<string, string>>;
  body: unknown;
  principal: Principal | null;
  method: string;
  /** The route's path template. */
  path: string;
  requestId: string | null;
}

/**
 * Runs `handler` and records it in the audit trail, in ONE transaction: `engine.transaction`
 * opens it (or joins the one `engine.idempotent` opened around this call), so the engine calls the
 * handler makes, the entity read before and after, and the audit row commit or roll back together.
 * A handler that throws (a 409, a 422) rolls everything back and leaves no row; a row never exists
 * without its change. This is why the server records (not the engine): only the server knows the
 * acting key and the route, and wrapping the handler needs no change to any engine operation.
 */
export function runAudited<R extends StoredResponse | Response>(
  audit: RouteAudit,
  request: AuditedRequest,
  handler: () => Promise<R>,
): Promise<R> {
  const { engine, tenantId } = request;
  const load = LOADERS[audit.entity] as (tx: Tx, id: string) => Promise<unknown>;
  return engine.transaction(tenantId, async (tx) => {
    let entityId: string | null = null;
    if (audit.id === 'param') entityId = request.params.id ?? null;
    else if (audit.id === 'tenant') entityId = tenantId;
    else if (typeof audit.id === 'function') entityId = await audit.id(request, tx);
    const before = entityId === null ? null : await load(tx, entityId);
    const reply = await handler();
    if (reply instanceof Response || reply.status >= 400) return reply;
    if (audit.id === 'answer') entityId = idInAnswer(reply.body);
    const after = entityId === null ? null : await load(tx, entityId);
    const entry: AuditEntry = {
      id: newId(),
      tenant_id: tenantId,
      at: new Date().toISOString(),
      actor: actorOf(request.principal),
      route: { method: request.method.toUpperCase(), path: request.path },
      action: audit.action,
      entity_type: audit.entity,
      entity_id: entityId,
      before: redactForAudit(audit.entity, before ?? null),
      after: redactForAudit(audit.entity, after ?? null),
      request_id: request.requestId,
    };
    await tx.audit.append(entry);
    return reply;
  });
}

/** The issuance a redeem-by-code names (`body.code`), read before the redemption. */
export const issuanceByCode: AuditEntityId = async ({ body }, tx) => {
  const code = (body as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return null;
  return (await tx.issuances.getByCode(code))?.id ?? null;
};
