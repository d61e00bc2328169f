import type { Budget } from '../domain/budget.js';
import type { Campaign } from '../domain/campaign.js';
import type { Reward } from '../domain/reward.js';
import type { Rule } from '../domain/rule.js';
import type { Tenant } from '../domain/tenant.js';
import type { TierProgramme } from '../domain/tier.js';
import type { Tx } from '../ports/store.js';
import { lruGet, lruSet } from './lru.js';

/**
 * What ingest reads of a tenant's configuration (rules by event type, rewards, campaigns, budget
 * definitions and the tier programme), loaded on first use and kept for as long as the tenant's
 * configuration version stays the same. Rows it hands out are frozen copies: shared by every
 * ingest of the tenant, they must never be changed in place.
 */
export class TenantConfig {
  readonly #byType = new Map<string, readonly Rule[]>();
  readonly #rewards = new Map<string, Reward | null>();
  readonly #campaigns = new Map<string, Campaign | null>();
  readonly #budgets = new Map<string, Budget | null>();
  #programme: TierProgramme | null | undefined;
  #known: ReadonlySet<string> | undefined;
  readonly #memo = new Map<string, unknown>();

  /**
   * `tenant`: the tenant's row at this version (its name, time zone and settings bump the version
   * too), which lets an ingest start on the cached version and check it with its opening read.
   */
  constructor(
    readonly version: number,
    readonly tenant: Tenant,
  ) {}

  /** Active rules whose `event_types` include `type`, in evaluation order. */
  async rulesFor(tx: Tx, type: string): Promise<readonly Rule[]> {
    let rules = this.#byType.get(type);
    if (rules === undefined) {
      rules = frozen(await tx.rules.listActiveForEventType(type));
      this.#byType.set(type, rules);
    }
    return rules;
  }

  /**
   * Every event type a rule of the tenant listens to, active or not. Read only for an event no
   * active rule listens to (to warn of a misspelt type).
   */
  async knownTypes(tx: Tx): Promise<ReadonlySet<string>> {
    if (this.#known === undefined) {
      const known = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await tx.rules.list({ limit: 200, cursor });
        for (const rule of page.items) for (const type of rule.event_types) known.add(type);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      this.#known = known;
    }
    return this.#known;
  }

  reward(tx: Tx, id: string): Promise<Reward | null> {
    return byId(this.#rewards, id, (key) => tx.rewards.get(key));
  }

  campaign(tx: Tx, id: string): Promise<Campaign | null> {
    return byId(this.#campaigns, id, (key) => tx.campaigns.get(key));
  }

  /** The budget's definition (its periods are state, read from the store every time). */
  budget(tx: Tx, id: string): Promise<Budget | null> {
    return byId(this.#budgets, id, (key) => tx.budgets.get(key));
  }

  /**
   * A value derived from this configuration alone, worked out once per version under `key`
   * (frozen: shared by every ingest of the tenant).
   */
  async memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.#memo.has(key)) return this.#memo.get(key) as T;
    const value = deepFreeze(await compute());
    this.#memo.set(key, value);
    return value;
  }

  async tierProgramme(tx: Tx): Promise<TierProgramme | null> {
    if (this.#programme === undefined) this.#programme = frozen(await tx.tiers.getProgramme());
    return this.#programme;
  }
}

/**
 * Each tenant's {@link TenantConfig}, under the configuration version its transaction read with
 * the tenant row (`tx.tenants.getVersioned`): the store bumps that version in the same transaction
 * as any change to the configuration, by any process, so the first ingest to start after the
 * change commits reads a new version and loads afresh. An ingest with a warm entry reads no
 * configuration at all.
 *
 * Bounded by tenants, least recently used first out, never cleared whole. Any other version
 * replaces the entry, an older one too: versions only grow, except when a database is restored
 * from a backup under a running process, and then the restored counter may climb back to a number
 * this cache holds other rows under. (A transaction that began before a change committed only
 * costs the next one a reload.)
 */
export class ConfigCache {
  readonly #tenants = new Map<string, TenantConfig>();
  readonly #maxTenants: number;

  /**
   * 2,000 by default: twice the 1,000 active tenants a process is sized for, because an LRU whose
   * working set is as large as its bound misses on almost every access (each miss evicts the
   * tenant that comes next).
   */
  constructor(maxTenants = 2_000) {
    this.#maxTenants = maxTenants;
  }

  /** The tenant's configuration as of `version` (shared by every transaction that read it). */
  of(tenant: Tenant, version: number): TenantConfig {
    const tenantId = tenant.id;
    const entry = lruGet(this.#tenants, tenantId);
    if (entry !== undefined && entry.version === version) return entry;
    const fresh = new TenantConfig(version, tenant);
    lruSet(this.#tenants, tenantId, fresh, this.#maxTenants);
    return fresh;
  }

  /**
   * A private entry for a transaction that may itself have changed the configuration before it
   * ingests (`engine.transaction`, `engine.idempotent`): what it reads must not be shared under
   * the version it read before its own writes.
   */
  unshared(tenant: Tenant, version: number): TenantConfig {
    return new TenantConfig(version, tenant);
  }

  /** The tenant's configuration as last seen, without checking its version (ingest checks it). */
  peek(tenantId: string): TenantConfig | undefined {
    return this.#tenants.get(tenantId);
  }

  /** Drops the tenant's entry: the next transaction loads its configuration afresh. */
  forget(tenantId: string): void {
    this.#tenants.delete(tenantId);
  }

  /** How many tenants are cached (for tests). */
  get size(): number {
    return this.#tenants.size;
  }
}

async function byId<T>(
  cache: Map<string, T | null>,
  id: string,
  load: (id: string) => Promise<T | null>,
): Promise<T | null> {
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const value = frozen(await load(id));
  cache.set(id, value);
  return value;
}

/** A deep-frozen copy: the store may hand out its own objects (the replay store shares rows). */
function frozen<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
