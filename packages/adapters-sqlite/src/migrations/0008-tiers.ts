import { type Kysely, sql } from 'kysely';

/**
 * Tiers (docs/tiers.md): one programme per tenant, one tier row per customer, and the per-customer
 * per-day buckets the qualifying measures are summed from (a window is a range scan of the
 * customer's buckets on the primary key). `tier_customers_due` serves the worker's due downgrades.
 */
const statements = [
  `CREATE TABLE tier_programmes (
    tenant_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    event_types TEXT NOT NULL,
    qualifying_window TEXT NOT NULL,
    grace TEXT NOT NULL,
    levels TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
  ) STRICT`,
  `CREATE TABLE customer_tiers (
    tenant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tier TEXT,
    since TEXT NOT NULL,
    qualifying_value INTEGER NOT NULL,
    downgrade_due_at TEXT,
    programme_version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
  ) STRICT`,
  `CREATE INDEX customer_tiers_due ON customer_tiers (tenant_id, downgrade_due_at)
    WHERE downgrade_due_at IS NOT NULL`,
  `CREATE TABLE tier_buckets (
    tenant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    day TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, measure, day)
  ) STRICT, WITHOUT ROWID`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP TABLE IF EXISTS tier_buckets',
    'DROP INDEX IF EXISTS customer_tiers_due',
    'DROP TABLE IF EXISTS customer_tiers',
    'DROP TABLE IF EXISTS tier_programmes',
  ])
    await sql.raw(statement).execute(db);
}
