import type {
  ApiKey,
  ApiKeyRole,
  Budget,
  BudgetLedgerEntry,
  BudgetPeriod,
  BudgetPeriodUnit,
  Campaign,
  CampaignStatus,
  Customer,
  CustomerStatus,
  EventOutcome,
  IdempotencyRecord,
  Issuance,
  IssuanceState,
  IssueMode,
  LoyaltyEvent,
  OutboxEvent,
  OutboxEventType,
  PointsLedgerEntry,
  PointsLedgerKind,
  PointsLot,
  Reward,
  RewardType,
  Rule,
  Tenant,
  TenantSettings,
  UssdSettings,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookSubscription,
  WhatsAppConversation,
  WhatsAppDirection,
  WhatsAppMessage,
  WhatsAppMessageKind,
  WhatsAppMessageStatus,
  WhatsAppSettings,
} from '@laas/core';
import type { Insertable, Selectable } from 'kysely';
import type { PgDatabase } from './schema.js';

/*
 * The one place where PostgreSQL values become domain values and back. Helpers first, then one
 * pair of mappers per table.
 */

type Row<T extends keyof PgDatabase> = Selectable<PgDatabase[T]>;
type NewRow<T extends keyof PgDatabase> = Insertable<PgDatabase[T]>;

/** `timestamptz` → ISO-8601 UTC with milliseconds. */
export function ts(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
export function tsOrNull(value: Date | string | null): string | null {
  return value === null ? null : ts(value);
}
/** `bigint` (a decimal string from node-postgres) → number. Amounts stay within 2^53. */
export function int(value: string | number | bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of range: ${String(value)}`);
  return n;
}
export function intOrNull(value: string | number | null): number | null {
  return value === null ? null : int(value);
}
/** A value for a `jsonb` parameter: always a JSON string. */
export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}
export function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

// ---- tenants -----------------------------------------------------------------------------------

export function toTenant(r: Row<'tenants'>): Tenant {
  return {
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    settings: r.settings as TenantSettings,
    created_at: ts(r.created_at),
  };
}
export function fromTenant(t: Tenant): NewRow<'tenants'> {
  return {
    id: t.id,
    name: t.name,
    timezone: t.timezone,
    settings: json(t.settings),
    created_at: t.created_at,
  };
}

// ---- customers ---------------------------------------------------------------------------------

export function toCustomer(r: Row<'customers'>): Customer {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    phone: r.phone,
    external_ref: r.external_ref,
    name: r.name,
    birthday: r.birthday,
    attributes: r.attributes as Record<string, unknown>,
    tags: r.tags as string[],
    status: r.status as CustomerStatus,
    enrolled_at: ts(r.enrolled_at),
    last_event_at: tsOrNull(r.last_event_at),
    stats: {
      counts: r.stats_counts as Record<string, number>,
      total_spend: int(r.total_spend),
      points_balance: int(r.points_balance),
    },
  };
}
/** The profile columns (what `updateProfile` writes). */
export function customerProfile(c: Customer) {
  return {
    phone: c.phone,
    external_ref: c.external_ref,
    name: c.name,
    birthday: c.birthday,
    attributes: json(c.attributes),
    tags: json(c.tags),
    status: c.status,
  };
}
export function fromCustomer(c: Customer): NewRow<'customers'> {
  return {
    tenant_id: c.tenant_id,
    id: c.id,
    ...customerProfile(c),
    enrolled_at: c.enrolled_at,
    last_event_at: c.last_event_at,
    stats_counts: json(c.stats.counts),
    total_spend: c.stats.total_spend,
    points_balance: c.stats.points_balance,
  };
}

// ---- events ------------------------------------------------------------------------------------

export function toEvent(r: Row<'events'>): LoyaltyEvent {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    type: r.type,
    occurred_at: ts(r.occurred_at),
    data: r.data as Record<string, unknown>,
    idempotency_key: r.idempotency_key,
    payload_hash: r.payload_hash,
    outcome: r.outcome as EventOutcome | null,
    created_at: ts(r.created_at),
  };
}
export function fromEvent(e: LoyaltyEvent): NewRow<'events'> {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    customer_id: e.customer_id,
    type: e.type,
    occurred_at: e.occurred_at,
    data: json(e.data),
    idempotency_key: e.idempotency_key,
    payload_hash: e.payload_hash,
    outcome: jsonOrNull(e.outcome),
    created_at: e.created_at,
  };
}

// ---- rules -------------------------------------------------------------------------------------

export function toRule(r: Row<'rules'>): Rule {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    priority: r.priority,
    active: r.active,
    event_types: r.event_types as string[],
    condition: r.condition,
    reward_id: r.reward_id,
    quantity: r.quantity,
    caps: r.caps as Rule['caps'],
    cooldown: r.cooldown,
    stop_processing: r.stop_processing,
    campaign_id: r.campaign_id,
    budget_id: r.budget_id,
    valid_from: tsOrNull(r.valid_from),
    valid_until: tsOrNull(r.valid_until),
    version: r.version,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromRule(r: Rule): NewRow<'rules'> {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    name: r.name,
    priority: r.priority,
    active: r.active,
    event_types: json(r.event_types),
    condition: json(r.condition),
    reward_id: r.reward_id,
    quantity: json(r.quantity),
    caps: json(r.caps),
    cooldown: r.cooldown,
    stop_processing: r.stop_processing,
    campaign_id: r.campaign_id,
    budget_id: r.budget_id,
    valid_from: r.valid_from,
    valid_until: r.valid_until,
    version: r.version,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

// ---- rewards -----------------------------------------------------------------------------------

export function toReward(r: Row<'rewards'>): Reward {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    type: r.type as RewardType,
    value: int(r.value),
    cost: int(r.cost),
    issue_mode: r.issue_mode as IssueMode,
    validity: r.validity,
    reservation_ttl: r.reservation_ttl,
    points_price: intOrNull(r.points_price),
    active: r.active,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromReward(r: Reward): NewRow<'rewards'> {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    name: r.name,
    type: r.type,
    value: r.value,
    cost: r.cost,
    issue_mode: r.issue_mode,
    validity: r.validity,
    reservation_ttl: r.reservation_ttl,
    points_price: r.points_price,
    active: r.active,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

// ---- issuances ---------------------------------------------------------------------------------

export function toIssuance(r: Row<'issuances'>): Issuance {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    reward_id: r.reward_id,
    rule_id: r.rule_id,
    event_id: r.event_id,
    state: r.state as IssuanceState,
    quantity: int(r.quantity),
    value: int(r.value),
    cost: int(r.cost),
    code: r.code,
    budget_id: r.budget_id,
    budget_period: r.budget_period,
    earned_at: ts(r.earned_at),
    created_at: ts(r.created_at),
    issued_at: tsOrNull(r.issued_at),
    expires_at: tsOrNull(r.expires_at),
    reserve_deadline: tsOrNull(r.reserve_deadline),
    redeemed_at: tsOrNull(r.redeemed_at),
    cancelled_at: tsOrNull(r.cancelled_at),
    cancel_reason: r.cancel_reason,
  };
}
export function fromIssuance(i: Issuance): NewRow<'issuances'> {
  return {
    tenant_id: i.tenant_id,
    id: i.id,
    customer_id: i.customer_id,
    reward_id: i.reward_id,
    rule_id: i.rule_id,
    event_id: i.event_id,
    state: i.state,
    quantity: i.quantity,
    value: i.value,
    cost: i.cost,
    code: i.code,
    budget_id: i.budget_id,
    budget_period: i.budget_period,
    earned_at: i.earned_at,
    created_at: i.created_at,
    issued_at: i.issued_at,
    expires_at: i.expires_at,
    reserve_deadline: i.reserve_deadline,
    redeemed_at: i.redeemed_at,
    cancelled_at: i.cancelled_at,
    cancel_reason: i.cancel_reason,
  };
}

// ---- budgets -----------------------------------------------------------------------------------

export function toBudget(r: Row<'budgets'>): Budget {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    unit: r.unit,
    limit: int(r.limit),
    period: r.period as BudgetPeriodUnit,
    hard_cap: r.hard_cap,
    soft_cap_ratio: r.soft_cap_ratio,
    active: r.active,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromBudget(b: Budget): NewRow<'budgets'> {
  return {
    tenant_id: b.tenant_id,
    id: b.id,
    name: b.name,
    unit: b.unit,
    limit: b.limit,
    period: b.period,
    hard_cap: b.hard_cap,
    soft_cap_ratio: b.soft_cap_ratio,
    active: b.active,
    created_at: b.created_at,
    updated_at: b.updated_at,
  };
}
export function toBudgetPeriod(r: Row<'budget_periods'>): BudgetPeriod {
  return {
    budget_id: r.budget_id,
    period: r.period,
    limit: int(r.limit),
    reserved: int(r.reserved),
    utilized: int(r.utilized),
    spent: int(r.spent),
    threshold_notified: r.threshold_notified,
    exhausted_notified: r.exhausted_notified,
  };
}
export function toBudgetLedgerEntry(r: Row<'budget_ledger'>): BudgetLedgerEntry {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    budget_id: r.budget_id,
    period: r.period,
    issuance_id: r.issuance_id,
    kind: r.kind as BudgetLedgerEntry['kind'],
    amount: int(r.amount),
    from: r.from as BudgetLedgerEntry['from'],
    to: r.to as BudgetLedgerEntry['to'],
    at: ts(r.at),
  };
}
export function fromBudgetLedgerEntry(e: BudgetLedgerEntry): NewRow<'budget_ledger'> {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    budget_id: e.budget_id,
    period: e.period,
    issuance_id: e.issuance_id,
    kind: e.kind,
    amount: e.amount,
    from: e.from,
    to: e.to,
    at: e.at,
  };
}

// ---- points ------------------------------------------------------------------------------------

export function toPointsLot(r: Row<'points_lots'>): PointsLot {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    issuance_id: r.issuance_id,
    earned_at: ts(r.earned_at),
    expires_at: tsOrNull(r.expires_at),
    amount: int(r.amount),
    remaining: int(r.remaining),
  };
}
export function fromPointsLot(l: PointsLot): NewRow<'points_lots'> {
  return {
    tenant_id: l.tenant_id,
    id: l.id,
    customer_id: l.customer_id,
    issuance_id: l.issuance_id,
    earned_at: l.earned_at,
    expires_at: l.expires_at,
    amount: l.amount,
    remaining: l.remaining,
  };
}
export function toPointsLedgerEntry(r: Row<'points_ledger'>): PointsLedgerEntry {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    kind: r.kind as PointsLedgerKind,
    amount: int(r.amount),
    lot_id: r.lot_id,
    issuance_id: r.issuance_id,
    at: ts(r.at),
    reason: r.reason,
    actor: r.actor,
  };
}
export function fromPointsLedgerEntry(e: PointsLedgerEntry): NewRow<'points_ledger'> {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    customer_id: e.customer_id,
    kind: e.kind,
    amount: e.amount,
    lot_id: e.lot_id,
    issuance_id: e.issuance_id,
    at: e.at,
    reason: e.reason ?? null,
    actor: e.actor ?? null,
  };
}

// ---- campaigns ---------------------------------------------------------------------------------

export function toCampaign(r: Row<'campaigns'>): Campaign {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    starts_at: tsOrNull(r.starts_at),
    ends_at: tsOrNull(r.ends_at),
    status: r.status as CampaignStatus,
    budget_id: r.budget_id,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromCampaign(c: Campaign): NewRow<'campaigns'> {
  return {
    tenant_id: c.tenant_id,
    id: c.id,
    name: c.name,
    starts_at: c.starts_at,
    ends_at: c.ends_at,
    status: c.status,
    budget_id: c.budget_id,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

// ---- webhooks, outbox --------------------------------------------------------------------------

export function toWebhook(r: Row<'webhook_subscriptions'>): WebhookSubscription {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    url: r.url,
    events: r.events as string[],
    secret: r.secret,
    previous_secret: r.previous_secret,
    previous_secret_expires_at: tsOrNull(r.previous_secret_expires_at),
    active: r.active,
    disabled_reason: r.disabled_reason,
    failure_count: r.failure_count,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromWebhook(w: WebhookSubscription): NewRow<'webhook_subscriptions'> {
  return {
    tenant_id: w.tenant_id,
    id: w.id,
    url: w.url,
    events: json(w.events),
    secret: w.secret,
    previous_secret: w.previous_secret ?? null,
    previous_secret_expires_at: w.previous_secret_expires_at ?? null,
    active: w.active,
    disabled_reason: w.disabled_reason,
    failure_count: w.failure_count ?? 0,
    created_at: w.created_at,
    updated_at: w.updated_at,
  };
}
export function toOutboxEvent(r: Row<'outbox'>): OutboxEvent {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    type: r.type as OutboxEventType,
    data: r.data as Record<string, unknown>,
    created_at: ts(r.created_at),
  };
}
export function fromOutboxEvent(e: OutboxEvent): NewRow<'outbox'> {
  return { tenant_id: e.tenant_id, id: e.id, type: e.type, data: json(e.data), created_at: e.created_at };
}

export function toDelivery(r: Row<'webhook_deliveries'>): WebhookDelivery {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    subscription_id: r.subscription_id,
    outbox_id: r.outbox_id,
    event_type: r.event_type,
    payload: r.payload,
    status: r.status as WebhookDeliveryStatus,
    attempts: r.attempts,
    next_attempt_at: tsOrNull(r.next_attempt_at),
    locked_until: tsOrNull(r.locked_until),
    last_status: r.last_status,
    last_error: r.last_error,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromDelivery(d: WebhookDelivery): NewRow<'webhook_deliveries'> {
  return {
    tenant_id: d.tenant_id,
    id: d.id,
    subscription_id: d.subscription_id,
    outbox_id: d.outbox_id,
    event_type: d.event_type,
    payload: d.payload,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.next_attempt_at,
    locked_until: d.locked_until,
    last_status: d.last_status,
    last_error: d.last_error,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}
export function toAttempt(r: Row<'webhook_attempts'>): WebhookAttempt {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    delivery_id: r.delivery_id,
    at: ts(r.at),
    status_code: r.status_code,
    duration_ms: r.duration_ms,
    response_excerpt: r.response_excerpt,
    error: r.error,
  };
}
export function fromAttempt(a: WebhookAttempt): NewRow<'webhook_attempts'> {
  return {
    tenant_id: a.tenant_id,
    id: a.id,
    delivery_id: a.delivery_id,
    at: a.at,
    status_code: a.status_code,
    duration_ms: a.duration_ms,
    response_excerpt: a.response_excerpt,
    error: a.error,
  };
}

// ---- api keys, idempotency ---------------------------------------------------------------------

export function toApiKey(r: Row<'api_keys'>): ApiKey {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    role: r.role as ApiKeyRole,
    key_hash: r.key_hash,
    prefix: r.prefix,
    created_at: ts(r.created_at),
    revoked_at: tsOrNull(r.revoked_at),
  };
}
export function fromApiKey(k: ApiKey): NewRow<'api_keys'> {
  return {
    tenant_id: k.tenant_id,
    id: k.id,
    name: k.name,
    role: k.role,
    key_hash: k.key_hash,
    prefix: k.prefix,
    created_at: k.created_at,
    revoked_at: k.revoked_at,
  };
}
export function toIdempotencyRecord(r: Row<'idempotency_keys'>): IdempotencyRecord {
  return {
    tenant_id: r.tenant_id,
    key: r.key,
    fingerprint: r.fingerprint,
    status: r.status,
    body: r.body,
    created_at: ts(r.created_at),
  };
}
export function fromIdempotencyRecord(r: IdempotencyRecord): NewRow<'idempotency_keys'> {
  return {
    tenant_id: r.tenant_id,
    key: r.key,
    fingerprint: r.fingerprint,
    status: r.status,
    body: jsonOrNull(r.body),
    created_at: r.created_at,
  };
}

// ---- ussd --------------------------------------------------------------------------------------

export function toUssdSettings(r: Row<'ussd_settings'>): UssdSettings {
  return {
    tenant_id: r.tenant_id,
    service_code: r.service_code,
    language: r.language,
    strings: r.strings as Record<string, string>,
    allow_join: r.allow_join,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
    callback_secret_hash: r.callback_secret_hash ?? null,
    allowed_ips: (r.allowed_ips as string[] | null) ?? [],
  };
}
export function fromUssdSettings(u: UssdSettings): NewRow<'ussd_settings'> {
  return {
    tenant_id: u.tenant_id,
    service_code: u.service_code,
    language: u.language,
    strings: json(u.strings ?? {}),
    allow_join: u.allow_join,
    created_at: u.created_at,
    updated_at: u.updated_at,
    callback_secret_hash: u.callback_secret_hash ?? null,
    allowed_ips: json(u.allowed_ips ?? []),
  };
}

// Row types for raw `sql<...>` queries.
export type CustomerRow = Row<'customers'>;
export type IssuanceRow = Row<'issuances'>;
export type BudgetPeriodRow = Row<'budget_periods'>;
export type PointsLotRow = Row<'points_lots'>;
export type TenantRow = Row<'tenants'>;
export type ApiKeyRow = Row<'api_keys'>;
export type OutboxRow = Row<'outbox'>;
export type DeliveryRow = Row<'webhook_deliveries'>;
export type UssdSettingsRow = Row<'ussd_settings'>;

// ---- whatsapp ----------------------------------------------------------------------------------

export function toWhatsAppSettings(r: Row<'whatsapp_settings'>): WhatsAppSettings {
  return {
    tenant_id: r.tenant_id,
    phone_number_id: r.phone_number_id,
    display_phone_number: r.display_phone_number,
    access_token_encrypted: r.access_token_encrypted,
    app_secret_encrypted: r.app_secret_encrypted,
    verify_token: r.verify_token,
    enrollment_code: r.enrollment_code,
    language: r.language,
    strings: r.strings as Record<string, string>,
    template_name: r.template_name,
    template_language: r.template_language,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromWhatsAppSettings(w: WhatsAppSettings): NewRow<'whatsapp_settings'> {
  return {
    tenant_id: w.tenant_id,
    phone_number_id: w.phone_number_id,
    display_phone_number: w.display_phone_number,
    access_token_encrypted: w.access_token_encrypted,
    app_secret_encrypted: w.app_secret_encrypted,
    verify_token: w.verify_token,
    enrollment_code: w.enrollment_code,
    language: w.language,
    strings: json(w.strings ?? {}),
    template_name: w.template_name ?? null,
    template_language: w.template_language ?? null,
    created_at: ts(w.created_at),
    updated_at: ts(w.updated_at),
  };
}

export function toWhatsAppMessage(r: Row<'whatsapp_messages'>): WhatsAppMessage {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    direction: r.direction as WhatsAppDirection,
    wa_message_id: r.wa_message_id,
    phone: r.phone,
    kind: r.kind as WhatsAppMessageKind,
    body: r.body,
    status: r.status as WhatsAppMessageStatus,
    error: r.error,
    attempts: r.attempts,
    next_attempt_at: tsOrNull(r.next_attempt_at),
    locked_until: tsOrNull(r.locked_until),
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
  };
}
export function fromWhatsAppMessage(w: WhatsAppMessage): NewRow<'whatsapp_messages'> {
  return {
    tenant_id: w.tenant_id,
    id: w.id,
    direction: w.direction,
    wa_message_id: w.wa_message_id ?? null,
    phone: w.phone,
    kind: w.kind,
    body: json(w.body),
    status: w.status,
    error: w.error ?? null,
    attempts: w.attempts,
    next_attempt_at: w.next_attempt_at == null ? null : ts(w.next_attempt_at),
    locked_until: w.locked_until == null ? null : ts(w.locked_until),
    created_at: ts(w.created_at),
    updated_at: ts(w.updated_at),
  };
}

export function toWhatsAppConversation(r: Row<'whatsapp_conversations'>): WhatsAppConversation {
  return {
    tenant_id: r.tenant_id,
    phone: r.phone,
    last_inbound_at: tsOrNull(r.last_inbound_at),
    pending: (r.pending ?? null) as WhatsAppConversation['pending'],
    updated_at: ts(r.updated_at),
  };
}
export function fromWhatsAppConversation(c: WhatsAppConversation): NewRow<'whatsapp_conversations'> {
  return {
    tenant_id: c.tenant_id,
    phone: c.phone,
    last_inbound_at: c.last_inbound_at == null ? null : ts(c.last_inbound_at),
    pending: c.pending == null ? null : json({ ...c.pending, expires_at: ts(c.pending.expires_at) }),
    updated_at: ts(c.updated_at),
  };
}

export type WhatsAppSettingsRow = Row<'whatsapp_settings'>;
export type WhatsAppMessageRow = Row<'whatsapp_messages'>;
