import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * The audit trail (`tx.audit`), with row-level security like every tenant table. Every key leads
 * with `tenant_id`; lists filter by actor, entity or action and page by id (UUIDv7, newest first),
 * and the retention purge deletes by `at`. `entity_id` and `actor_id` are text: a JWT's subject is
 * any string. `migratePg` grants the table (`TABLES`) to the application role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.audit_log (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      at timestamptz NOT NULL,
      actor_kind text NOT NULL,
      actor_id text,
      actor_role text NOT NULL,
      method text NOT NULL,
      route text NOT NULL,
      action text NOT NULL,
      entity_type text NOT NULL,
      entity_id text,
      before_state jsonb,
      after_state jsonb,
      request_id text,
      CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, id)
    )`,
    `CREATE INDEX audit_log_at_idx ON ${s}.audit_log (tenant_id, at)`,
    `CREATE INDEX audit_log_entity_idx ON ${s}.audit_log (tenant_id, entity_type, entity_id, id)`,
    `CREATE INDEX audit_log_actor_idx ON ${s}.audit_log (tenant_id, actor_id, id)`,
    ...rls(s, 'audit_log', 'tenant_id'),
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
