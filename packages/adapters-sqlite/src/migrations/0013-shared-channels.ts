import { type Kysely, sql } from 'kysely';

/**
 * The shared channels (one WhatsApp number and one USSD code for many merchants):
 *
 * - `shared_merchants`: a tenant's merchant code and opt-ins. The code has its own unique index
 *   across tenants (a code names exactly one merchant), like the USSD service code.
 * - `platform_channels` and `shared_selections` belong to the platform, not to a tenant: the
 *   shared channels' configuration, and the merchant each phone last chose on the shared
 *   WhatsApp number. Their `tenant_id` is always the nil UUID (`PLATFORM_TENANT_ID`), so that
 *   every key still leads with a tenant id like everywhere else.
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
    tenant_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    config TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, channel)
  ) STRICT`,
  `CREATE TABLE shared_selections (
    tenant_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    selected_tenant_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, phone)
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
