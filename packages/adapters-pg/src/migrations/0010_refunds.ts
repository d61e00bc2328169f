import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * Refunds and manual adjustments: the points ledger says why a row was written and who wrote it
 * (nullable: older rows have neither), a ledger index by issuance (what a reward still holds), and
 * one row per refund event with what it reversed, under row-level security like every table.
 * `migratePg` grants the new table to the application role (`TABLES`).
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `ALTER TABLE ${s}.points_ledger ADD COLUMN reason text, ADD COLUMN actor text`,
    `CREATE INDEX points_ledger_issuance_idx ON ${s}.points_ledger (tenant_id, issuance_id)
      WHERE issuance_id IS NOT NULL`,
    `CREATE TABLE ${s}.refunds (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      customer_id uuid NOT NULL,
      original_event_id uuid NOT NULL,
      amount bigint,
      "full" boolean NOT NULL,
      points_clawed bigint NOT NULL,
      points_shortfall bigint NOT NULL,
      points jsonb NOT NULL,
      cancelled_issuance_ids jsonb NOT NULL,
      redeemed_issuance_ids jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      CONSTRAINT refunds_pkey PRIMARY KEY (tenant_id, id)
    )`,
    `CREATE INDEX refunds_original_idx ON ${s}.refunds (tenant_id, original_event_id, id)`,
    `CREATE INDEX refunds_customer_idx ON ${s}.refunds (tenant_id, customer_id, id)`,
    ...rls(s, 'refunds', 'tenant_id'),
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
