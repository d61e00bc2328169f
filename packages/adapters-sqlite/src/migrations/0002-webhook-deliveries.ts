import { type Kysely, sql } from 'kysely';

/**
 * Outbound webhooks and the background worker: outbox rows remember when they were fanned out,
 * subscriptions keep their previous secret during a rotation and count failed deliveries, and
 * every delivery and each of its attempts is a row. Indexes for the scheduled events (birthdays,
 * inactivity). Every key leads with `tenant_id`.
 */
const statements = [
  'ALTER TABLE outbox ADD COLUMN dispatched_at TEXT',
  'CREATE INDEX outbox_undispatched ON outbox (tenant_id, id) WHERE dispatched_at IS NULL',

  'ALTER TABLE webhook_subscriptions ADD COLUMN previous_secret TEXT',
  'ALTER TABLE webhook_subscriptions ADD COLUMN previous_secret_expires_at TEXT',
  'ALTER TABLE webhook_subscriptions ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0',

  `CREATE TABLE webhook_deliveries (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    outbox_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT,
    locked_until TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, next_attempt_at)
    WHERE status = 'pending'`,
  'CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (tenant_id, subscription_id, id)',

  `CREATE TABLE webhook_attempts (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    at TEXT NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    response_excerpt TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant_id, delivery_id, at)',

  'CREATE INDEX customers_birthday ON customers (tenant_id, substr(birthday, 6)) WHERE birthday IS NOT NULL',
  'CREATE INDEX customers_last_event ON customers (tenant_id, last_event_at)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    'DROP INDEX IF EXISTS customers_last_event',
    'DROP INDEX IF EXISTS customers_birthday',
    'DROP TABLE IF EXISTS webhook_attempts',
    'DROP TABLE IF EXISTS webhook_deliveries',
    'ALTER TABLE webhook_subscriptions DROP COLUMN failure_count',
    'ALTER TABLE webhook_subscriptions DROP COLUMN previous_secret_expires_at',
    'ALTER TABLE webhook_subscriptions DROP COLUMN previous_secret',
    'DROP INDEX IF EXISTS outbox_undispatched',
    'ALTER TABLE outbox DROP COLUMN dispatched_at',
  ])
    await sql.raw(statement).execute(db);
}
