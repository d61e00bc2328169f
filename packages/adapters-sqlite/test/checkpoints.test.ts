/**
 * WAL checkpoints run by the store between transactions, not by SQLite inside a COMMIT: the WAL
 * stays bounded over many commits while readers come and go, nothing committed is lost across
 * close and reopen, and the store leaves no timer behind (nor keeps a process alive).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEngine } from '@laas/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sqliteStore } from '../src/index.js';
import { tempDatabase } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.useRealTimers();
  for (const clean of cleanups.splice(0)) clean();
});

const walBytes = (filename: string) => (existsSync(`${filename}-wal`) ? statSync(`${filename}-wal`).size : 0);

describe('sqlite WAL checkpoints', () => {
  it('keeps the WAL under its bound over many commits while readers come and go; every event survives close and reopen', async () => {
    const file = tempDatabase();
    cleanups.push(file.remove);
    const limit = 256 * 1024;
    const store = sqliteStore({
      filename: file.filename,
      // Only the commit count triggers checkpoints here, so the test does not depend on time.
      checkpoints: { commits: 5, walLimitBytes: limit, intervalMs: 3_600_000 },
    });
    await store.migrate();
    // SQLite's own checkpoint is off: the store's replace it.
    expect(store.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const engine = createEngine({ store });
    const tenant = await engine.tenants.create({ name: 'WAL shop' });

    // Another connection on the file, reading now and then: its snapshot holds WAL frames back.
    const reader = new Database(file.filename, { readonly: true });
    const count = reader.prepare('SELECT count(*) AS n FROM events');
    let largest = 0;
    const events = 400;
    for (let i = 0; i < events; i++) {
      if (i % 9 === 0) {
        reader.exec('BEGIN');
        count.get();
      }
      if (i % 9 === 4) reader.exec('COMMIT');
      await engine.ingest(tenant.id, {
        idempotency_key: `e-${i}`,
        type: 'purchase',
        customer: { external_ref: `c-${i % 40}` },
        data: { amount: 100 + i },
      });
      largest = Math.max(largest, walBytes(file.filename));
    }
    if (reader.inTransaction) reader.exec('COMMIT');
    reader.close();
    // The limit, plus what the commits between two checkpoints and under a reader's snapshot
    // add (about 1 MB measured). Without checkpoints every ingest's pages stay: 16 MB here.
    expect(largest).toBeLessThan(8 * limit);

    await store.close();
    // The last connection to close checkpointed the WAL into the database and removed it.
    expect(walBytes(file.filename)).toBe(0);
    const reopened = sqliteStore({ filename: file.filename });
    try {
      const again = createEngine({ store: reopened });
      const customers = await again.customers.list(tenant.id, {}, { limit: 100 });
      expect(customers.items).toHaveLength(40);
      const total = customers.items.reduce((sum, c) => sum + (c.stats.counts.purchase ?? 0), 0);
      expect(total).toBe(events);
      // An event ingested again is a replay: nothing was lost, nothing is applied twice.
      const replay = await again.ingest(tenant.id, {
        idempotency_key: `e-${events - 1}`,
        type: 'purchase',
        customer: { external_ref: `c-${(events - 1) % 40}` },
        data: { amount: 100 + events - 1 },
      });
      expect(replay.replayed).toBe(true);
    } finally {
      await reopened.close();
    }
  });

  it('runs a checkpoint on its timer, and close() leaves no timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const file = tempDatabase();
    cleanups.push(file.remove);
    const store = sqliteStore({ filename: file.filename, checkpoints: { intervalMs: 1000 } });
    await store.migrate();
    expect(vi.getTimerCount()).toBe(1);
    const engine = createEngine({ store });
    const tenant = await engine.tenants.create({ name: 'Timer shop' });
    await engine.ingest(tenant.id, {
      idempotency_key: 'a',
      type: 'visit',
      customer: { external_ref: 'c-1' },
    });
    const before = store.connection.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    expect(before[0]?.log).toBeGreaterThan(0);
    await engine.ingest(tenant.id, {
      idempotency_key: 'b',
      type: 'visit',
      customer: { external_ref: 'c-1' },
    });

    const spy = vi.spyOn(store.connection, 'pragma');
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(spy).toHaveBeenCalledWith('wal_checkpoint(PASSIVE)'));
    spy.mockRestore();

    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives a connection the caller owns its automatic checkpoint back on close', async () => {
    const file = tempDatabase();
    cleanups.push(file.remove);
    const connection = new Database(file.filename);
    cleanups.unshift(() => connection.close());
    connection.pragma('wal_autocheckpoint = 500');
    const store = sqliteStore(connection);
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await store.close();
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(500);
  });

  it('leaves SQLite in charge when checkpoints are off or there is no WAL', async () => {
    const file = tempDatabase();
    cleanups.push(file.remove);
    const off = sqliteStore({ filename: file.filename, checkpoints: false });
    expect(off.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await off.close();
    const memory = sqliteStore();
    expect(memory.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await memory.close();
  });

  it('does not keep a process alive that never closes the store', () => {
    const file = tempDatabase();
    cleanups.push(file.remove);
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { sqliteStore } = await import(${JSON.stringify(dist)});
         const store = sqliteStore({ filename: ${JSON.stringify(file.filename)} });
         await store.migrate();
         console.log('migrated, not closed');`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('migrated, not closed');
    // Exited by itself: a referenced interval would have kept it running until the timeout.
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
  });
});
