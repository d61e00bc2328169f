import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * The USSD callback is authenticated by a per-tenant secret in its URL (only its SHA-256 is kept)
 * and optionally restricted to the gateway's addresses. `laas_find_ussd_settings` returns the
 * table's row type, so it answers the new columns too. Settings saved before this migration have
 * no secret: their callbacks answer 404 until the tenant saves or rotates them.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `ALTER TABLE ${s}.ussd_settings ADD COLUMN callback_secret_hash text`,
    `ALTER TABLE ${s}.ussd_settings ADD COLUMN allowed_ips jsonb NOT NULL DEFAULT '[]'::jsonb`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
