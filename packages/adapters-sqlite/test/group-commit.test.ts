/**
 * Group commit: concurrent transactions share one COMMIT, yet none is reported done before the
 * COMMIT holding its work, and a failing one takes only its own work with it.
 */
import { DEFAULT_TENANT_SETTINGS, newId, type Tenant } from '@laas/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SqliteStore, sqliteStore } from '../src/index.js';
import { tempDatabase } from './helpers.js';

const AT = '2026-11-01T09:00:00.000Z';
const tenant = (id = newId()): Tenant => ({
  id,
  name: 'Shop',
  timezone: 'UTC',
  settings: { ...DEFAULT_TENANT_SETTINGS },
  created_at: AT,
});

describe('SQLite group commit', () => {
  let db: ReturnType<typeof tempDatabase>;
  let statements: string[];
  let store: SqliteStore;
  /** A second connection to the same file: it sees committed rows only. */
  let other: Database.Database;

  beforeEach(async () => {
    db = tempDatabase();
    statements = [];
    store = sqliteStore(new Database(db.filename, { verbose: (sql) => statements.push(String(sql)) }));
    await store.migrate();
    other = new Database(db.filename, { readonly: true });
  });
  afterEach(async () => {
    other.close();
    await store.close();
    store.connection.close();
    db.remove();
  });

  const committed = (id: string): boolean =>
    other.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get(id) !== undefined;
  const commits = (): number => statements.filter((s) => s === 'COMMIT').length;

  it('commits concurrent transactions together, and each is durable when it resolves', async () => {
    const before = commits();
    const ids = Array.from({ length: 40 }, () => newId());
    const seenCommitted: boolean[] = [];
    await Promise.all(
      ids.map((id) =>
        store
          .transaction(id, (tx) => tx.tenants.insert(tenant(id)))
          // Checked by another connection the moment the caller hears "done".
          .then(() => seenCommitted.push(committed(id))),
      ),
    );
    expect(seenCommitted).toEqual(ids.map(() => true));
    const used = commits() - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThan(ids.length / 4);
  });

  it('a failing transaction in a group undoes only its own work', async () => {
    const ids = Array.from({ length: 9 }, () => newId());
    const results = await Promise.allSettled(
      ids.map((id, i) =>
        store.transaction(id, async (tx) => {
          await tx.tenants.insert(tenant(id));
          if (i % 3 === 1) throw new Error(`refused ${i}`);
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map((_, i) => (i % 3 === 1 ? 'rejected' : 'fulfilled')));
    expect(ids.map(committed)).toEqual(ids.map((_, i) => i % 3 !== 1));
  });

  it('a platform read waiting behind a group sees it committed, never half', async () => {
    const ids = Array.from({ length: 10 }, () => newId());
    const writes = ids.map((id) => store.transaction(id, (tx) => tx.tenants.insert(tenant(id))));
    const read = store.platform.getTenant(ids[4] as string);
    const more = ids.map(() => newId());
    const laterWrites = more.map((id) => store.transaction(id, (tx) => tx.tenants.insert(tenant(id))));
    // Queued behind the first ten writes: their group commits before the read runs.
    expect(await read).toMatchObject({ id: ids[4] });
    expect(ids.map(committed)).toEqual(ids.map(() => true));
    await Promise.all([...writes, ...laterWrites]);
    expect(more.map(committed)).toEqual(more.map(() => true));
  });

  it('a read-only transaction alone runs outside any group', async () => {
    const id = newId();
    await store.transaction(id, (tx) => tx.tenants.insert(tenant(id)));
    const before = statements.length;
    expect(await store.transaction(id, (tx) => tx.tenants.get(), { readOnly: true })).toMatchObject({ id });
    expect(statements.slice(before)).toContain('BEGIN');
    expect(statements.slice(before)).not.toContain('BEGIN IMMEDIATE');
  });

  it('a transaction arriving in a later callback (as an HTTP body does) joins the group of the one before', async () => {
    const [a, b] = [newId(), newId()];
    const before = commits();
    // Scheduled first, so it runs in the same check phase as the first transaction's linger, after
    // the first transaction's work is done: the way a second request's body arrives.
    const second = new Promise<void>((resolve, reject) =>
      setImmediate(() => store.transaction(b, (tx) => tx.tenants.insert(tenant(b))).then(resolve, reject)),
    );
    await store.transaction(a, (tx) => tx.tenants.insert(tenant(a)));
    expect(committed(a)).toBe(true);
    await second;
    expect(committed(b)).toBe(true);
    expect(commits() - before).toBe(1);
  });

  it('a transaction alone still commits on its own, within one event-loop turn', async () => {
    const id = newId();
    const before = commits();
    await store.transaction(id, (tx) => tx.tenants.insert(tenant(id)));
    expect(committed(id)).toBe(true);
    expect(commits() - before).toBe(1);
  });
});
