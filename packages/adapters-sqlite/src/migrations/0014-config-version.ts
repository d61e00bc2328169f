import { type Kysely, sql } from 'kysely';

/** The tables whose rows are a tenant's configuration (ingest reads them and never writes them). */
const CONFIG_TABLES = ['rules', 'rewards', 'budgets', 'campaigns', 'tier_programmes'] as const;
const OPERATIONS = ['INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * `tenants.config_version`: a counter the engine caches a tenant's configuration under
 * (`TenantRepository.getVersioned`). Triggers bump it, rather than the repositories: they run in
 * the writing transaction whoever writes (this process, another process on the same file, the
 * CLI, a hand-written fix), so no writer can forget it. Only configuration tables carry one:
 * nothing ingest writes (customers, events, budget periods and ledgers, issuances, points) touches
 * the tenant row. The tenant's own update bumps it only through the columns it writes (`UPDATE OF`),
 * so the bump itself (which sets `config_version` alone) does not fire it again.
 */
const statements = [
  'ALTER TABLE tenants ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0',
  ...CONFIG_TABLES.flatMap((table) =>
    OPERATIONS.map((op) => {
      const row = op === 'DELETE' ? 'OLD' : 'NEW';
      return `CREATE TRIGGER ${table}_${op.toLowerCase()}_config_version AFTER ${op} ON ${table}
        BEGIN
          UPDATE tenants SET config_version = config_version + 1 WHERE tenant_id = ${row}.tenant_id;
        END`;
    }),
  ),
  `CREATE TRIGGER tenants_update_config_version AFTER UPDATE OF name, timezone, settings ON tenants
    BEGIN
      UPDATE tenants SET config_version = config_version + 1 WHERE tenant_id = NEW.tenant_id;
    END`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TRIGGER IF EXISTS tenants_update_config_version').execute(db);
  for (const table of CONFIG_TABLES) {
    for (const op of OPERATIONS) {
      await sql.raw(`DROP TRIGGER IF EXISTS ${table}_${op.toLowerCase()}_config_version`).execute(db);
    }
  }
  await sql.raw('ALTER TABLE tenants DROP COLUMN config_version').execute(db);
}
