import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

/** The tables whose rows are a tenant's configuration (ingest reads them and never writes them). */
const CONFIG_TABLES = ['rules', 'rewards', 'budgets', 'campaigns', 'tier_programmes'] as const;

/**
 * `tenants.config_version`: a counter the engine caches a tenant's configuration under
 * (`TenantRepository.getVersioned`). Triggers bump it, rather than the repositories: they run in
 * the writing transaction whoever writes (any engine process, the CLI, a hand-written fix), so no
 * writer can forget it. Only configuration tables carry one: nothing ingest writes (customers,
 * events, budget periods and ledgers, issuances, points) touches the tenant row, so ingests never
 * queue on its row lock. The bump runs as the writer, under row-level security: the tenant's own
 * transaction (`laas.tenant_id`) is the one that may update its row. The tenant's own update bumps
 * it in a BEFORE trigger on the columns it writes, so the bump (which sets `config_version` alone)
 * does not fire it again.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `ALTER TABLE ${s}.tenants ADD COLUMN config_version bigint NOT NULL DEFAULT 0`,
    `CREATE FUNCTION ${s}.laas_config_changed() RETURNS trigger
      LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
      AS $fn$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          UPDATE ${s}.tenants SET config_version = config_version + 1 WHERE id = OLD.tenant_id;
        ELSE
          UPDATE ${s}.tenants SET config_version = config_version + 1 WHERE id = NEW.tenant_id;
        END IF;
        RETURN NULL;
      END $fn$`,
    ...CONFIG_TABLES.map(
      (table) =>
        `CREATE TRIGGER ${table}_config_version AFTER INSERT OR UPDATE OR DELETE ON ${s}.${table}
          FOR EACH ROW EXECUTE FUNCTION ${s}.laas_config_changed()`,
    ),
    `CREATE FUNCTION ${s}.laas_tenant_changed() RETURNS trigger
      LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
      AS $fn$
      BEGIN
        NEW.config_version := OLD.config_version + 1;
        RETURN NEW;
      END $fn$`,
    `CREATE TRIGGER tenants_config_version BEFORE UPDATE OF name, timezone, settings ON ${s}.tenants
      FOR EACH ROW EXECUTE FUNCTION ${s}.laas_tenant_changed()`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
