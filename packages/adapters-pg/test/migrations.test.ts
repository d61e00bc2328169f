import { describe, expect, it } from 'vitest';
import { MIGRATION_NAMES, migratePg, pgStore, TABLES } from '../src/index.js';
import { APP_ROLE, pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const MIGRATION_TABLES = ['laas_migration', 'laas_migration_lock'];
/** Unique indexes on a value alone, for a platform lookup (the gateway's service code). */
const GLOBAL_UNIQUE_INDEXES = [
  'ussd_settings_service_code_key',
  'whatsapp_settings_phone_number_id_key',
  'whatsapp_settings_verify_token_key',
  'shared_merchants_code_key',
];

describe.skipIf(!db.available)('migrations', () => {
  it('a second run is a no-op, and the store pings', async () => {
    expect(await migratePg({ connectionString: db.ownerUrl, schema: db.schema, appRole: APP_ROLE })).toEqual({
      applied: [],
    });
    const store = pgStore({ connectionString: db.appUrl, schema: db.schema });
    try {
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a fresh schema applies every migration; concurrent runs apply each once', async () => {
    const schema = `${db.schema}_x`;
    try {
      const runs = await Promise.all(
        [1, 2, 3].map(() => migratePg({ connectionString: db.ownerUrl, schema })),
      );
      expect(runs.flatMap((r) => r.applied).sort()).toEqual([...MIGRATION_NAMES].sort());
    } finally {
      await db.owner().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  // Several processes migrate at start, in databases where other schemas come and go (other
  // applications, other test files). Kysely's own introspection read every schema by name and
  // failed with "schema ... does not exist" in 23 runs of 30 under this churn.
  it('migrates while other schemas of the database are created and dropped', async () => {
    const owner = db.owner();
    let stop = false;
    let churned = 0;
    const churn = (async () => {
      while (!stop) {
        const other = `${db.schema}_churn_${churned++ % 3}`;
        await owner.query(
          `CREATE SCHEMA IF NOT EXISTS "${other}"; CREATE TABLE IF NOT EXISTS "${other}".t (a int)`,
        );
        await owner.query(`DROP SCHEMA "${other}" CASCADE`);
      }
    })();
    const schema = `${db.schema}_churned`;
    try {
      for (let run = 0; run < 12; run++) {
        await expect(migratePg({ connectionString: db.ownerUrl, schema })).resolves.toBeDefined();
      }
    } finally {
      stop = true;
      await churn;
      await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
    expect(churned).toBeGreaterThan(12);
  });

  it('ping rejects while migrations are pending', async () => {
    const schema = `${db.schema}_empty`;
    await db.owner().query(`CREATE SCHEMA "${schema}"`);
    const store = pgStore({ connectionString: db.ownerUrl, schema });
    try {
      await expect(store.ping()).rejects.toThrow(/pending migrations/);
    } finally {
      await store.close();
      await db.owner().query(`DROP SCHEMA "${schema}" CASCADE`);
    }
  });

  it('refuses a database that has a migration this code does not know', async () => {
    const owner = db.owner();
    await owner.query(
      `INSERT INTO "${db.schema}".laas_migration (name, timestamp) VALUES ('9999_from_the_future', now()::text)`,
    );
    const store = pgStore({ connectionString: db.appUrl, schema: db.schema });
    try {
      await expect(migratePg({ connectionString: db.ownerUrl, schema: db.schema })).rejects.toThrow(
        /9999_from_the_future.*does not know|does not know.*9999_from_the_future/,
      );
      await expect(store.ping()).rejects.toThrow(/does not know/);
    } finally {
      await store.close();
      await owner.query(`DELETE FROM "${db.schema}".laas_migration WHERE name = '9999_from_the_future'`);
    }
  });

  it('the schema holds exactly the known tables (plus the migration tables)', async () => {
    const { rows } = await db.owner().query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
      [db.schema],
    );
    expect(rows.map((r) => r.relname)).toEqual([...TABLES, ...MIGRATION_TABLES].sort());
  });

  it('every table has row-level security enabled and forced, with a tenant policy', async () => {
    const { rows } = await db.owner().query<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      policies: string[] | null;
    }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (SELECT array_agg(p.polname::text ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> ALL($2)`,
      [db.schema, MIGRATION_TABLES],
    );
    expect(rows).toHaveLength(TABLES.length);
    for (const row of rows) {
      expect({ table: row.relname, enabled: row.relrowsecurity, forced: row.relforcerowsecurity }).toEqual({
        table: row.relname,
        enabled: true,
        forced: true,
      });
      expect(row.policies, row.relname).toContain('tenant_isolation');
    }
  });

  it('every primary key and unique index leads with tenant_id (tenants: with its id)', async () => {
    const { rows } = await db
      .owner()
      .query<{ table: string; index: string; first: string; primary: boolean }>(
        `SELECT t.relname AS table, i.relname AS index, a.attname AS first, x.indisprimary AS primary
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
       WHERE n.nspname = $1 AND (x.indisunique OR x.indisprimary) AND t.relname <> ALL($2)`,
        [db.schema, MIGRATION_TABLES],
      );
    // Every table has a primary key.
    expect(new Set(rows.filter((r) => r.primary).map((r) => r.table))).toEqual(new Set(TABLES));
    for (const row of rows) {
      // Looked up by the platform before any tenant is known: unique across tenants on purpose.
      if (GLOBAL_UNIQUE_INDEXES.includes(row.index)) continue;
      expect(`${row.index}: ${row.first}`).toBe(
        `${row.index}: ${row.table === 'tenants' ? 'id' : 'tenant_id'}`,
      );
    }
    // The unique keys the ports rely on.
    expect(rows.map((r) => r.index)).toEqual(
      expect.arrayContaining([
        'customers_phone_key',
        'customers_external_ref_key',
        'events_idempotency_key_key',
        'api_keys_key_hash_key',
        'budget_periods_pkey',
        'cap_counters_pkey',
        'reward_codes_pkey',
        'idempotency_keys_pkey',
        'ussd_settings_service_code_key',
        'whatsapp_settings_phone_number_id_key',
        'whatsapp_settings_verify_token_key',
        'whatsapp_messages_wa_message_id_key',
      ]),
    );
  });

  // docs/scale-out.md: the schema distributes by tenant_id (Citus) because of what this checks.
  it('every table has a NOT NULL tenant_id; every primary, unique, exclusion and foreign key leads with it', async () => {
    const owner = db.owner();
    const { rows: columns } = await owner.query<{ table: string; notnull: boolean | null }>(
      `SELECT c.relname AS table, a.attnotnull AS notnull
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> ALL($2)`,
      [db.schema, [...MIGRATION_TABLES, 'tenants']],
    );
    expect(columns).toHaveLength(TABLES.length - 1);
    for (const row of columns) expect(`${row.table}: ${row.notnull}`).toBe(`${row.table}: true`);

    const { rows: keys } = await owner.query<{
      name: string;
      kind: 'p' | 'u' | 'x' | 'f';
      table: string;
      first: string;
      referenced: string | null;
      referenced_first: string | null;
    }>(
      `SELECT con.conname AS name, con.contype AS kind, t.relname AS table, a.attname AS first,
              rt.relname AS referenced, ra.attname AS referenced_first
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = con.conkey[1]
       LEFT JOIN pg_class rt ON rt.oid = con.confrelid
       LEFT JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
       WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'x', 'f') AND t.relname <> ALL($2)`,
      [db.schema, MIGRATION_TABLES],
    );
    const lead = (table: string | null) => (table === 'tenants' ? 'id' : 'tenant_id');
    for (const key of keys) {
      if (GLOBAL_UNIQUE_INDEXES.includes(key.name)) continue;
      expect(`${key.name}: ${key.first}`).toBe(`${key.name}: ${lead(key.table)}`);
      // A foreign key joins within one tenant (co-located shards): both sides lead with the tenant.
      if (key.kind === 'f')
        expect(`${key.name} -> ${key.referenced}: ${key.referenced_first}`).toBe(
          `${key.name} -> ${key.referenced}: ${lead(key.referenced)}`,
        );
    }
    expect(
      keys
        .filter((k) => k.kind === 'p')
        .map((k) => k.table)
        .sort(),
    ).toEqual([...TABLES].sort());
  });

  it('the application role holds DML on the tables and nothing more', async () => {
    const { rows } = await db.owner().query<{ table: string; privileges: string[] }>(
      `SELECT table_name AS table, array_agg(privilege_type::text ORDER BY privilege_type) AS privileges
       FROM information_schema.role_table_grants
       WHERE table_schema = $1 AND grantee = $2 GROUP BY table_name`,
      [db.schema, APP_ROLE],
    );
    const byTable = Object.fromEntries(rows.map((r) => [r.table, r.privileges]));
    for (const table of TABLES)
      expect(byTable[table], table).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    expect(byTable.laas_migration).toEqual(['SELECT']);
    expect(byTable.laas_migration_lock).toBeUndefined();
  });

  // Every ingest updates its customer's counters; an update that changes no indexed column and
  // finds room on its page is HOT (no new index entries), see 0015_hot_customer_updates.
  it('no index of customers covers a column the per-event updates write, and pages leave room for them', async () => {
    const owner = db.owner();
    const { rows } = await owner.query<{ index: string; definition: string }>(
      `SELECT indexname AS index, indexdef AS definition FROM pg_indexes
       WHERE schemaname = $1 AND tablename = 'customers'`,
      [db.schema],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const volatile of ['stats_counts', 'total_spend', 'last_event_at', 'points_balance']) {
      for (const row of rows) expect(row.definition, row.index).not.toContain(volatile);
    }
    const { rows: options } = await owner.query<{ options: string[] | null }>(
      `SELECT c.reloptions AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = 'customers'`,
      [db.schema],
    );
    expect(options[0]?.options).toContain('fillfactor=80');
  });

  it('no two indexes of a table are the same index', async () => {
    const { rows } = await db.owner().query<{ table: string; indexes: string[] }>(
      `SELECT x.indrelid::regclass::text AS table, array_agg(x.indexrelid::regclass::text ORDER BY 1) AS indexes
       FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = $1
       GROUP BY x.indrelid, x.indkey::text, x.indclass::text, pg_get_expr(x.indexprs, x.indrelid),
         pg_get_expr(x.indpred, x.indrelid), (SELECT amname FROM pg_am a JOIN pg_class i ON i.relam = a.oid WHERE i.oid = x.indexrelid)
       HAVING count(*) > 1`,
      [db.schema],
    );
    expect(rows).toEqual([]);
  });
});
