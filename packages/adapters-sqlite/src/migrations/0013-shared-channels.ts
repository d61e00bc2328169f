import { type Kysely, sql } from 'kysely';

/**
 * The shared channels (one WhatsApp number and one USSD code for many merchants):
 *
 * - `shared_merchants`: a tenant's merchant code and opt-ins. The code has its own unique index
 *   across tenants (a code names exactly one merchant), like the USSD service code.
 * - `platform_channels` and `shared_selections` belong to the platform, not to a tenant, so they
 *   have no `tenant_id` key: the shared channels' configuration, and the merchant each phone
 *   last chose on the shared WhatsApp number.
 */
const statements = [
  `CREATE TABLE shared_merchants (
    tenant_id TEXT NOT NULL,
    code TEXT NOT NULL,
    whatsapp INTEGER NOT NULL,
    ussd INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
  ) STRICT`,
  'CREATE UNIQUE INDEX shared_merchants_code ON shared_merchants (code)',
  `CREATE TABLE platform_channels (
    channel TEXT NOT NULL PRIMARY KEY,
    config TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT`,
  `CREATE TABLE shared_selections (
    phone TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP TABLE IF EXISTS shared_selections',
    'DROP TABLE IF EXISTS platform_channels',
    'DROP INDEX IF EXISTS shared_merchants_code',
    'DROP TABLE IF EXISTS shared_merchants',
  ])
    await sql.raw(statement).execute(db);
}
