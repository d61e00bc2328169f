import { type Kysely, sql } from 'kysely';

/**
 * The USSD channel: one settings row per tenant. The gateway's callback finds the tenant by the
 * service code alone, before any tenant is known, so the code has its own unique index across
 * tenants (the one unique key here that does not lead with `tenant_id`).
 */
const statements = [
  `CREATE TABLE ussd_settings (
    tenant_id TEXT NOT NULL,
    service_code TEXT NOT NULL,
    language TEXT NOT NULL,
    strings TEXT NOT NULL,
    allow_join INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
  ) STRICT`,
  'CREATE UNIQUE INDEX ussd_settings_service_code ON ussd_settings (service_code)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP INDEX IF EXISTS ussd_settings_service_code',
    'DROP TABLE IF EXISTS ussd_settings',
  ])
    await sql.raw(statement).execute(db);
}
