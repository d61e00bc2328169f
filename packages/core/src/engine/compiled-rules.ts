import type { CompiledRule, RulesEngine } from '@laas/rules';
import type { Rule } from '../domain/rule.js';
import type { Tx } from '../ports/store.js';

export interface CompiledRuleLogic {
  condition: CompiledRule;
  quantity: CompiledRule;
}

/**
 * Compiled conditions and quantities by rule id and version: compiling once per rule version
 * rather than once per event keeps ingest at the cost of evaluation alone. Bounded so a process
 * serving many tenants cannot grow it without limit: least recently used first out, never
 * cleared whole (clearing made 600 tenants x 20 rules recompile 13.7 rules per event).
 */
export class CompiledRuleCache {
  readonly #logic: RulesEngine;
  readonly #max: number;
  readonly #entries = new Map<string, CompiledRuleLogic>();

  constructor(logic: RulesEngine, max = 10_000) {
    this.#logic = logic;
    this.#max = max;
  }

  get(rule: Rule): CompiledRuleLogic {
    const key = `${rule.tenant_id}:${rule.id}:${rule.version}`;
    let entry = lruGet(this.#entries, key);
    if (entry === undefined) {
      entry = {
        condition: this.#logic.compile(rule.condition),
        quantity: this.#logic.compile(rule.quantity),
      };
      lruSet(this.#entries, key, entry, this.#max);
    }
    return entry;
  }
}

/**
 * Each tenant's active rules per event type, as of the tenant's rules `version()`: an ingest reads
 * that one cheap value instead of loading and parsing every rule. Any change to a tenant's rules,
 * by any process, changes the version, and the next ingest reloads them.
 */
export class ActiveRuleCache {
  readonly #tenants = new Map<string, RulesOfTenant>();
  readonly #maxTenants: number;

  constructor(maxTenants = 1_000) {
    this.#maxTenants = maxTenants;
  }

  async activeFor(tx: Tx, type: string): Promise<readonly Rule[]> {
    const entry = await this.#current(tx);
    let rules = entry.byType.get(type);
    if (rules === undefined) {
      rules = await tx.rules.listActiveForEventType(type);
      entry.byType.set(type, rules);
    }
    return rules;
  }

  /**
   * Every event type a rule of the tenant listens to, active or not. Read only for an event no
   * active rule listens to (to warn of a misspelt type), then kept until the rules change.
   */
  async knownTypes(tx: Tx): Promise<ReadonlySet<string>> {
    const entry = await this.#current(tx);
    if (entry.known === undefined) {
      const known = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await tx.rules.list({ limit: 200, cursor });
        for (const rule of page.items) for (const type of rule.event_types) known.add(type);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      entry.known = known;
    }
    return entry.known;
  }

  async #current(tx: Tx): Promise<RulesOfTenant> {
    const version = await tx.rules.version();
    let entry = lruGet(this.#tenants, tx.tenantId);
    if (entry === undefined || entry.version !== version) {
      entry = { version, byType: new Map() };
      lruSet(this.#tenants, tx.tenantId, entry, this.#maxTenants);
    }
    return entry;
  }
}

interface RulesOfTenant {
  version: string;
  byType: Map<string, Rule[]>;
  /** Every rule's event types, active or not (loaded on demand). */
  known?: Set<string>;
}

/*
 * A Map keeps insertion order, so re-inserting on every hit makes its first key the least recently
 * used: an LRU in a few lines (no dependency needed for two bounded caches).
 */
function lruGet<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

function lruSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
  map.set(key, value);
}
