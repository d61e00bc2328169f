/**
 * `@laas/core/testing`: the storage conformance suite every Store must pass (MemoryStore, SQLite,
 * PostgreSQL). Call it from a vitest test file:
 *
 * ```ts
 * runStoreConformance({ name: 'sqlite', createStore: async () => sqliteStore(':memory:') });
 * ```
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Store } from '../ports/store.js';
import { type ConformanceTest, describePortContracts } from './port-contracts.js';
import { describeProperties, type PropertyOptions } from './properties.js';
import { describeScenarios } from './scenarios.js';

export { describeConfigAcrossEngines, type TwoStores } from './config-across-engines.js';
export {
  type PointsAndVouchersOptions,
  seedPointsAndVouchers,
  setup,
  type TestClock,
  testClock,
  undocumentedExports,
} from './fixtures.js';
export { expectInvariants } from './invariants.js';
export type { ConformanceTest } from './port-contracts.js';
export { describePortContracts } from './port-contracts.js';
export type { PropertyOptions } from './properties.js';

export interface StoreConformanceOptions {
  /** Shown in the suite's name: `store conformance: <name>`. */
  name: string;
  /** Creates the one store the whole suite shares (every test makes its own tenants). */
  createStore: () => Promise<Store>;
  /** Called once after the suite; default `store.close()`. */
  closeStore?: (store: Store) => Promise<void>;
  /**
   * Tests this store does not run, by test name, each group with the reason. Skipped tests are
   * reported as skipped and the reason is printed once; a name that matches no test is reported too.
   */
  skip?: Array<{ reason: string; tests: string[] }>;
  /** How many random command sequences the property tests run (default 200 sequences). */
  properties?: PropertyOptions;
}

/**
 * A {@link ConformanceTest} that registers each test with `it`, or with `it.skip` when `skip` lists
 * its name. Test names must be unique across the suite (they are what `skip` refers to).
 */
export function conformanceTest(
  suite: string,
  skip: StoreConformanceOptions['skip'] = [],
): { test: ConformanceTest; unmatched: () => string[] } {
  const reasons = new Map<string, string>();
  for (const group of skip) {
    for (const name of group.tests) reasons.set(name, group.reason);
  }
  const registered = new Set<string>();
  const warned = new Set<string>();
  const test: ConformanceTest = (name, fn, timeout) => {
    if (registered.has(name))
      throw new Error(`${suite}: two conformance tests are named ${JSON.stringify(name)}`);
    registered.add(name);
    const reason = reasons.get(name);
    if (reason === undefined) {
      it(name, fn, timeout);
      return;
    }
    if (!warned.has(reason)) {
      warned.add(reason);
      const names = skip.filter((g) => g.reason === reason).flatMap((g) => g.tests);
      console.warn(`[${suite}] skipping ${names.length} test(s) because ${reason}: ${names.join('; ')}`);
    }
    it.skip(name, fn, timeout);
  };
  return { test, unmatched: () => [...reasons.keys()].filter((name) => !registered.has(name)) };
}

/** Registers the whole conformance suite for one kind of store. */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const suite = `store conformance: ${options.name}`;
  describe(suite, () => {
    let store: Store | undefined;
    const { test, unmatched } = conformanceTest(suite, options.skip);
    beforeAll(async () => {
      // Nested describe blocks register their tests after this callback returns: check once all are in.
      const unknown = unmatched();
      if (unknown.length > 0) {
        console.warn(`[${suite}] the skip list names tests that do not exist: ${unknown.join('; ')}`);
      }
      store = await options.createStore();
    });
    afterAll(async () => {
      if (store === undefined) return;
      await (options.closeStore ?? ((s: Store) => s.close()))(store);
    });
    const getStore = (): Store => {
      if (store === undefined) throw new Error(`${suite}: createStore() did not complete`);
      return store;
    };

    describePortContracts(getStore, test);
    describeScenarios(getStore, test);
    describeProperties(getStore, test, options.properties);
  });
}
