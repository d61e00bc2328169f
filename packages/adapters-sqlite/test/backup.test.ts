/**
 * `store.backup(path)`: a copy taken while the engine ingests on the same store is a consistent
 * database of its own — migrated, every invariant holding, every event in it whole — and holds
 * exactly the events committed before the copy was taken.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createEngine } from '@laas/core';
import { expectInvariants, seedPointsAndVouchers } from '@laas/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteStore } from '../src/index.js';
import { tempDatabase } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

async function programme(filename: string) {
  const store = sqliteStore({ filename });
  await store.migrate();
  const engine = createEngine({ store });
  const tenant = await engine.tenants.create({ name: 'Backup shop', timezone: 'Africa/Harare' });
  const t = tenant.id;
  await seedPointsAndVouchers(engine, t, { budgetLimit: 1000, codes: 20, codePrefix: 'B-', perCustomer: 2 });
  return { store, engine, tenant };
}

describe('store.backup', () => {
  it('copies a live database under concurrent ingests into a consistent, migrated copy', async () => {
    const live = tempDatabase();
    const copy = tempDatabase();
    cleanups.push(live.remove, copy.remove);
    const { store, engine, tenant } = await programme(live.filename);
    try {
      const committed = new Set<string>();
      const ingest = (i: number) =>
        engine
          .ingest(tenant.id, {
            idempotency_key: `e-${i}`,
            type: i % 3 === 0 ? 'visit' : 'purchase',
            customer: { phone: `+26377200${String(i % 15).padStart(4, '0')}` },
            data: { amount: 300 + i },
          })
          .then((outcome) => {
            committed.add(outcome.event_id);
          });
      // 40 ingests sent; once the first 10 have committed the backup is requested, with the other
      // 30 still in flight and 80 more sent right after it.
      const before = Array.from({ length: 40 }, (_, i) => ingest(i));
      await Promise.all(before.slice(0, 10));
      const backup = store.backup(copy.filename);
      let committedAtCopy = -1;
      const tookCopy = backup.then((r) => {
        committedAtCopy = committed.size;
        return r;
      });
      const after = Array.from({ length: 80 }, (_, i) => ingest(40 + i));
      const [result] = await Promise.all([tookCopy, ...before, ...after]);

      expect(result.pages).toBeGreaterThan(0);
      expect(result.bytes).toBe(
        result.pages * (store.connection.pragma('page_size', { simple: true }) as number),
      );
      expect(committed.size).toBe(120);
      await expectInvariants(engine, tenant.id, tenant.timezone);

      // The copy opens on its own, is fully migrated, and keeps every invariant.
      const restored = sqliteStore({ filename: copy.filename });
      try {
        await restored.ping();
        const copyEngine = createEngine({ store: restored });
        const s = await expectInvariants(copyEngine, tenant.id, tenant.timezone);
        // Exactly the events committed before the copy was taken: some, not all (writes went on).
        expect(s.events.length).toBeGreaterThanOrEqual(10);
        expect(s.events.length).toBeLessThan(120);
        expect(s.events.length).toBeLessThanOrEqual(committedAtCopy);
        for (const event of s.events) expect(committed.has(event.id)).toBe(true);
        // The copy is a database of its own: it takes writes without touching the live one.
        await copyEngine.ingest(tenant.id, {
          idempotency_key: 'after-restore',
          type: 'purchase',
          customer: { phone: '+263772009999' },
          data: { amount: 1000 },
        });
        await expect(engine.events.list(tenant.id, {}, { limit: 200 })).resolves.toMatchObject({
          items: expect.not.arrayContaining([expect.objectContaining({ idempotency_key: 'after-restore' })]),
        });
      } finally {
        await restored.close();
      }
    } finally {
      await store.close();
    }
  });

  it('replaces an older backup at the same path, leaves no partial file, and refuses to overwrite its source', async () => {
    const live = tempDatabase();
    const copy = tempDatabase();
    cleanups.push(live.remove, copy.remove);
    const { store, engine, tenant } = await programme(live.filename);
    try {
      await store.backup(copy.filename);
      await engine.customers.create(tenant.id, { phone: '+263772001111', name: 'Rudo' });
      await store.backup(copy.filename);
      const restored = sqliteStore({ filename: copy.filename });
      try {
        const customers = await createEngine({ store: restored }).customers.list(tenant.id, {}, {});
        expect(customers.items.map((c) => c.name)).toEqual(['Rudo']);
      } finally {
        await restored.close();
      }
      expect(readdirSync(tmpdir()).filter((f) => f.includes('.partial-'))).toEqual([]);
      await expect(store.backup(live.filename)).rejects.toThrow(/onto itself/);
      expect(existsSync(live.filename)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
