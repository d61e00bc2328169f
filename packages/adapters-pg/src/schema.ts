import type { ColumnType } from 'kysely';

/**
 * The tables as PostgreSQL stores them, for Kysely. Column names are the domain's field names
 * (snake_case). What node-postgres hands back, and what it is given:
 *
 * - `timestamptz` is read as a `Date`, written as an ISO-8601 string;
 * - `bigint` is read as a decimal string (node-postgres' default: no global type parser is set,
 *   so a pool the user passes in keeps its own behaviour), written as a number;
 * - `jsonb` (and `json`) is read parsed, written as a JSON string (`JSON.stringify`: node-postgres
 *   would turn a JS array into a PostgreSQL array otherwise). `events.outcome` and
 *   `idempotency_keys.body` are `json`, which keeps key order, so replays return the same bytes.
 *
 * `src/mapping.ts` converts between these rows and the domain types, and nothing else does.
 */
export type Timestamptz = ColumnType<Date, string, string>;
export type NullableTimestamptz = ColumnType<Date | null, string | null, string | null>;
export type Int8 = ColumnType<string, number, number>;
export type NullableInt8 = ColumnType<string | null, number | null, number | null>;
/** A jsonb column whose parsed value is `T`; written as `JSON.stringify(value)`. */
export type Jsonb<T> = ColumnType<T, string, string>;
export type NullableJsonb<T> = ColumnType<T | null, string | null, string | null>;

export interface TenantsTable {
  id: string;
  name: string;
  timezone: string;
  settings: Jsonb<unknown>;
  created_at: Timestamptz;
  /** Bumped by triggers on every configuration write (migration 0014); never written by the store. */
  config_version: ColumnType<string, never, never>;
}

export interface CustomersTable {
  tenant_id: string;
  id: string;
  phone: string | null;
  external_ref: string | null;
  name: string | null;
  birthday: string | null;
  attributes: Jsonb<unknown>;
  tags: Jsonb<unknown>;
  status: string;
  enrolled_at: Timestamptz;
  last_event_at: NullableTimestamptz;
  /** `stats.counts`. */
  stats_counts: Jsonb<unknown>;
  total_spend: Int8;
  points_balance: Int8;
}

export interface EventsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  type: string;
  occurred_at: Timestamptz;
  data: Jsonb<unknown>;
  idempotency_key: string;
  payload_hash: string;
  outcome: NullableJsonb<unknown>;
  created_at: Timestamptz;
}

export interface RulesTable {
  tenant_id: string;
  id: string;
  name: string;
  priority: number;
  active: boolean;
  event_types: Jsonb<unknown>;
  condition: Jsonb<unknown>;
  reward_id: string;
  quantity: Jsonb<unknown>;
  caps: Jsonb<unknown>;
  cooldown: string | null;
  stop_processing: boolean;
  campaign_id: string | null;
  budget_id: string | null;
  valid_from: NullableTimestamptz;
  valid_until: NullableTimestamptz;
  version: number;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface RewardsTable {
  tenant_id: string;
  id: string;
  name: string;
  type: string;
  value: Int8;
  cost: Int8;
  issue_mode: string;
  validity: string | null;
  reservation_ttl: string;
  points_price: NullableInt8;
  active: boolean;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface RewardCodesTable {
  tenant_id: string;
  reward_id: string;
  code: string;
  issuance_id: string | null;
  added_at: Timestamptz;
}

export interface IssuancesTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  reward_id: string;
  rule_id: string | null;
  event_id: string | null;
  state: string;
  quantity: Int8;
  value: Int8;
  cost: Int8;
  code: string | null;
  budget_id: string | null;
  budget_period: string | null;
  earned_at: Timestamptz;
  created_at: Timestamptz;
  issued_at: NullableTimestamptz;
  expires_at: NullableTimestamptz;
  reserve_deadline: NullableTimestamptz;
  redeemed_at: NullableTimestamptz;
  cancelled_at: NullableTimestamptz;
  cancel_reason: string | null;
}

export interface BudgetsTable {
  tenant_id: string;
  id: string;
  name: string;
  unit: string;
  limit: Int8;
  period: string;
  hard_cap: boolean;
  soft_cap_ratio: number | null;
  active: boolean;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface BudgetPeriodsTable {
  tenant_id: string;
  budget_id: string;
  period: string;
  limit: Int8;
  reserved: Int8;
  utilized: Int8;
  spent: Int8;
  threshold_notified: boolean;
  exhausted_notified: boolean;
}

export interface BudgetLedgerTable {
  tenant_id: string;
  id: string;
  budget_id: string;
  period: string;
  issuance_id: string | null;
  kind: string;
  amount: Int8;
  from: string | null;
  to: string | null;
  at: Timestamptz;
}

export interface PointsLotsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  issuance_id: string | null;
  earned_at: Timestamptz;
  expires_at: NullableTimestamptz;
  amount: Int8;
  remaining: Int8;
}

export interface PointsLedgerTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  kind: string;
  amount: Int8;
  lot_id: string | null;
  issuance_id: string | null;
  at: Timestamptz;
  /** Migration 0010: why, and who (manual adjustments, clawbacks); null on older rows. */
  reason: string | null;
  actor: string | null;
}

/** Migration 0010: what each refund event reversed. */
export interface RefundsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  original_event_id: string;
  amount: NullableInt8;
  full: boolean;
  points_clawed: Int8;
  points_shortfall: Int8;
  points: Jsonb<unknown>;
  cancelled_issuance_ids: Jsonb<unknown>;
  redeemed_issuance_ids: Jsonb<unknown>;
  created_at: Timestamptz;
}

export interface CampaignsTable {
  tenant_id: string;
  id: string;
  name: string;
  starts_at: NullableTimestamptz;
  ends_at: NullableTimestamptz;
  status: string;
  budget_id: string | null;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface CapCountersTable {
  tenant_id: string;
  rule_id: string;
  cap_key: string;
  window_key: string;
  count: Int8;
}

export interface WebhookSubscriptionsTable {
  tenant_id: string;
  id: string;
  url: string;
  events: Jsonb<unknown>;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: NullableTimestamptz;
  active: boolean;
  disabled_reason: string | null;
  failure_count: number;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface OutboxTable {
  tenant_id: string;
  id: string;
  type: string;
  data: Jsonb<unknown>;
  created_at: Timestamptz;
  /** Null until the worker fans the event out (written by `markDispatched` only). */
  dispatched_at: ColumnType<Date | null, string | null | undefined, string | null>;
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
  next_attempt_at: NullableTimestamptz;
  locked_until: NullableTimestamptz;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface WebhookAttemptsTable {
  tenant_id: string;
  id: string;
  delivery_id: string;
  at: Timestamptz;
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
  created_at: Timestamptz;
  revoked_at: NullableTimestamptz;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  fingerprint: string;
  status: number;
  body: NullableJsonb<unknown>;
  created_at: Timestamptz;
}

export interface AuditLogTable {
  tenant_id: string;
  id: string;
  at: Timestamptz;
  actor_kind: string;
  actor_id: string | null;
  actor_role: string;
  method: string;
  route: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before_state: NullableJsonb<unknown>;
  after_state: NullableJsonb<unknown>;
  request_id: string | null;
}

/** Tiers (migration 0008_tiers; read and written with raw SQL in tier-repository.ts). */
export interface TierProgrammesTable {
  tenant_id: string;
  measure: string;
  event_types: Jsonb<unknown>;
  qualifying_window: Jsonb<unknown>;
  grace: string;
  levels: Jsonb<unknown>;
  version: number;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface CustomerTiersTable {
  tenant_id: string;
  customer_id: string;
  tier: string | null;
  since: Timestamptz;
  qualifying_value: Int8;
  downgrade_due_at: NullableTimestamptz;
  programme_version: number;
  updated_at: Timestamptz;
}

export interface TierBucketsTable {
  tenant_id: string;
  customer_id: string;
  measure: string;
  day: string;
  value: Int8;
}

export interface UssdSettingsTable {
  tenant_id: string;
  service_code: string;
  language: string;
  strings: Jsonb<unknown>;
  allow_join: boolean;
  created_at: Timestamptz;
  updated_at: Timestamptz;
  callback_secret_hash: string | null;
  allowed_ips: Jsonb<unknown>;
}

export interface RemindersTable {
  tenant_id: string;
  kind: string;
  subject_id: string;
  reminded_at: Timestamptz;
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
  strings: Jsonb<unknown>;
  template_name: string | null;
  template_language: string | null;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface WhatsAppMessagesTable {
  tenant_id: string;
  id: string;
  direction: string;
  wa_message_id: string | null;
  phone: string;
  kind: string;
  body: Jsonb<unknown>;
  status: string;
  error: string | null;
  attempts: number;
  next_attempt_at: NullableTimestamptz;
  locked_until: NullableTimestamptz;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface WhatsAppConversationsTable {
  tenant_id: string;
  phone: string;
  last_inbound_at: NullableTimestamptz;
  pending: NullableJsonb<unknown>;
  updated_at: Timestamptz;
}

export interface ReferralCodesTable {
  tenant_id: string;
  customer_id: string;
  code: string;
  /** Attributions of this customer in status pending or qualified (the cap counter). */
  referred: ColumnType<number, number | undefined, number>;
  created_at: Timestamptz;
}

export interface ReferralsTable {
  tenant_id: string;
  referee_id: string;
  referrer_id: string;
  code: string;
  status: string;
  attributed_at: Timestamptz;
  qualified_at: NullableTimestamptz;
  qualifying_event_id: string | null;
  rejected_at: NullableTimestamptz;
  rejected_reason: string | null;
}

export interface PgDatabase {
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
  tier_programmes: TierProgrammesTable;
  customer_tiers: CustomerTiersTable;
  tier_buckets: TierBucketsTable;
  whatsapp_settings: WhatsAppSettingsTable;
  whatsapp_messages: WhatsAppMessagesTable;
  whatsapp_conversations: WhatsAppConversationsTable;
  audit_log: AuditLogTable;
  referral_codes: ReferralCodesTable;
  referrals: ReferralsTable;
  reminders: RemindersTable;
  shared_merchants: SharedMerchantsTable;
  platform_channels: PlatformChannelsTable;
  shared_selections: SharedSelectionsTable;
}

/** Every table; all but `tenants` carry a `tenant_id` column. All have row-level security. */
/** A tenant's merchant code and opt-ins on the shared channels (migration 0013). */
export interface SharedMerchantsTable {
  tenant_id: string;
  code: string;
  whatsapp: boolean;
  ussd: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

/** The platform's shared channels (no tenant). */
export interface PlatformChannelsTable {
  tenant_id: string;
  channel: string;
  config: unknown;
  updated_at: Date | string;
}

/** The merchant each phone chose on the shared WhatsApp number (no tenant key). */
export interface SharedSelectionsTable {
  tenant_id: string;
  phone: string;
  selected_tenant_id: string;
  updated_at: Date | string;
}

export const TABLES = [
  'tenants',
  'customers',
  'events',
  'rules',
  'rewards',
  'reward_codes',
  'issuances',
  'budgets',
  'budget_periods',
  'budget_ledger',
  'points_lots',
  'points_ledger',
  'refunds',
  'campaigns',
  'cap_counters',
  'webhook_subscriptions',
  'outbox',
  'webhook_deliveries',
  'webhook_attempts',
  'api_keys',
  'idempotency_keys',
  'ussd_settings',
  'whatsapp_settings',
  'whatsapp_messages',
  'whatsapp_conversations',
  'audit_log',
  'referral_codes',
  'referrals',
  'reminders',
  'shared_merchants',
  'platform_channels',
  'shared_selections',
  'tier_programmes',
  'customer_tiers',
  'tier_buckets',
] as const satisfies ReadonlyArray<keyof PgDatabase>;
