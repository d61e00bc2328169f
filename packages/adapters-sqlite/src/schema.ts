/**
 * The tables as SQLite stores them, for Kysely. Column names are the domain's field names
 * (snake_case); JSON values are TEXT, booleans INTEGER 0/1, timestamps ISO-8601 TEXT
 * (`YYYY-MM-DDTHH:mm:ss.sssZ`, which sorts and compares correctly as text). `src/mapping/`
 * converts between these rows and the domain types, and nothing else does.
 */

/** JSON text. */
export type JsonText = string;
/** 0 or 1. */
export type Bool = number;
/** ISO-8601 UTC with milliseconds. */
export type Ts = string;

export interface TenantsTable {
  /** The tenant's id (the domain's `Tenant.id`): every table leads with `tenant_id`. */
  tenant_id: string;
  name: string;
  timezone: string;
  settings: JsonText;
  created_at: Ts;
  /** Bumped by triggers on every configuration write (migration 0014); never written by the store. */
  config_version?: number;
}

export interface CustomersTable {
  tenant_id: string;
  id: string;
  phone: string | null;
  external_ref: string | null;
  name: string | null;
  birthday: string | null;
  attributes: JsonText;
  tags: JsonText;
  status: string;
  enrolled_at: Ts;
  last_event_at: Ts | null;
  /** `stats.counts` as JSON. */
  stats_counts: JsonText;
  total_spend: number;
  points_balance: number;
}

export interface EventsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  type: string;
  occurred_at: Ts;
  data: JsonText;
  idempotency_key: string;
  payload_hash: string;
  outcome: JsonText | null;
  created_at: Ts;
}

export interface RulesTable {
  tenant_id: string;
  id: string;
  name: string;
  priority: number;
  active: Bool;
  event_types: JsonText;
  condition: JsonText;
  reward_id: string;
  quantity: JsonText;
  caps: JsonText;
  cooldown: string | null;
  stop_processing: Bool;
  campaign_id: string | null;
  budget_id: string | null;
  valid_from: Ts | null;
  valid_until: Ts | null;
  version: number;
  created_at: Ts;
  updated_at: Ts;
}

export interface RewardsTable {
  tenant_id: string;
  id: string;
  name: string;
  type: string;
  value: number;
  cost: number;
  issue_mode: string;
  validity: string | null;
  reservation_ttl: string;
  points_price: number | null;
  active: Bool;
  created_at: Ts;
  updated_at: Ts;
}

export interface RewardCodesTable {
  tenant_id: string;
  reward_id: string;
  code: string;
  issuance_id: string | null;
  added_at: Ts;
}

export interface IssuancesTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  reward_id: string;
  rule_id: string | null;
  event_id: string | null;
  state: string;
  quantity: number;
  value: number;
  cost: number;
  code: string | null;
  budget_id: string | null;
  budget_period: string | null;
  earned_at: Ts;
  created_at: Ts;
  issued_at: Ts | null;
  expires_at: Ts | null;
  reserve_deadline: Ts | null;
  redeemed_at: Ts | null;
  cancelled_at: Ts | null;
  cancel_reason: string | null;
}

export interface BudgetsTable {
  tenant_id: string;
  id: string;
  name: string;
  unit: string;
  limit: number;
  period: string;
  hard_cap: Bool;
  soft_cap_ratio: number | null;
  active: Bool;
  created_at: Ts;
  updated_at: Ts;
}

export interface BudgetPeriodsTable {
  tenant_id: string;
  budget_id: string;
  period: string;
  limit: number;
  reserved: number;
  utilized: number;
  spent: number;
  threshold_notified: Bool;
  exhausted_notified: Bool;
}

export interface BudgetLedgerTable {
  tenant_id: string;
  id: string;
  budget_id: string;
  period: string;
  issuance_id: string | null;
  kind: string;
  amount: number;
  from: string | null;
  to: string | null;
  at: Ts;
}

export interface PointsLotsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  issuance_id: string | null;
  earned_at: Ts;
  expires_at: Ts | null;
  amount: number;
  remaining: number;
}

export interface PointsLedgerTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  kind: string;
  amount: number;
  lot_id: string | null;
  issuance_id: string | null;
  at: Ts;
  /** Migration 0010: why, and who (manual adjustments, clawbacks); null on older rows. */
  reason: string | null;
  actor: string | null;
}

export interface CampaignsTable {
  tenant_id: string;
  id: string;
  name: string;
  starts_at: Ts | null;
  ends_at: Ts | null;
  status: string;
  budget_id: string | null;
  created_at: Ts;
  updated_at: Ts;
}

export interface CapCountersTable {
  tenant_id: string;
  rule_id: string;
  cap_key: string;
  window_key: string;
  count: number;
}

export interface WebhookSubscriptionsTable {
  tenant_id: string;
  id: string;
  url: string;
  events: JsonText;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Ts | null;
  active: Bool;
  disabled_reason: string | null;
  failure_count: number;
  created_at: Ts;
  updated_at: Ts;
}

export interface OutboxTable {
  tenant_id: string;
  id: string;
  type: string;
  data: JsonText;
  created_at: Ts;
  /** Null until the worker fans the event out to deliveries (written by `markDispatched` only). */
  dispatched_at?: Ts | null;
}

export interface WebhookDeliveriesTable {
  tenant_id: string;
  id: string;
  subscription_id: string;
  outbox_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: Ts | null;
  locked_until: Ts | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Ts;
  updated_at: Ts;
}

export interface WebhookAttemptsTable {
  tenant_id: string;
  id: string;
  delivery_id: string;
  at: Ts;
  status_code: number | null;
  duration_ms: number;
  response_excerpt: string;
  error: string | null;
}

export interface ApiKeysTable {
  tenant_id: string;
  id: string;
  name: string;
  role: string;
  key_hash: string;
  prefix: string;
  created_at: Ts;
  revoked_at: Ts | null;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  fingerprint: string;
  status: number;
  body: JsonText;
  created_at: Ts;
}

export interface UssdSettingsTable {
  tenant_id: string;
  service_code: string;
  language: string;
  strings: JsonText;
  allow_join: Bool;
  created_at: Ts;
  updated_at: Ts;
  callback_secret_hash: string | null;
  allowed_ips: JsonText;
}

export interface WhatsAppSettingsTable {
  tenant_id: string;
  phone_number_id: string;
  display_phone_number: string;
  access_token_encrypted: string;
  app_secret_encrypted: string;
  verify_token: string;
  enrollment_code: string;
  language: string;
  strings: JsonText;
  template_name: string | null;
  template_language: string | null;
  created_at: Ts;
  updated_at: Ts;
}

export interface WhatsAppMessagesTable {
  tenant_id: string;
  id: string;
  direction: string;
  wa_message_id: string | null;
  phone: string;
  kind: string;
  body: JsonText;
  status: string;
  error: string | null;
  attempts: number;
  next_attempt_at: Ts | null;
  locked_until: Ts | null;
  created_at: Ts;
  updated_at: Ts;
}

export interface WhatsAppConversationsTable {
  tenant_id: string;
  phone: string;
  last_inbound_at: Ts | null;
  /** The pending confirmation as JSON, or null. */
  pending: JsonText | null;
  updated_at: Ts;
}

/** Migration 0010: what each refund event reversed. */
export interface RefundsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  original_event_id: string;
  amount: number | null;
  full: Bool;
  points_clawed: number;
  points_shortfall: number;
  points: JsonText;
  cancelled_issuance_ids: JsonText;
  redeemed_issuance_ids: JsonText;
  created_at: Ts;
}

/** Migration 0012: the audit trail. */
export interface AuditLogTable {
  tenant_id: string;
  id: string;
  at: Ts;
  actor_kind: string;
  actor_id: string | null;
  actor_role: string;
  method: string;
  route: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before_state: JsonText;
  after_state: JsonText;
  request_id: string | null;
}

/** Migration 0009: referral codes and attributions. */
export interface ReferralCodesTable {
  tenant_id: string;
  customer_id: string;
  code: string;
  /** Attributions of this customer in status pending or qualified (the cap counter). */
  referred: number;
  created_at: Ts;
}

export interface ReferralsTable {
  tenant_id: string;
  referee_id: string;
  referrer_id: string;
  code: string;
  status: string;
  attributed_at: Ts;
  qualified_at: Ts | null;
  qualifying_event_id: string | null;
  rejected_at: Ts | null;
  rejected_reason: string | null;
}

/** The database as Kysely sees it (`SqliteStore.db`). */
export interface SqliteDatabase {
  tenants: TenantsTable;
  customers: CustomersTable;
  events: EventsTable;
  rules: RulesTable;
  rewards: RewardsTable;
  reward_codes: RewardCodesTable;
  issuances: IssuancesTable;
  budgets: BudgetsTable;
  budget_periods: BudgetPeriodsTable;
  budget_ledger: BudgetLedgerTable;
  points_lots: PointsLotsTable;
  points_ledger: PointsLedgerTable;
  refunds: RefundsTable;
  campaigns: CampaignsTable;
  cap_counters: CapCountersTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  outbox: OutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  ussd_settings: UssdSettingsTable;
  whatsapp_settings: WhatsAppSettingsTable;
  whatsapp_messages: WhatsAppMessagesTable;
  whatsapp_conversations: WhatsAppConversationsTable;
  audit_log: AuditLogTable;
  referral_codes: ReferralCodesTable;
  referrals: ReferralsTable;
}

export type TableName = keyof SqliteDatabase;
export type Row<T extends TableName> = SqliteDatabase[T];
