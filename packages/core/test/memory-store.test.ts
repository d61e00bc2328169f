import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_SETTINGS, memoryStore, newId, type Tenant, type Tx } from '../src/index.js';
import { SortedKeys } from '../src/memory/sorted-keys.js';
import { UndoLog } from '../src/memory/undo-log.js';
import { runStoreConformance } from '../src/testing/index.js';

runStoreConformance({ name: 'memory', createStore: async () => memoryStore() });

function tenant(id: string): Tenant {
  return {
    id,
    name: 'Shop',
    timezone: 'UTC',
    settings: { ...DEFAULT_TENANT_SETTINGS },
    created_at: '2026-11-02T09:00:00.000Z',
  };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('memoryStore', () => {
  it('runs one transaction at a time, in the order they were started', async () => {
    const store = memoryStore();
    expect(store.capabilities.parallelTransactions).toBe(false);
    const trace: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        store.transaction(newId(), async () => {
          trace.push(`${name}:start`);
          await tick();
          trace.push(`${name}:end`);
        }),
      ),
    );
    expect(trace).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  });

  it('platform reads wait for the running transaction and never see its uncommitted writes', async () => {
    const store = memoryStore();
    const id = newId();
    let written: () => void = () => {};
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const running = store.transaction(id, async (tx) => {
      await tx.tenants.insert(tenant(id));
      written();
      await tick();
      throw new Error('rolled back');
    });
    await wrote;
    const read = store.platform.getTenant(id);
    await expect(running).rejects.toThrow('rolled back');
    expect(await read).toBeNull();
  });

  it('a platform read inside a transaction reads at once instead of waiting for itself', async () => {
    const store = memoryStore();
    const id = newId();
    const seen = await store.transaction(id, async (tx) => {
      await tx.tenants.insert(tenant(id));
      return store.platform.getTenant(id);
    });
    expect(seen?.id).toBe(id);
  });

  it('refuses a transaction started inside another one (it would wait forever)', async () => {
    const store = memoryStore();
    await expect(store.transaction(newId(), () => store.transaction(newId(), async () => 1))).rejects.toThrow(
      /inside another transaction/,
    );
    // The store is still usable afterwards.
    await expect(store.transaction(newId(), async () => 2)).resolves.toBe(2);
  });

  it('a Tx used after its transaction ended throws', async () => {
    const store = memoryStore();
    const id = newId();
    let leaked: Tx | undefined;
    await store.transaction(id, async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.tenants.insert(tenant(id))).rejects.toThrow(/has ended/);
    expect(await store.platform.getTenant(id)).toBeNull();
  });

  it('close: ping, transactions and platform reads reject afterwards', async () => {
    const store = memoryStore({ name: 'dry-run' });
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow(/dry-run is closed/);
    await expect(store.transaction(newId(), async () => 1)).rejects.toThrow(/closed/);
    await expect(store.platform.listTenants({ limit: 10 })).rejects.toThrow(/closed/);
  });

  it('a rollback costs O(changes): a transaction records only what it wrote', async () => {
    const log = new UndoLog();
    const big = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) big.set(`k${i}`, i);
    log.set(big, 'k1', -1);
    log.set(big, 'k1', -2); // a second write of a key adds no undo step
    log.set(big, 'new', 1);
    log.delete(big, 'k2');
    log.delete(big, 'absent');
    expect(log.size).toBe(3);
    log.rollback();
    expect(big.get('k1')).toBe(1);
    expect(big.has('new')).toBe(false);
    expect(big.get('k2')).toBe(2);
    expect(big.size).toBe(10_000);
  });

  it('the undo log restores sorted keys, newest change first', () => {
    const log = new UndoLog();
    const keys = new SortedKeys();
    for (const k of ['b', 'd', 'f']) keys.insert(k);
    log.insertSorted(keys, 'a');
    log.insertSorted(keys, 'g');
    log.removeSorted(keys, 'd');
    log.insertSorted(keys, 'd');
    expect(log.insertSorted(keys, 'b')).toBe(false);
    log.rollback();
    expect(Array.from({ length: keys.size }, (_, i) => keys.at(i))).toEqual(['b', 'd', 'f']);
  });
});

describe('SortedKeys', () => {
  type Op =
    | { kind: 'insert'; key: string }
    | { kind: 'remove'; key: string }
    | { kind: 'removeFirst' }
    | { kind: 'dropBelow'; key: string }
    | { kind: 'removeAll'; keys: string[] };
  const key = fc.integer({ min: 0, max: 400 }).map((n) => String(n).padStart(3, '0'));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: key.map((k) => ({ kind: 'insert' as const, key: k })) },
    { weight: 2, arbitrary: key.map((k) => ({ kind: 'remove' as const, key: k })) },
    // Due lots expire in order: the first key goes, again and again.
    { weight: 3, arbitrary: fc.constant({ kind: 'removeFirst' as const }) },
    { weight: 1, arbitrary: key.map((k) => ({ kind: 'dropBelow' as const, key: k })) },
    {
      weight: 1,
      arbitrary: fc.array(key, { maxLength: 20 }).map((keys) => ({ kind: 'removeAll' as const, keys })),
    },
  );

  it('behaves as a sorted set under any mix of inserts and removals at either end or within', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const keys = new SortedKeys();
        let model: string[] = [];
        for (const o of ops) {
          if (o.kind === 'insert') {
            expect(keys.insert(o.key)).toBe(!model.includes(o.key));
            if (!model.includes(o.key)) model = [...model, o.key].sort();
          } else if (o.kind === 'remove' || o.kind === 'removeFirst') {
            const k = o.kind === 'remove' ? o.key : (model[0] ?? 'none');
            expect(keys.remove(k)).toBe(model.includes(k));
            model = model.filter((m) => m !== k);
          } else if (o.kind === 'dropBelow') {
            expect(keys.dropBelow(o.key)).toBe(model.filter((m) => m < o.key).length);
            model = model.filter((m) => m >= o.key);
          } else {
            keys.removeAll(new Set(o.keys));
            model = model.filter((m) => !o.keys.includes(m));
          }
          expect(keys.size).toBe(model.length);
          expect(keys.at(0)).toBe(model[0]);
          expect(keys.last()).toBe(model[model.length - 1]);
        }
        expect(Array.from({ length: keys.size }, (_, i) => keys.at(i))).toEqual(model);
        for (const k of ['000', '150', '399', '400']) {
          expect(keys.has(k)).toBe(model.includes(k));
          expect(keys.lowerBound(k)).toBe(model.filter((m) => m < k).length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
