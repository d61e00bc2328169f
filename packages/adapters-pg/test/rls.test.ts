/**
 * Row-level security, proven with raw SQL as the application role (not through the repositories,
 * which also filter by tenant_id): inside tenant A's transaction no row of tenant B is visible or
 * writable, and with no tenant set nothing is visible at all.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../src/index.js';
import { APP_ROLE, pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const A = randomUUID();
const B = randomUUID();
const ROWS_PER_TENANT = 2;

/** The tenant column of a table: `id` for tenants, `tenant_id` everywhere else. */
const tenantColumn = (table: string) => (table === 'tenants' ? 'id' : 'tenant_id');
/** Tables whose primary key is the tenant alone (one row per tenant: the tenant, its settings). */
const ONE_ROW_TABLES = new Set([
  'tenants',
  'ussd_settings',
  'whatsapp_settings',
  'shared_merchants',
  'tier_programmes',
]);
/** Rows seeded per tenant. */
const rowsOf = (table: string) => (ONE_ROW_TABLES.has(table) ? 1 : ROWS_PER_TENANT);

interface Column {
  column_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

/** A value for a NOT NULL column that satisfies the schema's CHECK constraints. */
function valueFor(table: string, column: Column, tenantId: string): unknown {
  if (column.column_name === tenantColumn(table)) return tenantId;
  if (table === 'customers' && column.column_name === 'status') return 'active';
  if (table === 'issuances' && column.column_name === 'state') return 'issued';
  if (table === 'webhook_deliveries' && column.column_name === 'status') return 'pending';
  if (table === 'whatsapp_messages' && column.column_name === 'direction') return 'out';
  if (table === 'whatsapp_messages' && column.column_name === 'status') return 'queued';
  if (table === 'referrals' && column.column_name === 'status') return 'pending';
  switch (column.data_type) {
    case 'uuid':
      return randomUUID();
    case 'text':
      return `x-${randomUUID()}`;
    case 'jsonb':
      return '{}';
    case 'timestamp with time zone':
      return new Date().toISOString();
    case 'bigint':
    case 'integer':
    case 'double precision':
      return 1;
    case 'boolean':
      return false;
    case 'date':
      return '2026-11-02';
    default:
      throw new Error(`no test value for ${table}.${column.column_name} (${column.data_type})`);
  }
}

async function seed(owner: pg.Client, schema: string, table: string, tenantId: string): Promise<void> {
  const { rows: columns } = await owner.query<Column>(
    `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  const required = columns.filter((c) => c.is_nullable === 'NO' && c.column_default === null);
  const count = rowsOf(table);
  for (let i = 0; i < count; i++) {
    const names = required.map((c) => `"${c.column_name}"`).join(', ');
    const params = required.map((_, j) => `$${j + 1}`).join(', ');
    await owner.query(
      `INSERT INTO "${schema}"."${table}" (${names}) VALUES (${params})`,
      required.map((c) => valueFor(table, c, tenantId)),
    );
  }
}

describe.skipIf(!db.available)('row-level security (raw SQL as the application role)', () => {
  let app: pg.Client;

  beforeAll(async () => {
    for (const table of TABLES) {
      await seed(db.owner(), db.schema, table, A);
      await seed(db.owner(), db.schema, table, B);
    }
    app = new pg.Client({ connectionString: db.appUrl });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
  });

  async function asTenant<T>(tenantId: string | null, fn: () => Promise<T>): Promise<T> {
    await app.query('BEGIN');
    try {
      if (tenantId !== null) await app.query(`SELECT set_config('laas.tenant_id', $1, true)`, [tenantId]);
      return await fn();
    } finally {
      await app.query('ROLLBACK');
    }
  }

  it('the application role is neither superuser, nor BYPASSRLS, nor the owner of any table', async () => {
    const { rows } = await app.query<{
      rolsuper: boolean;
      rolbypassrls: boolean;
      rolcanlogin: boolean;
      user: string;
    }>(
      'SELECT rolsuper, rolbypassrls, rolcanlogin, current_user AS user FROM pg_roles WHERE rolname = current_user',
    );
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcanlogin: true, user: APP_ROLE }]);
    const owned = await app.query(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tableowner = $2',
      [db.schema, APP_ROLE],
    );
    expect(owned.rows).toEqual([]);
  });

  it('the owner sees both tenants (the seed is really there)', async () => {
    for (const table of TABLES) {
      const { rows } = await db
        .owner()
        .query<{ n: string }>(
          `SELECT count(*) AS n FROM "${db.schema}"."${table}" WHERE ${tenantColumn(table)} IN ($1, $2)`,
          [A, B],
        );
      expect(Number(rows[0]?.n), table).toBe(2 * rowsOf(table));
    }
  });

  for (const table of TABLES) {
    it(`${table}: tenant A's transaction sees only A's rows and cannot change B's`, async () => {
      const column = tenantColumn(table);
      await asTenant(A, async () => {
        const all = await app.query<Record<string, unknown>>(`SELECT * FROM "${db.schema}"."${table}"`);
        expect(all.rows.length).toBe(rowsOf(table));
        expect(all.rows.every((r) => r[column] === A)).toBe(true);
        const ofB = await app.query(`SELECT * FROM "${db.schema}"."${table}" WHERE ${column} = $1`, [B]);
        expect(ofB.rows).toEqual([]);
        const updated = await app.query(
          `UPDATE "${db.schema}"."${table}" SET ${column} = ${column} WHERE ${column} = $1`,
          [B],
        );
        expect(updated.rowCount).toBe(0);
        const deleted = await app.query(`DELETE FROM "${db.schema}"."${table}" WHERE ${column} = $1`, [B]);
        expect(deleted.rowCount).toBe(0);
      });
      // Moving A's own rows to B is refused by the WITH CHECK clause.
      await asTenant(A, async () => {
        await expect(
          app.query(`UPDATE "${db.schema}"."${table}" SET ${column} = $1 WHERE ${column} = $2`, [B, A]),
        ).rejects.toMatchObject({ code: '42501' });
      });
    });

    it(`${table}: with no tenant set, nothing is visible`, async () => {
      await asTenant(null, async () => {
        const { rows } = await app.query(`SELECT * FROM "${db.schema}"."${table}"`);
        expect(rows).toEqual([]);
        const updated = await app.query(
          `UPDATE "${db.schema}"."${table}" SET ${tenantColumn(table)} = ${tenantColumn(table)}`,
        );
        expect(updated.rowCount).toBe(0);
      });
      // Outside any transaction too (the setting is transaction-local and was never set).
      const { rows } = await app.query(`SELECT * FROM "${db.schema}"."${table}"`);
      expect(rows).toEqual([]);
    });
  }

  it('inserting a row of tenant B inside A\u2019s transaction is refused', async () => {
    await asTenant(A, async () => {
      await expect(
        app.query(
          `INSERT INTO "${db.schema}".outbox (tenant_id, id, type, data, created_at) VALUES ($1, $2, 'x', '{}', now())`,
          [B, randomUUID()],
        ),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('the platform functions are the narrow way past RLS: tenants by id, api keys by hash', async () => {
    const key = await db
      .owner()
      .query<{ key_hash: string }>(
        `SELECT key_hash FROM "${db.schema}".api_keys WHERE tenant_id = $1 LIMIT 1`,
        [B],
      );
    const hash = key.rows[0]!.key_hash;
    await asTenant(null, async () => {
      const direct = await app.query(`SELECT * FROM "${db.schema}".api_keys WHERE key_hash = $1`, [hash]);
      expect(direct.rows).toEqual([]);
      const viaFn = await app.query(`SELECT * FROM "${db.schema}".laas_find_api_key($1)`, [hash]);
      expect(viaFn.rows).toMatchObject([{ tenant_id: B, key_hash: hash }]);
      const tenant = await app.query(`SELECT * FROM "${db.schema}".laas_get_tenant($1)`, [B]);
      expect(tenant.rows).toMatchObject([{ id: B }]);
      const list = await app.query<{ id: string }>(
        `SELECT * FROM "${db.schema}".laas_list_tenants(NULL, 10)`,
      );
      expect(list.rows.map((r) => r.id).sort()).toEqual([A, B].sort());
    });
  });

  it('the USSD platform function finds one tenant\u2019s settings by service code, nothing else', async () => {
    const code = await db
      .owner()
      .query<{ service_code: string }>(
        `SELECT service_code FROM "${db.schema}".ussd_settings WHERE tenant_id = $1`,
        [B],
      );
    const serviceCode = code.rows[0]!.service_code;
    await asTenant(null, async () => {
      const direct = await app.query(`SELECT * FROM "${db.schema}".ussd_settings WHERE service_code = $1`, [
        serviceCode,
      ]);
      expect(direct.rows).toEqual([]);
      const viaFn = await app.query(`SELECT * FROM "${db.schema}".laas_find_ussd_settings($1)`, [
        serviceCode,
      ]);
      expect(viaFn.rows).toMatchObject([{ tenant_id: B, service_code: serviceCode }]);
      const none = await app.query(`SELECT * FROM "${db.schema}".laas_find_ussd_settings($1)`, ['*0#']);
      expect(none.rows).toEqual([]);
    });
  });

  it('the WhatsApp platform functions find one tenant\u2019s settings by phone number id or verify token, nothing else', async () => {
    const settings = await db
      .owner()
      .query<{ phone_number_id: string; verify_token: string }>(
        `SELECT phone_number_id, verify_token FROM "${db.schema}".whatsapp_settings WHERE tenant_id = $1`,
        [B],
      );
    const { phone_number_id: phoneNumberId, verify_token: verifyToken } = settings.rows[0]!;
    await asTenant(null, async () => {
      const direct = await app.query(
        `SELECT * FROM "${db.schema}".whatsapp_settings WHERE phone_number_id = $1 OR verify_token = $2`,
        [phoneNumberId, verifyToken],
      );
      expect(direct.rows).toEqual([]);
      const byId = await app.query(`SELECT * FROM "${db.schema}".laas_find_whatsapp_by_phone_number_id($1)`, [
        phoneNumberId,
      ]);
      expect(byId.rows).toMatchObject([{ tenant_id: B, phone_number_id: phoneNumberId }]);
      const byToken = await app.query(`SELECT * FROM "${db.schema}".laas_find_whatsapp_by_verify_token($1)`, [
        verifyToken,
      ]);
      expect(byToken.rows).toMatchObject([{ tenant_id: B, verify_token: verifyToken }]);
      // Each function matches its own column only.
      const crossed = await app.query(`SELECT * FROM "${db.schema}".laas_find_whatsapp_by_verify_token($1)`, [
        phoneNumberId,
      ]);
      expect(crossed.rows).toEqual([]);
      const none = await app.query(`SELECT * FROM "${db.schema}".laas_find_whatsapp_by_phone_number_id($1)`, [
        '000',
      ]);
      expect(none.rows).toEqual([]);
    });
  });

  it('the application role cannot change the schema or drop the policies', async () => {
    await expect(
      app.query(`ALTER TABLE "${db.schema}".customers DISABLE ROW LEVEL SECURITY`),
    ).rejects.toMatchObject({
      code: '42501',
    });
    await expect(app.query(`CREATE TABLE "${db.schema}".sneaky (id int)`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      app.query(`SET row_security = off; SELECT * FROM "${db.schema}".customers`),
    ).rejects.toMatchObject({
      code: '42501',
    });
  });
});
