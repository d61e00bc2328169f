import { type Kysely, sql } from 'kysely';

/**
 * The USSD callback is authenticated by a per-tenant secret in its URL (only its SHA-256 is kept)
 * and optionally restricted to the gateway's addresses. Settings saved before this migration have
 * no secret: their callbacks answer 404 until the tenant saves or rotates them.
 */
const statements = [
  'ALTER TABLE ussd_settings ADD COLUMN callback_secret_hash TEXT',
  "ALTER TABLE ussd_settings ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '[]'",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'ALTER TABLE ussd_settings DROP COLUMN allowed_ips',
    'ALTER TABLE ussd_settings DROP COLUMN callback_secret_hash',
  ])
    await sql.raw(statement).execute(db);
}
