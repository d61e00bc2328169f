import { DEFAULT_TENANT_SETTINGS, type GlobalCapClaim, newId } from '@laas/core';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, sqliteStore } from '../src/index.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from '../src/migrations/index.js';
import { tempDatabase } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Unique indexes on a value alone, for a platform lookup (the gateway's service code). */
const GLOBAL_UNIQUE_INDEXES = [
  'ussd_settings_service_code',
  'whatsapp_settings_phone_number_id',
  'whatsapp_settings_verify_token',
  'shared_merchants_code',
];

function fileStore(options: Parameters<typeof sqliteStore>[1] = {}) {
  const db = tempDatabase();
  cleanups.push(db.remove);
  const store = sqliteStore({ filename: db.filename }, options);
  cleanups.push(() => store.close());
  return { store, filename: db.filename };
}

describe('migrations', () => {
  it('applies every known migration once; migrating again is a no-op', async () => {
    const { store } = fileStore();
    expect(await store.migrate()).toEqual({ applied: Object.keys(MIGRATIONS) });
    expect(await store.migrate()).toEqual({ applied: [] });
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('creates every table the ports touch, each with tenant_id', async () => {
    const { store } = fileStore();
    await store.migrate();
    const tables = store.connection
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'laas_sqlite_%' AND name NOT LIKE 'sqlite_%'",
      )
      .all() as Array<{ name: string }>;
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        'tenants',
        'audit_log',
        'customers',
        'events',
        'rules',
        'rewards',
        'reward_codes',
        'issuances',
        'budgets',
        'budget_periods',
        'budget_ledger',
        'points_lots',
        'points_ledger',
        'campaigns',
        'cap_counters',
        'webhook_subscriptions',
        'outbox',
        'webhook_deliveries',
        'webhook_attempts',
        'api_keys',
        'idempotency_keys',
        'ussd_settings',
        'whatsapp_settings',
        'whatsapp_messages',
        'whatsapp_conversations',
        'refunds',
        'referral_codes',
        'referrals',
        'reminders',
        'shared_merchants',
        'platform_channels',
        'shared_selections',
        'tier_programmes',
        'customer_tiers',
        'tier_buckets',
      ].sort(),
    );
    for (const { name } of tables) {
      const columns = store.connection
        .prepare(`SELECT name, pk FROM pragma_table_info('${name}')`)
        .all() as Array<{
        name: string;
        pk: number;
      }>;
      expect(columns.map((c) => c.name)).toContain('tenant_id');
      // The primary key leads with tenant_id.
      expect(columns.find((c) => c.pk === 1)?.name).toBe('tenant_id');
      // So does every unique index.
      const indexes = store.connection
        .prepare(`SELECT name FROM pragma_index_list('${name}') WHERE "unique" = 1`)
        .all() as Array<{
        name: string;
      }>;
      for (const index of indexes) {
        // Looked up by the platform before any tenant is known: unique across tenants on purpose.
        if (GLOBAL_UNIQUE_INDEXES.includes(index.name)) continue;
        const first = store.connection
          .prepare(`SELECT name FROM pragma_index_info('${index.name}') WHERE seqno = 0`)
          .get() as {
          name: string;
        };
        expect(first.name, `${name}.${index.name}`).toBe('tenant_id');
      }
    }
  });

  it('ping rejects while migrations are pending', async () => {
    const { store } = fileStore();
    // Every migration this version knows is named as pending, in order.
    const pending = Object.keys(MIGRATIONS).join(', ');
    await expect(store.ping()).rejects.toThrow(/pending migrations \(.*\).*migrate\(\)/);
    await expect(store.ping()).rejects.toThrow(pending);
    await expect(store.ping()).rejects.toThrow();
    await store.migrate();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('refuses a database migrated by a newer version (an unknown migration), changing nothing', async () => {
    const { store, filename } = fileStore();
    await store.migrate();
    store.connection
      .prepare('INSERT INTO laas_sqlite_migration (name, timestamp) VALUES (?, ?)')
      .run('9999-from-the-future', new Date().toISOString());
    await expect(store.migrate()).rejects.toThrow(
      /newer version of @laas\/adapters-sqlite.*9999-from-the-future/,
    );
    await expect(store.ping()).rejects.toThrow(/newer version/);
    // Another store on the same file refuses it too.
    const again = sqliteStore({ filename });
    cleanups.push(() => again.close());
    await expect(again.migrate()).rejects.toThrow(/9999-from-the-future/);
  });

  it('0006 re-keys calendar cap counters as every store does, and a claim counts on from them', async () => {
    const { store } = fileStore();
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: store.connection }) });
    const upTo0005 = new Migrator({
      db,
      provider: {
        async getMigrations() {
          return Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '0006'));
        },
      },
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
    });
    expect((await upTo0005.migrateToLatest()).error).toBeUndefined();
    const tenantId = newId();
    const ruleId = newId();
    const counter = store.connection.prepare(
      'INSERT INTO cap_counters (tenant_id, rule_id, cap_key, window_key, count) VALUES (?, ?, ?, ?, ?)',
    );
    counter.run(tenantId, ruleId, '0:week:3', '2026-W44', 2);
    counter.run(tenantId, ruleId, '1:lifetime:5', 'lifetime', 4);
    expect(await store.migrate()).toEqual({
      applied: Object.keys(MIGRATIONS).filter((name) => name >= '0006'),
    });
    const keys = store.connection
      .prepare('SELECT window_key FROM cap_counters WHERE tenant_id = ? ORDER BY window_key')
      .all(tenantId);
    expect(keys).toEqual([{ window_key: 'calendar:2026-W44' }, { window_key: 'lifetime' }]);
    const tenant = { name: 'Shop', timezone: 'UTC', settings: { ...DEFAULT_TENANT_SETTINGS } };
    await store.transaction(tenantId, (tx) =>
      tx.tenants.insert({ id: tenantId, ...tenant, created_at: '2026-11-01T09:00:00.000Z' }),
    );
    const claim = (window: GlobalCapClaim['window'], capKey: string, max: number) =>
      store.transaction(tenantId, (tx) => tx.caps.claimGlobal({ ruleId, capKey, window, max }));
    // The week's 2 of 3 and the lifetime's 4 of 5 carried over: one more each, then no more.
    expect(await claim({ kind: 'calendar', key: '2026-W44' }, '0:week:3', 3)).toBe(true);
    expect(await claim({ kind: 'calendar', key: '2026-W44' }, '0:week:3', 3)).toBe(false);
    expect(await claim({ kind: 'lifetime' }, '1:lifetime:5', 5)).toBe(true);
    expect(await claim({ kind: 'lifetime' }, '1:lifetime:5', 5)).toBe(false);
  });

  it('rolls a failed migration run back whole', async () => {
    const { store } = fileStore();
    store.connection.exec('CREATE TABLE events (x INTEGER)'); // collides with 0001-initial
    await expect(store.migrate()).rejects.toThrow();
    const tables = store.connection
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'customers'")
      .all();
    expect(tables).toEqual([]);
    expect(store.connection.inTransaction).toBe(false);
  });
});

describe('pragmas', () => {
  it('defaults to WAL, synchronous=NORMAL, busy_timeout=5000, foreign_keys=ON, temp_store=MEMORY', () => {
    const { store } = fileStore();
    const db = store.connection;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('temp_store', { simple: true })).toBe(2);
  });

  it('takes overrides', () => {
    const { store } = fileStore({
      pragmas: { journalMode: 'DELETE', synchronous: 'FULL', busyTimeoutMs: 1234 },
    });
    const db = store.connection;
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('takes overrides in the first argument too, and refuses nonsense', () => {
    const db = tempDatabase();
    cleanups.push(db.remove);
    const store = sqliteStore({ filename: db.filename, pragmas: { synchronous: 'OFF' } });
    cleanups.push(() => store.close());
    expect(store.connection.pragma('synchronous', { simple: true })).toBe(0);
    expect(() => sqliteStore({ pragmas: { synchronous: 'SOMETIMES' as 'OFF' } })).toThrow(/synchronous/);
  });

  it("sets them on a caller's connection, and leaves that connection open on close()", async () => {
    const file = tempDatabase();
    cleanups.push(file.remove);
    const db = new Database(file.filename);
    cleanups.push(() => db.close());
    const store = sqliteStore(db, { pragmas: { busyTimeoutMs: 777 } });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(777);
    await store.migrate();
    await store.close();
    expect(db.open).toBe(true);
    await expect(store.ping()).rejects.toThrow(/closed/);
  });

  it('closes a connection it opened', async () => {
    const { store } = fileStore();
    await store.close();
    expect(store.connection.open).toBe(false);
    await expect(store.transaction('t', async () => 1)).rejects.toThrow(/closed/);
  });
});
