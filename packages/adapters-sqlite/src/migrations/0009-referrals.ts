import { type Kysely, sql } from 'kysely';

/**
 * Referrals (docs/referrals.md). `referral_codes`: one code per customer, unique in the tenant;
 * `referred` counts the customer's attributions in status pending or qualified, the counter the
 * per-referrer cap guards. `referrals`: one row per referred customer, ever (the primary key is
 * the one-attribution guard). Every key leads with `tenant_id`.
 */
const statements = [
  `CREATE TABLE referral_codes (
    tenant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    code TEXT NOT NULL,
    referred INTEGER NOT NULL DEFAULT 0 CHECK (referred >= 0),
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
  ) STRICT`,
  'CREATE UNIQUE INDEX referral_codes_code ON referral_codes (tenant_id, code)',
  `CREATE TABLE referrals (
    tenant_id TEXT NOT NULL,
    referee_id TEXT NOT NULL,
    referrer_id TEXT NOT NULL,
    code TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'qualified', 'rejected')),
    attributed_at TEXT NOT NULL,
    qualified_at TEXT,
    qualifying_event_id TEXT,
    rejected_at TEXT,
    rejected_reason TEXT,
    PRIMARY KEY (tenant_id, referee_id)
  ) STRICT`,
  'CREATE INDEX referrals_referrer ON referrals (tenant_id, referrer_id, status)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP INDEX IF EXISTS referrals_referrer',
    'DROP TABLE IF EXISTS referrals',
    'DROP INDEX IF EXISTS referral_codes_code',
    'DROP TABLE IF EXISTS referral_codes',
  ])
    await sql.raw(statement).execute(db);
}
