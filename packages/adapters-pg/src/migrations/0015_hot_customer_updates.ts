import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Every ingest updates its customer's counters, spend and `last_event_at`. PostgreSQL can update a
 * row in place (a HOT update: no new index entries, no index bloat) only when no indexed column
 * changes and the page has room for the new version:
 * - `customers_last_event_idx` indexed `last_event_at`, so every such update wrote a new entry in
 *   each of the table's indexes. Nothing reads it efficiently: the one query on `last_event_at`
 *   (`listInactive`, the worker's daily `customer.inactive` scan) filters with an OR and pages by
 *   id, which `customers_status_idx (tenant_id, status, id)` serves.
 * - fillfactor 80 leaves a fifth of each page for the new versions (pages filled from now on; an
 *   existing table gets it at its next rewrite, e.g. `VACUUM FULL` in a maintenance window).
 * - `issuances_issued_expiry_idx` (0011) repeats `issuances_expiry_idx` (0001) column for column
 *   and predicate for predicate: every issuance paid for both.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `DROP INDEX ${s}.customers_last_event_idx`,
    `ALTER TABLE ${s}.customers SET (fillfactor = 80)`,
    `DROP INDEX ${s}.issuances_issued_expiry_idx`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
