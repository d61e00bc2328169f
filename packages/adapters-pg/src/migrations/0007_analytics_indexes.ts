import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Indexes for the console's analytics (`tx.analytics`): each measure is counted per local day with
 * one range probe per day on `(tenant_id, <timestamp>)`, so a year of days reads only the rows of
 * that year, never the tenant's whole history. Every index leads with `tenant_id`.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE INDEX events_occurred_idx ON ${s}.events (tenant_id, occurred_at)`,
    `CREATE INDEX customers_enrolled_idx ON ${s}.customers (tenant_id, enrolled_at)`,
    `CREATE INDEX issuances_created_idx ON ${s}.issuances (tenant_id, created_at)`,
    `CREATE INDEX issuances_redeemed_idx ON ${s}.issuances (tenant_id, redeemed_at) WHERE redeemed_at IS NOT NULL`,
    `CREATE INDEX points_ledger_kind_at_idx ON ${s}.points_ledger (tenant_id, kind, at)`,
    `CREATE INDEX budget_ledger_at_idx ON ${s}.budget_ledger (tenant_id, at)`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
