import { describe, expect, it } from 'vitest';
import { ConfigCache } from '../src/engine/config-cache.js';
import { memoryStore, type Tenant } from '../src/index.js';
import { describeConfigAcrossEngines } from '../src/testing/index.js';

// Two engines on one memory store: each has its own cache, as two processes would.
describeConfigAcrossEngines('memory', async () => {
  const store = memoryStore();
  return { a: store, b: store, close: () => store.close() };
});

const tenant = (id: string) => ({ id }) as Tenant;

describe('ConfigCache', () => {
  it('keeps one entry per tenant, evicting the least recently used, never all', () => {
    const cache = new ConfigCache(2);
    const a = cache.of(tenant('a'), 1);
    const b = cache.of(tenant('b'), 1);
    expect(cache.of(tenant('a'), 1)).toBe(a); // a is now the most recently used
    cache.of(tenant('c'), 1); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.of(tenant('a'), 1)).toBe(a);
    expect(cache.of(tenant('b'), 1)).not.toBe(b);
  });

  it('another version replaces the entry (a newer one after a change, an older one after a restore)', () => {
    const cache = new ConfigCache();
    const v1 = cache.of(tenant('a'), 1);
    const v2 = cache.of(tenant('a'), 2);
    expect(v2).not.toBe(v1);
    expect(cache.of(tenant('a'), 2)).toBe(v2);
    const restored = cache.of(tenant('a'), 1);
    expect(restored).not.toBe(v1);
    expect(cache.of(tenant('a'), 1)).toBe(restored);
    expect(cache.size).toBe(1);
    // The entry as last seen, whatever its version: ingest checks it with its opening read.
    expect(cache.peek('a')).toBe(restored);
    expect(cache.peek('b')).toBeUndefined();
  });
});
