import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/** The tenant id of the platform's own rows (`PLATFORM_TENANT_ID` of @laas/core). */
const PLATFORM = '00000000-0000-0000-0000-000000000000';

/**
 * The shared channels (one WhatsApp number and one USSD code for many merchants):
 *
 * - `shared_merchants`: a tenant's merchant code and opt-ins, with row-level security like every
 *   tenant table. The code has its own unique index across tenants (a code names exactly one
 *   merchant), like the USSD service code.
 * - `platform_channels` and `shared_selections` belong to the platform, not to a tenant: the
 *   shared channels' configuration, and the merchant each phone last chose on the shared
 *   WhatsApp number. Their `tenant_id` is always the nil UUID (`PLATFORM_TENANT_ID`), so every
 *   key still leads with a tenant id and row-level security applies as everywhere: the store
 *   reaches them in transactions scoped to that id, or through the functions below.
 * - The reads that cross tenants (a merchant by code, the merchants a phone belongs to) and the
 *   guarded selection are SECURITY DEFINER functions owned by the migrating role, as in 0001;
 *   `migratePg` grants EXECUTE on them to the application role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.shared_merchants (
      tenant_id uuid NOT NULL,
      code text NOT NULL,
      whatsapp boolean NOT NULL,
      ussd boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT shared_merchants_pkey PRIMARY KEY (tenant_id)
    )`,
    `CREATE UNIQUE INDEX shared_merchants_code_key ON ${s}.shared_merchants (code)`,
    ...rls(s, 'shared_merchants', 'tenant_id'),
    `CREATE POLICY owner_platform_read ON ${s}.shared_merchants FOR SELECT TO CURRENT_USER USING (true)`,
    `CREATE POLICY owner_platform_read ON ${s}.customers FOR SELECT TO CURRENT_USER USING (true)`,
    `CREATE TABLE ${s}.platform_channels (
      tenant_id uuid NOT NULL,
      channel text NOT NULL,
      config jsonb NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT platform_channels_pkey PRIMARY KEY (tenant_id, channel)
    )`,
    `CREATE TABLE ${s}.shared_selections (
      tenant_id uuid NOT NULL,
      phone text NOT NULL,
      selected_tenant_id uuid NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT shared_selections_pkey PRIMARY KEY (tenant_id, phone)
    )`,
    ...rls(s, 'platform_channels', 'tenant_id'),
    ...rls(s, 'shared_selections', 'tenant_id'),
    `CREATE FUNCTION ${s}.laas_find_shared_merchant(p_code text) RETURNS SETOF ${s}.shared_merchants
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.shared_merchants WHERE code = p_code $fn$`,
    `CREATE FUNCTION ${s}.laas_shared_merchants_of_phone(p_phone text, p_channel text)
      RETURNS SETOF ${s}.shared_merchants
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT m.* FROM ${s}.shared_merchants m
        JOIN ${s}.customers c ON c.tenant_id = m.tenant_id AND c.phone = p_phone AND c.status <> 'erased'
        WHERE (p_channel = 'whatsapp' AND m.whatsapp) OR (p_channel = 'ussd' AND m.ussd)
        ORDER BY m.code $fn$`,
    `CREATE FUNCTION ${s}.laas_select_shared_merchant(p_phone text, p_tenant uuid, p_now timestamptz)
      RETURNS boolean
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$
      DECLARE n integer;
      BEGIN
        -- The selection row is the platform's: written under its tenant id (row-level security).
        PERFORM set_config('laas.tenant_id', '${PLATFORM}', true);
        INSERT INTO ${s}.shared_selections (tenant_id, phone, selected_tenant_id, updated_at)
        SELECT '${PLATFORM}'::uuid, p_phone, m.tenant_id, p_now FROM ${s}.shared_merchants m
        JOIN ${s}.customers c ON c.tenant_id = m.tenant_id AND c.phone = p_phone AND c.status <> 'erased'
        WHERE m.tenant_id = p_tenant AND m.whatsapp
        ON CONFLICT (tenant_id, phone) DO UPDATE
          SET selected_tenant_id = excluded.selected_tenant_id, updated_at = excluded.updated_at;
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM set_config('laas.tenant_id', '', true);
        RETURN n > 0;
      END $fn$`,
    `REVOKE ALL ON FUNCTION ${s}.laas_find_shared_merchant(text) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${s}.laas_shared_merchants_of_phone(text, text) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${s}.laas_select_shared_merchant(text, uuid, timestamptz) FROM PUBLIC`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
