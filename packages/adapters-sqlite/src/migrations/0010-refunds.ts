import { type Kysely, sql } from 'kysely';

/**
 * Refunds and manual adjustments: the points ledger says why a row was written and who wrote it
 * (nullable: older rows have neither), a ledger index by issuance (what a reward still holds), and
 * one row per refund event with what it reversed.
 */
const statements = [
  'ALTER TABLE points_ledger ADD COLUMN reason TEXT',
  'ALTER TABLE points_ledger ADD COLUMN actor TEXT',
  'CREATE INDEX points_ledger_issuance ON points_ledger (tenant_id, issuance_id) WHERE issuance_id IS NOT NULL',
  `CREATE TABLE refunds (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    original_event_id TEXT NOT NULL,
    amount INTEGER,
    full INTEGER NOT NULL,
    points_clawed INTEGER NOT NULL,
    points_shortfall INTEGER NOT NULL,
    points TEXT NOT NULL,
    cancelled_issuance_ids TEXT NOT NULL,
    redeemed_issuance_ids TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX refunds_original ON refunds (tenant_id, original_event_id, id)',
  'CREATE INDEX refunds_customer ON refunds (tenant_id, customer_id, id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP TABLE IF EXISTS refunds',
    'DROP INDEX IF EXISTS points_ledger_issuance',
    'ALTER TABLE points_ledger DROP COLUMN actor',
    'ALTER TABLE points_ledger DROP COLUMN reason',
  ])
    await sql.raw(statement).execute(db);
}
