import { type Kysely, sql } from 'kysely';

/**
 * Reminder markers (`points.expiring`, `reward.expiring`): one row per reminded lot or issuance.
 * The primary key is the guard that makes each reminder happen once: the worker writes the event
 * only when its `INSERT OR IGNORE` inserted the row.
 */
const statements = [
  `CREATE TABLE reminders (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    reminded_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, subject_id)
  ) STRICT`,
  // Issued rewards by expiry (the lots have points_lots_due already).
  // Validating a code looks it up in every pool of the tenant.
  'CREATE INDEX reward_codes_code ON reward_codes (tenant_id, code)',
  "CREATE INDEX issuances_issued_expiry ON issuances (tenant_id, expires_at) WHERE state = 'issued' AND expires_at IS NOT NULL",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP INDEX IF EXISTS issuances_issued_expiry',
    'DROP INDEX IF EXISTS reward_codes_code',
    'DROP TABLE IF EXISTS reminders',
  ])
    await sql.raw(statement).execute(db);
}
