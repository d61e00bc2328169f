import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * The USSD channel: one settings row per tenant, with row-level security like every table. The
 * gateway's callback finds the tenant by the service code before any tenant is known, so:
 *
 * - the code has its own unique index across tenants (the one unique key here that does not lead
 *   with `tenant_id`: a code names exactly one tenant);
 * - the application role reads it only through a SECURITY DEFINER function owned by the migrating
 *   role, `laas_find_ussd_settings(service_code)`, as with the platform reads of 0001 (under FORCE
 *   ROW LEVEL SECURITY the owner needs its own SELECT policy for that).
 *
 * `migratePg` grants the table (`TABLES`) and EXECUTE on the function to the application role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.ussd_settings (
      tenant_id uuid NOT NULL,
      service_code text NOT NULL,
      language text NOT NULL,
      strings jsonb NOT NULL,
      allow_join boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT ussd_settings_pkey PRIMARY KEY (tenant_id)
    )`,
    `CREATE UNIQUE INDEX ussd_settings_service_code_key ON ${s}.ussd_settings (service_code)`,
    ...rls(s, 'ussd_settings', 'tenant_id'),
    `CREATE POLICY owner_platform_read ON ${s}.ussd_settings FOR SELECT TO CURRENT_USER USING (true)`,
    `CREATE FUNCTION ${s}.laas_find_ussd_settings(p_service_code text) RETURNS SETOF ${s}.ussd_settings
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.ussd_settings WHERE service_code = p_service_code $fn$`,
    `REVOKE ALL ON FUNCTION ${s}.laas_find_ussd_settings(text) FROM PUBLIC`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
