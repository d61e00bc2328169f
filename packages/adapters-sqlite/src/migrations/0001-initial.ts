import { type Kysely, sql } from 'kysely';

/**
 * The first schema. Every table has `tenant_id`, and every primary and unique key leads with it.
 * Tables are STRICT: SQLite refuses a value of the wrong type instead of storing it.
 *
 * A migration module never changes once released: later changes are new modules (0002-...).
 */
const statements = [
  `CREATE TABLE tenants (
    tenant_id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT`,

  `CREATE TABLE customers (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    phone TEXT,
    external_ref TEXT,
    name TEXT,
    birthday TEXT,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    last_event_at TEXT,
    stats_counts TEXT NOT NULL,
    total_spend INTEGER NOT NULL DEFAULT 0,
    points_balance INTEGER NOT NULL DEFAULT 0 CHECK (points_balance >= 0),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, phone),
    UNIQUE (tenant_id, external_ref)
  ) STRICT`,
  'CREATE INDEX customers_status ON customers (tenant_id, status, id)',

  `CREATE TABLE events (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    outcome TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
  ) STRICT`,
  'CREATE INDEX events_customer ON events (tenant_id, customer_id, id)',

  `CREATE TABLE rules (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    priority INTEGER NOT NULL,
    active INTEGER NOT NULL,
    event_types TEXT NOT NULL,
    condition TEXT NOT NULL,
    reward_id TEXT NOT NULL,
    quantity TEXT NOT NULL,
    caps TEXT NOT NULL,
    cooldown TEXT,
    stop_processing INTEGER NOT NULL,
    campaign_id TEXT,
    budget_id TEXT,
    valid_from TEXT,
    valid_until TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX rules_active ON rules (tenant_id, priority, id) WHERE active = 1',

  `CREATE TABLE rewards (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    value INTEGER NOT NULL,
    cost INTEGER NOT NULL,
    issue_mode TEXT NOT NULL,
    validity TEXT,
    reservation_ttl TEXT NOT NULL,
    points_price INTEGER,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,

  `CREATE TABLE reward_codes (
    tenant_id TEXT NOT NULL,
    reward_id TEXT NOT NULL,
    code TEXT NOT NULL,
    issuance_id TEXT,
    added_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, reward_id, code)
  ) STRICT`,
  // Free codes of a pool, in upload (rowid) order: what draw() takes from.
  'CREATE INDEX reward_codes_free ON reward_codes (tenant_id, reward_id) WHERE issuance_id IS NULL',

  `CREATE TABLE issuances (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    reward_id TEXT NOT NULL,
    rule_id TEXT,
    event_id TEXT,
    state TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    value INTEGER NOT NULL,
    cost INTEGER NOT NULL,
    code TEXT,
    budget_id TEXT,
    budget_period TEXT,
    earned_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    issued_at TEXT,
    expires_at TEXT,
    reserve_deadline TEXT,
    redeemed_at TEXT,
    cancelled_at TEXT,
    cancel_reason TEXT,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  // Per-customer caps, cooldowns (countEarned, lastEarnedAt).
  'CREATE INDEX issuances_rule_customer ON issuances (tenant_id, rule_id, customer_id, earned_at)',
  // Global caps: all customers of a rule.
  'CREATE INDEX issuances_rule ON issuances (tenant_id, rule_id, earned_at)',
  'CREATE INDEX issuances_customer ON issuances (tenant_id, customer_id, id)',
  'CREATE INDEX issuances_code ON issuances (tenant_id, code) WHERE code IS NOT NULL',
  // listDue: issued past expires_at, reserved past reserve_deadline.
  "CREATE INDEX issuances_due_expiry ON issuances (tenant_id, expires_at) WHERE state = 'issued' AND expires_at IS NOT NULL",
  "CREATE INDEX issuances_due_reservation ON issuances (tenant_id, reserve_deadline) WHERE state = 'reserved' AND reserve_deadline IS NOT NULL",

  `CREATE TABLE budgets (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    "limit" INTEGER NOT NULL,
    period TEXT NOT NULL,
    hard_cap INTEGER NOT NULL,
    soft_cap_ratio REAL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,

  `CREATE TABLE budget_periods (
    tenant_id TEXT NOT NULL,
    budget_id TEXT NOT NULL,
    period TEXT NOT NULL,
    "limit" INTEGER NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    utilized INTEGER NOT NULL DEFAULT 0 CHECK (utilized >= 0),
    spent INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0),
    threshold_notified INTEGER NOT NULL DEFAULT 0,
    exhausted_notified INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, budget_id, period)
  ) STRICT`,

  `CREATE TABLE budget_ledger (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    budget_id TEXT NOT NULL,
    period TEXT NOT NULL,
    issuance_id TEXT,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    "from" TEXT,
    "to" TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX budget_ledger_budget ON budget_ledger (tenant_id, budget_id, id)',
  'CREATE INDEX budget_ledger_period ON budget_ledger (tenant_id, budget_id, period, id)',

  `CREATE TABLE points_lots (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    issuance_id TEXT,
    earned_at TEXT NOT NULL,
    expires_at TEXT,
    amount INTEGER NOT NULL,
    remaining INTEGER NOT NULL CHECK (remaining >= 0),
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX points_lots_customer ON points_lots (tenant_id, customer_id, expires_at)',
  'CREATE INDEX points_lots_due ON points_lots (tenant_id, expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL',

  `CREATE TABLE points_ledger (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    lot_id TEXT,
    issuance_id TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX points_ledger_customer ON points_ledger (tenant_id, customer_id, id)',

  `CREATE TABLE campaigns (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    starts_at TEXT,
    ends_at TEXT,
    status TEXT NOT NULL,
    budget_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,

  `CREATE TABLE cap_counters (
    tenant_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    cap_key TEXT NOT NULL,
    window_key TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, rule_id, cap_key, window_key)
  ) STRICT`,

  `CREATE TABLE webhook_subscriptions (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL,
    disabled_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,

  `CREATE TABLE outbox (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,

  `CREATE TABLE api_keys (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key_hash)
  ) STRICT`,
  // Authentication looks a key up by its hash before it knows the tenant.
  'CREATE INDEX api_keys_hash ON api_keys (key_hash)',

  `CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
  ) STRICT`,
  'CREATE INDEX idempotency_keys_created ON idempotency_keys (tenant_id, created_at)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const tables = [
    'idempotency_keys',
    'api_keys',
    'outbox',
    'webhook_subscriptions',
    'cap_counters',
    'campaigns',
    'points_ledger',
    'points_lots',
    'budget_ledger',
    'budget_periods',
    'budgets',
    'issuances',
    'reward_codes',
    'rewards',
    'rules',
    'events',
    'customers',
    'tenants',
  ];
  for (const table of tables) await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db);
}
