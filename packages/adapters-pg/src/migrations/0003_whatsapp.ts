import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * The WhatsApp channel: one settings row per tenant, every message received and sent, and one
 * conversation per customer phone, each table with row-level security like every other. Meta's
 * webhooks find the tenant by the phone number id, and its verification handshake by the verify
 * token, before any tenant is known, so:
 *
 * - those two values have their own unique indexes across tenants (the only unique keys here that
 *   do not lead with `tenant_id`: each names exactly one tenant);
 * - the application role reads them only through two SECURITY DEFINER functions owned by the
 *   migrating role, `laas_find_whatsapp_by_phone_number_id(text)` and
 *   `laas_find_whatsapp_by_verify_token(text)`, as with the platform reads of 0001 (under FORCE
 *   ROW LEVEL SECURITY the owner needs its own SELECT policy for that).
 *
 * Meta redelivers messages: a `wa_message_id` is unique per tenant (a partial unique index, as
 * outbound messages have none until sent). `migratePg` grants the tables (`TABLES`) and EXECUTE on
 * the functions to the application role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.whatsapp_settings (
      tenant_id uuid NOT NULL,
      phone_number_id text NOT NULL,
      display_phone_number text NOT NULL,
      access_token_encrypted text NOT NULL,
      app_secret_encrypted text NOT NULL,
      verify_token text NOT NULL,
      enrollment_code text NOT NULL,
      language text NOT NULL,
      strings jsonb NOT NULL,
      template_name text,
      template_language text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT whatsapp_settings_pkey PRIMARY KEY (tenant_id)
    )`,
    `CREATE UNIQUE INDEX whatsapp_settings_phone_number_id_key ON ${s}.whatsapp_settings (phone_number_id)`,
    `CREATE UNIQUE INDEX whatsapp_settings_verify_token_key ON ${s}.whatsapp_settings (verify_token)`,
    ...rls(s, 'whatsapp_settings', 'tenant_id'),

    `CREATE TABLE ${s}.whatsapp_messages (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      direction text NOT NULL CHECK (direction IN ('in', 'out')),
      wa_message_id text,
      phone text NOT NULL,
      kind text NOT NULL,
      body jsonb NOT NULL,
      status text NOT NULL
        CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed', 'skipped')),
      error text,
      attempts integer NOT NULL,
      next_attempt_at timestamptz,
      locked_until timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT whatsapp_messages_pkey PRIMARY KEY (tenant_id, id)
    )`,
    `CREATE UNIQUE INDEX whatsapp_messages_wa_message_id_key ON ${s}.whatsapp_messages (tenant_id, wa_message_id)
      WHERE wa_message_id IS NOT NULL`,
    `CREATE INDEX whatsapp_messages_queue_idx ON ${s}.whatsapp_messages (tenant_id, status, next_attempt_at)`,
    `CREATE INDEX whatsapp_messages_phone_idx ON ${s}.whatsapp_messages (tenant_id, phone, id)`,
    ...rls(s, 'whatsapp_messages', 'tenant_id'),

    `CREATE TABLE ${s}.whatsapp_conversations (
      tenant_id uuid NOT NULL,
      phone text NOT NULL,
      last_inbound_at timestamptz,
      pending jsonb,
      updated_at timestamptz NOT NULL,
      CONSTRAINT whatsapp_conversations_pkey PRIMARY KEY (tenant_id, phone)
    )`,
    ...rls(s, 'whatsapp_conversations', 'tenant_id'),

    `CREATE POLICY owner_platform_read ON ${s}.whatsapp_settings FOR SELECT TO CURRENT_USER USING (true)`,
    `CREATE FUNCTION ${s}.laas_find_whatsapp_by_phone_number_id(p_phone_number_id text)
      RETURNS SETOF ${s}.whatsapp_settings
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.whatsapp_settings WHERE phone_number_id = p_phone_number_id $fn$`,
    `CREATE FUNCTION ${s}.laas_find_whatsapp_by_verify_token(p_verify_token text)
      RETURNS SETOF ${s}.whatsapp_settings
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.whatsapp_settings WHERE verify_token = p_verify_token $fn$`,
    `REVOKE ALL ON FUNCTION ${s}.laas_find_whatsapp_by_phone_number_id(text) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${s}.laas_find_whatsapp_by_verify_token(text) FROM PUBLIC`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
