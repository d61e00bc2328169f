import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * Outbound webhooks and the background worker: outbox rows remember when they were fanned out
 * (`dispatched_at`), subscriptions keep their previous secret during a rotation and count failed
 * deliveries, and every delivery and each of its attempts is a row. Both new tables lead every key
 * with `tenant_id` and get the same row-level security as the others (ENABLE + FORCE, one
 * `tenant_isolation` policy); `migratePg` grants them to the application role with the rest
 * (`TABLES`). Indexes for the worker's scans and the scheduled events.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `ALTER TABLE ${s}.outbox ADD COLUMN dispatched_at timestamptz`,
    `CREATE INDEX outbox_undispatched_idx ON ${s}.outbox (tenant_id, id) WHERE dispatched_at IS NULL`,

    `ALTER TABLE ${s}.webhook_subscriptions ADD COLUMN previous_secret text`,
    `ALTER TABLE ${s}.webhook_subscriptions ADD COLUMN previous_secret_expires_at timestamptz`,
    `ALTER TABLE ${s}.webhook_subscriptions ADD COLUMN failure_count integer NOT NULL DEFAULT 0`,

    `CREATE TABLE ${s}.webhook_deliveries (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      subscription_id uuid NOT NULL,
      outbox_id uuid NOT NULL,
      event_type text NOT NULL,
      payload text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL,
      next_attempt_at timestamptz,
      locked_until timestamptz,
      last_status integer,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (tenant_id, id)
    )`,
    `CREATE INDEX webhook_deliveries_due_idx ON ${s}.webhook_deliveries (tenant_id, next_attempt_at)
      WHERE status = 'pending'`,
    `CREATE INDEX webhook_deliveries_subscription_idx ON ${s}.webhook_deliveries (tenant_id, subscription_id, id)`,
    ...rls(s, 'webhook_deliveries', 'tenant_id'),

    `CREATE TABLE ${s}.webhook_attempts (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      delivery_id uuid NOT NULL,
      at timestamptz NOT NULL,
      status_code integer,
      duration_ms integer NOT NULL,
      response_excerpt text NOT NULL,
      error text,
      CONSTRAINT webhook_attempts_pkey PRIMARY KEY (tenant_id, id)
    )`,
    `CREATE INDEX webhook_attempts_delivery_idx ON ${s}.webhook_attempts (tenant_id, delivery_id, at)`,
    ...rls(s, 'webhook_attempts', 'tenant_id'),
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
