import { type Kysely, sql } from 'kysely';

/**
 * Indexes for the console's analytics (`tx.analytics`): each measure is counted per local day with
 * one range probe per day on `(tenant_id, <timestamp>)`, so a year of days reads only the rows of
 * that year, never the tenant's whole history. Every index leads with `tenant_id`.
 */
const statements = [
  'CREATE INDEX events_occurred ON events (tenant_id, occurred_at)',
  'CREATE INDEX customers_enrolled ON customers (tenant_id, enrolled_at)',
  'CREATE INDEX issuances_created ON issuances (tenant_id, created_at)',
  'CREATE INDEX issuances_redeemed ON issuances (tenant_id, redeemed_at) WHERE redeemed_at IS NOT NULL',
  'CREATE INDEX points_ledger_kind_at ON points_ledger (tenant_id, kind, at)',
  'CREATE INDEX budget_ledger_at ON budget_ledger (tenant_id, at)',
];

const indexes = [
  'events_occurred',
  'customers_enrolled',
  'issuances_created',
  'issuances_redeemed',
  'points_ledger_kind_at',
  'budget_ledger_at',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of indexes) await sql.raw(`DROP INDEX IF EXISTS ${index}`).execute(db);
}
