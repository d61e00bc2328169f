import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * `laas_work_backlog()`: the background work waiting, summed over every tenant, for the server's
 * metrics (`laas_outbox_oldest_pending_seconds`, the pending deliveries). The application role
 * sees no row outside a tenant's transaction (row-level security), so this cross-tenant read is a
 * SECURITY DEFINER function like the platform reads of 0001; it answers aggregates only, never a
 * tenant's id or rows. `migratePg` grants EXECUTE on it to the application role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE FUNCTION ${s}.laas_work_backlog()
      RETURNS TABLE (oldest_undispatched_at timestamptz, pending_deliveries bigint,
                     earliest_pending_attempt_at timestamptz)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT
        (SELECT min(created_at) FROM ${s}.outbox WHERE dispatched_at IS NULL),
        (SELECT count(*) FROM ${s}.webhook_deliveries WHERE status = 'pending'),
        (SELECT min(next_attempt_at) FROM ${s}.webhook_deliveries WHERE status = 'pending') $fn$`,
    `REVOKE ALL ON FUNCTION ${s}.laas_work_backlog() FROM PUBLIC`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
