import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * Referrals (docs/referrals.md), with row-level security like every table.
 *
 * - `referral_codes`: one code per customer, unique in the tenant; `referred` counts the
 *   customer's attributions in status pending or qualified, the counter the per-referrer cap
 *   guards with `UPDATE ... WHERE referred < max RETURNING` (the row lock serialises claims).
 * - `referrals`: one row per referred customer, ever: the primary key is the one-attribution guard
 *   (a concurrent second insert waits for the first, then does nothing).
 *
 * Every key leads with `tenant_id`. `migratePg` grants the tables (`TABLES`) to the app role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.referral_codes (
      tenant_id uuid NOT NULL,
      customer_id uuid NOT NULL,
      code text NOT NULL,
      referred integer NOT NULL DEFAULT 0 CHECK (referred >= 0),
      created_at timestamptz NOT NULL,
      CONSTRAINT referral_codes_pkey PRIMARY KEY (tenant_id, customer_id),
      CONSTRAINT referral_codes_code_key UNIQUE (tenant_id, code)
    )`,
    ...rls(s, 'referral_codes', 'tenant_id'),
    `CREATE TABLE ${s}.referrals (
      tenant_id uuid NOT NULL,
      referee_id uuid NOT NULL,
      referrer_id uuid NOT NULL,
      code text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'qualified', 'rejected')),
      attributed_at timestamptz NOT NULL,
      qualified_at timestamptz,
      qualifying_event_id uuid,
      rejected_at timestamptz,
      rejected_reason text,
      CONSTRAINT referrals_pkey PRIMARY KEY (tenant_id, referee_id)
    )`,
    `CREATE INDEX referrals_referrer_idx ON ${s}.referrals (tenant_id, referrer_id, status)`,
    ...rls(s, 'referrals', 'tenant_id'),
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
