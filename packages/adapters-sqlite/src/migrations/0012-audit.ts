import { type Kysely, sql } from 'kysely';

/**
 * The audit trail (`tx.audit`). Every key leads with `tenant_id`; lists filter by actor, entity or
 * action and page by id (UUIDv7, newest first), and the retention purge deletes by `at`.
 */
const statements = [
  `CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    before_state TEXT NOT NULL,
    after_state TEXT NOT NULL,
    request_id TEXT,
    PRIMARY KEY (tenant_id, id)
  ) STRICT`,
  'CREATE INDEX audit_log_at ON audit_log (tenant_id, at)',
  'CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_type, entity_id, id)',
  'CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id, id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE IF EXISTS audit_log').execute(db);
}
