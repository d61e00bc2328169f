import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiKey } from '../domain/api-key.js';
import { type Duration, durationMs, type Page, type PageRequest } from '../domain/common.js';
import type { Tenant } from '../domain/tenant.js';
import type { UssdSettings } from '../domain/ussd.js';
import type { WhatsAppSettings } from '../domain/whatsapp.js';
import { LaasError } from '../errors.js';
import type {
  PlatformRepository,
  Store,
  StoreCapabilities,
  TransactionOptions,
  Tx,
  WorkBacklog,
} from '../ports/store.js';
import { type CompactionReport, compactTenant } from './compaction.js';
import { copy } from './copy.js';
import { MemoryTx } from './memory-tx.js';
import { sharedChannelPlatform } from './shared-channel-repository.js';
import { pageOf, StoreState } from './state.js';
import { UndoLog } from './undo-log.js';
import { findUssdSettings } from './ussd-repository.js';
import { findWhatsAppSettings } from './whatsapp-repository.js';

/** Options of {@link memoryStore}; none are needed today. */
export interface MemoryStoreOptions {
  /** A name for the store, shown in its error messages (e.g. `dry-run`). */
  name?: string;
}

/**
 * A complete {@link Store} kept in memory, for tests, dry-runs and running the engine without a
 * database.
 *
 * - One transaction at a time (`capabilities.parallelTransactions` is false): `transaction()` calls
 *   queue up and run in order, so a customer's `lock` and every guarded operation are exact.
 * - All or nothing: each transaction records an undo log (the previous value of every key it
 *   writes, on the first write); when `fn` throws, the log puts everything back. The cost of a
 *   transaction is O(its changes), not O(the store).
 * - Rows are copied on the way in and on the way out: mutating an object you passed in or got back
 *   never changes the store.
 * - Everything is keyed by tenant; secondary lookups (phone, external ref, idempotency key, code,
 *   issuances per rule and customer) are per-tenant indexes, never scans.
 * - A transaction MUST NOT start another transaction of the same store and wait for it: that would
 *   wait forever, so it throws instead.
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  return new MemoryStore(options);
}

/** Options of {@link replayStore}. */
export interface ReplayStoreOptions extends MemoryStoreOptions {
  /**
   * How long `compact` keeps events (with their idempotency keys and outcomes) behind the instant it
   * is given: a key is honoured for that long. Default `1d`, the 24 hours the Idempotency-Key
   * protocol promises.
   */
  keep?: Duration;
  /**
   * Rows are stored and handed back as they are, without the copies on the way in and out that
   * keep a caller's mutations out of the store (a third of a replay's garbage). Only for a caller
   * that never mutates an object it passed in or got back, such as the engine and `laas dry-run`:
   * the store itself never mutates a stored row (a change writes a new object). Such a caller
   * also never starts a transaction inside another or reads `platform` inside one, so the store
   * does not track which transaction runs in which async context: the AsyncLocalStorage that would
   * turn that mistake into an error (rather than a wait) costs a hook on every promise (~3% of a
   * replay). Default false.
   */
  shareRows?: boolean;
}

/** A {@link memoryStore} whose history a replay can forget as it goes. */
export interface ReplayStore extends Store {
  /**
   * Forgets, for one tenant, what no later ingest or expiry at or after `now` can read: events
   * older than `keep`, ledger and outbox rows, issuances and points lots that can no longer change,
   * earned-at keys older than the longest cooldown or cap window of their rule. Memory then stays bounded by the
   * customers rather than the events. Reads of forgotten history (event lists, ledgers, the outbox)
   * no longer show it; decisions are the same as without compaction.
   */
  compact(tenantId: string, now: Date): Promise<CompactionReport>;
}

/**
 * The scratch store of replays (`laas dry-run`): a complete {@link memoryStore} (it passes the
 * same conformance suite) plus {@link ReplayStore.compact}, which a replay calls as its clock
 * moves (once a day of events) so that a year of events fits in memory bounded by customers.
 */
export function replayStore(options: ReplayStoreOptions = {}): ReplayStore {
  const keep = options.keep ?? '1d';
  durationMs(keep); // refuses a malformed duration now rather than at the first compaction
  const store = new MemoryStore({ name: options.name ?? 'replayStore' }, options.shareRows ?? false);
  return Object.assign(store, {
    compact: (tenantId: string, now: Date) =>
      store.alone((state) => compactTenant(state.of(tenantId), now, keep)),
  });
}

class MemoryStore implements Store {
  readonly capabilities: StoreCapabilities = { parallelTransactions: false };
  readonly platform: PlatformRepository;

  readonly #name: string;
  readonly #shareRows: boolean;
  readonly #state = new StoreState();
  /** Settles when the transaction holding the store (the last one queued) ends. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  /** The transaction whose `fn` is running in this async context, to catch nested transactions. */
  readonly #current = new AsyncLocalStorage<MemoryTx>();

  constructor(options: MemoryStoreOptions, shareRows = false) {
    this.#name = options.name ?? 'memoryStore';
    this.#shareRows = shareRows;
    const read = <T>(fn: () => T): Promise<T> => this.#read(fn);
    const state = this.#state;
    this.platform = {
      ...sharedChannelPlatform(state, read),
      findApiKeyByHash: (keyHash: string): Promise<ApiKey | null> =>
        read(() => {
          const ref = state.apiKeyByHash.get(keyHash);
          const key = ref === undefined ? undefined : state.data.get(ref.tenantId)?.apiKeys.get(ref.id);
          return key === undefined ? null : copy(key);
        }),
      getTenant: (tenantId: string): Promise<Tenant | null> =>
        read(() => {
          const tenant = state.tenants.get(tenantId);
          return tenant === undefined ? null : copy(tenant);
        }),
      listTenants: (page: PageRequest): Promise<Page<Tenant>> =>
        read(() => pageOf(state.tenantOrder, (id) => state.tenants.get(id), page)),
      findUssdByServiceCode: (serviceCode: string): Promise<UssdSettings | null> =>
        read(() => findUssdSettings(state, serviceCode)),
      findWhatsAppByPhoneNumberId: (phoneNumberId: string): Promise<WhatsAppSettings | null> =>
        read(() => findWhatsAppSettings(state, state.whatsappByPhoneNumberId, phoneNumberId)),
      findWhatsAppByVerifyToken: (verifyToken: string): Promise<WhatsAppSettings | null> =>
        read(() => findWhatsAppSettings(state, state.whatsappByVerifyToken, verifyToken)),
      backlog: (): Promise<WorkBacklog> =>
        read(() => {
          let oldest: string | null = null;
          let earliest: string | null = null;
          let pending = 0;
          const earlier = (a: string | null, b: string) =>
            a === null || Date.parse(b) < Date.parse(a) ? b : a;
          for (const data of state.data.values()) {
            for (let i = 0; i < data.undispatched.size; i++) {
              const row = data.outbox.get(data.undispatched.at(i) as string);
              if (row !== undefined) oldest = earlier(oldest, row.created_at);
            }
            for (const id of data.pendingDeliveries.keys()) {
              const delivery = data.deliveries.get(id);
              if (delivery === undefined) continue;
              pending++;
              if (delivery.next_attempt_at !== null) earliest = earlier(earliest, delivery.next_attempt_at);
            }
          }
          return {
            oldest_undispatched_at: oldest,
            pending_deliveries: pending,
            earliest_pending_attempt_at: earliest,
          };
        }),
    };
  }

  async transaction<T>(
    tenantId: string,
    fn: (tx: Tx) => Promise<T>,
    // `readOnly` changes nothing here: every transaction already runs alone.
    _options?: TransactionOptions,
  ): Promise<T> {
    this.#assertOpen();
    if (this.#current.getStore()?.active === true) {
      throw new LaasError(
        'INTERNAL_ERROR',
        `${this.#name}: transaction() was called inside another transaction of the same store; it runs one transaction at a time, so this would wait forever`,
      );
    }
    return this.#exclusive(async () => {
      this.#assertOpen();
      const log = new UndoLog();
      const tx = new MemoryTx(this.#state, tenantId, log, this.#shareRows);
      try {
        const result = this.#shareRows ? await fn(tx) : await this.#current.run(tx, () => fn(tx));
        tx.end();
        return result;
      } catch (error) {
        tx.end();
        log.rollback();
        throw error;
      }
    });
  }

  /** Runs `fn` on the state between transactions (none runs meanwhile). */
  alone<T>(fn: (state: StoreState) => T): Promise<T> {
    this.#assertOpen();
    return this.#exclusive(async () => {
      this.#assertOpen();
      return fn(this.#state);
    });
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Let the transaction that holds the store finish; the queued ones will be refused.
    await this.#tail;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LaasError('INTERNAL_ERROR', `${this.#name} is closed`);
  }

  /** Runs `fn` once every transaction queued before it has ended. */
  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release: () => void = () => {};
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * A platform read sees committed data only, so it waits for the running transaction to end;
   * called from inside a transaction's `fn` it reads at once (it cannot wait for its caller).
   */
  async #read<T>(fn: () => T): Promise<T> {
    this.#assertOpen();
    if (this.#current.getStore()?.active === true) return fn();
    return this.#exclusive(async () => {
      this.#assertOpen();
      return fn();
    });
  }
}
