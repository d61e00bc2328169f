import { type Kysely, sql } from 'kysely';

/**
 * Calendar cap counters are keyed `calendar:<period>` as on every other store (`capWindowKey` in
 * @laas/core); they were keyed by the bare period. Lifetime counters keep `lifetime`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE cap_counters SET window_key = 'calendar:' || window_key
            WHERE window_key <> 'lifetime' AND window_key NOT LIKE 'calendar:%'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE cap_counters SET window_key = substr(window_key, 10)
            WHERE window_key LIKE 'calendar:%'`.execute(db);
}
