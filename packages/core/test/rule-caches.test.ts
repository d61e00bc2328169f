import { createRulesEngine, type RulesEngine } from '@laas/rules';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../src/domain/rule.js';
import { CompiledRuleCache } from '../src/engine/compiled-rules.js';

/** A rules engine that counts compilations (the cache's only cost). */
function countingEngine(): { logic: RulesEngine; compiled: () => number } {
  const real = createRulesEngine();
  let count = 0;
  // The engine is frozen: a plain object with its members and a counting `compile` stands in.
  const logic: RulesEngine = {
    ...real,
    compile: (rule) => {
      count++;
      return real.compile(rule);
    },
  };
  return { logic, compiled: () => count };
}

const rule = (id: string, version = 1) =>
  ({
    tenant_id: 't',
    id,
    version,
    condition: { '>': [{ var: 'event.amount' }, 1] },
    quantity: 1,
  }) as unknown as Rule;

describe('CompiledRuleCache', () => {
  it('evicts the least recently used rule when full, never the whole cache', () => {
    const { logic, compiled } = countingEngine();
    const cache = new CompiledRuleCache(logic, 2);
    cache.get(rule('a'));
    cache.get(rule('b'));
    expect(compiled()).toBe(4); // a condition and a quantity each
    cache.get(rule('a')); // a is now the most recently used
    cache.get(rule('c')); // evicts b, not a
    expect(compiled()).toBe(6);
    cache.get(rule('a'));
    cache.get(rule('c'));
    expect(compiled()).toBe(6);
    cache.get(rule('b'));
    expect(compiled()).toBe(8);
  });

  it('compiles a new version of a rule once', () => {
    const { logic, compiled } = countingEngine();
    const cache = new CompiledRuleCache(logic, 10);
    cache.get(rule('a', 1));
    cache.get(rule('a', 2));
    cache.get(rule('a', 2));
    expect(compiled()).toBe(4);
  });

  it('keeps the compiled logic of a cached (frozen) row even after the LRU let its key go', () => {
    const { logic, compiled } = countingEngine();
    const cache = new CompiledRuleCache(logic, 1);
    const cached = Object.freeze(rule('a'));
    cache.get(cached);
    cache.get(rule('b')); // the LRU (of 1) drops a's key
    cache.get(cached); // found by the row itself
    expect(compiled()).toBe(4);
    cache.get(rule('a')); // an unfrozen copy of a (a fresh read) goes by key: compiled again
    expect(compiled()).toBe(6);
  });
});
