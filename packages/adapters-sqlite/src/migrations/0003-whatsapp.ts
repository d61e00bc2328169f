import { type Kysely, sql } from 'kysely';

/**
 * The WhatsApp channel: one settings row per tenant, every message received and sent, and one
 * conversation per customer phone. Meta's webhooks find the tenant by the phone number id, and its
 * verification handshake by the verify token, before any tenant is known: those two have their
 * own unique indexes across tenants (the only unique keys here that do not lead with
 * `tenant_id`). Meta redelivers messages, so a `wa_message_id` is unique per tenant.
 */
const statements = [
  `CREATE TABLE whatsapp_settings (
    tenant_id TEXT NOT NULL,
    phone_number_id TEXT NOT NULL,
    display_phone_number TEXT NOT NULL,
    access_token_encrypted TEXT NOT NULL,
    app_secret_encrypted TEXT NOT NULL,
    verify_token TEXT NOT NULL,
    enrollment_code TEXT NOT NULL,
    language TEXT NOT NULL,
    strings TEXT NOT NULL,
    template_name TEXT,
    template_language TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
  ) STRICT`,
  'CREATE UNIQUE INDEX whatsapp_settings_phone_number_id ON whatsapp_settings (phone_number_id)',
  'CREATE UNIQUE INDEX whatsapp_settings_verify_token ON whatsapp_settings (verify_token)',

  `CREATE TABLE whatsapp_messages (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    wa_message_id TEXT,
    phone TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL
      CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed', 'skipped')),
    error TEXT,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  `CREATE UNIQUE INDEX whatsapp_messages_wa_id ON whatsapp_messages (tenant_id, wa_message_id)
    WHERE wa_message_id IS NOT NULL`,
  'CREATE INDEX whatsapp_messages_queue ON whatsapp_messages (tenant_id, status, next_attempt_at)',
  'CREATE INDEX whatsapp_messages_phone ON whatsapp_messages (tenant_id, phone, id)',

  `CREATE TABLE whatsapp_conversations (
    tenant_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    last_inbound_at TEXT,
    pending TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, phone)
  ) STRICT`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP TABLE IF EXISTS whatsapp_conversations',
    'DROP TABLE IF EXISTS whatsapp_messages',
    'DROP TABLE IF EXISTS whatsapp_settings',
  ])
    await sql.raw(statement).execute(db);
}
