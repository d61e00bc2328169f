import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * Reminder markers (`points.expiring`, `reward.expiring`): one row per reminded lot or issuance,
 * with row-level security like every table. The primary key is the guard that makes a reminder
 * happen once under several workers: the worker writes the event only when its
 * `INSERT ... ON CONFLICT DO NOTHING RETURNING` inserted the row (a second inserter waits for the
 * first to commit, then inserts nothing).
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.reminders (
      tenant_id uuid NOT NULL,
      kind text NOT NULL,
      subject_id uuid NOT NULL,
      reminded_at timestamptz NOT NULL,
      CONSTRAINT reminders_pkey PRIMARY KEY (tenant_id, kind, subject_id)
    )`,
    ...rls(s, 'reminders', 'tenant_id'),
    // Validating a code looks it up in every pool of the tenant.
    `CREATE INDEX reward_codes_code_idx ON ${s}.reward_codes (tenant_id, code)`,
    `CREATE INDEX issuances_issued_expiry_idx ON ${s}.issuances (tenant_id, expires_at)
      WHERE state = 'issued' AND expires_at IS NOT NULL`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
