import {
  type DatabaseIntrospector,
  Kysely,
  Migrator,
  PostgresDialect,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import {
  MIGRATION_LOCK_TABLE,
  MIGRATION_NAMES,
  MIGRATION_TABLE,
  migrationProvider,
} from './migrations/index.js';
import { checkIdentifier, DEFAULT_APP_ROLE, DEFAULT_SCHEMA, quoted } from './names.js';
import { guardPool } from './pool-guard.js';
import { TABLES } from './schema.js';

export interface PgMigrateOptions {
  /** An OWNER connection: a role that may create the schema (and the application role). */
  connectionString: string;
  /** Default `laas`. */
  schema?: string;
  /** The role the store connects as; created if missing. Default `laas_app`. */
  appRole?: string;
  /**
   * Sets the application role's password (needed unless pg_hba.conf trusts or otherwise
   * authenticates it). Left unchanged when omitted.
   */
  appPassword?: string;
}

/** The migrations recorded in `schema` (empty when the migration table does not exist yet). */
export async function appliedMigrations(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM ${sql.table(`${schema}.${MIGRATION_TABLE}`)} ORDER BY name`
    .execute(db)
    .catch((error: unknown) => {
      if ((error as { code?: unknown }).code === '42P01') return { rows: [] as { name: string }[] };
      throw error;
    });
  return rows.map((r) => r.name);
}

/** Throws when the database holds migrations this version of the adapter does not know. */
export function refuseUnknown(applied: readonly string[], schema: string): void {
  const unknown = applied.filter((name) => !MIGRATION_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `Schema "${schema}" has migrations this version of @laas/adapters-pg does not know (${unknown.join(', ')}): ` +
        'it was migrated by a newer version. Upgrade @laas/adapters-pg; refusing to run against it.',
    );
  }
}

/**
 * What Kysely's migrator asks the database (does the schema exist, does the migration table),
 * answered about this one schema only. Kysely's own PostgreSQL introspector lists the tables of
 * every schema with `has_schema_privilege(<name>, ...)`, which fails ("schema ... does not
 * exist") whenever another schema of the database is dropped while it runs: a migration must not
 * depend on what others do to their schemas.
 */
class SchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`
      SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname = ${this.schema}`.execute(this.db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${this.schema} AND c.relkind IN ('r', 'p')`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: this.schema, isView: false, columns: [] }));
  }

  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() };
  }
}

/** PostgreSQL, with {@link SchemaIntrospector} for the migrator. */
class MigrationDialect extends PostgresDialect {
  constructor(
    config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
}

/**
 * Migrates `schema` to the latest version, as the owner, then makes sure the application role
 * exists (LOGIN, NOSUPERUSER, NOBYPASSRLS) and holds exactly the privileges the store needs:
 * USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on the tables, SELECT on the migration table
 * (for `ping`), EXECUTE on the platform functions. Safe to run concurrently and repeatedly.
 */
export async function migratePg(options: PgMigrateOptions): Promise<{ applied: string[] }> {
  const schema = checkIdentifier('schema', options.schema ?? DEFAULT_SCHEMA);
  const appRole = checkIdentifier('role', options.appRole ?? DEFAULT_APP_ROLE);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 2 });
  guardPool(pool);
  const db = new Kysely<unknown>({ dialect: new MigrationDialect({ pool }, schema) });
  try {
    refuseUnknown(await appliedMigrations(db, schema), schema);
    const migrator = new Migrator({
      db,
      provider: migrationProvider({ schema: quoted(schema) }),
      migrationTableSchema: schema,
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw new Error(
        `Migrating schema "${schema}" failed${failed ? ` at ${failed}` : ''}: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    await ensureAppRole(db, schema, appRole, options.appPassword);
    return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  } finally {
    await db.destroy();
  }
}

async function ensureAppRole(
  db: Kysely<unknown>,
  schema: string,
  role: string,
  password?: string,
): Promise<void> {
  const r = quoted(role);
  const s = quoted(schema);
  await db.transaction().execute(async (trx) => {
    // One migratePg at a time per schema changes its grants (concurrent GRANTs on one object
    // can fail with "tuple concurrently updated").
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`laas:grants:${schema}`}))`.execute(trx);
    // Roles are cluster-wide: another database's migration may create it at the same moment.
    await sql
      .raw(
        `DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
            CREATE ROLE ${r} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$`,
      )
      .execute(trx);
    const { rows } = await sql<{ ok: boolean }>`
      SELECT rolcanlogin AND NOT rolsuper AND NOT rolbypassrls AS ok FROM pg_roles WHERE rolname = ${role}`.execute(
      trx,
    );
    if (rows[0]?.ok !== true) {
      await sql.raw(`ALTER ROLE ${r} LOGIN NOSUPERUSER NOBYPASSRLS`).execute(trx);
    }
    if (password !== undefined) {
      await sql.raw(`ALTER ROLE ${r} PASSWORD ${quoteLiteral(password)}`).execute(trx);
    }
    await sql.raw(`GRANT USAGE ON SCHEMA ${s} TO ${r}`).execute(trx);
    const tables = TABLES.map((t) => `${s}.${quoted(t)}`).join(', ');
    await sql.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables} TO ${r}`).execute(trx);
    await sql.raw(`GRANT SELECT ON ${s}.${quoted(MIGRATION_TABLE)} TO ${r}`).execute(trx);
    await sql
      .raw(
        `GRANT EXECUTE ON FUNCTION ${s}.laas_find_api_key(text), ${s}.laas_get_tenant(uuid),
          ${s}.laas_list_tenants(uuid, integer), ${s}.laas_find_ussd_settings(text),
          ${s}.laas_find_whatsapp_by_phone_number_id(text), ${s}.laas_find_whatsapp_by_verify_token(text),
          ${s}.laas_work_backlog(), ${s}.laas_find_shared_merchant(text),
          ${s}.laas_shared_merchants_of_phone(text, text),
          ${s}.laas_select_shared_merchant(text, uuid, timestamptz) TO ${r}`,
      )
      .execute(trx);
  });
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
