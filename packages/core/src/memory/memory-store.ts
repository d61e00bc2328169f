import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiKey } from '../domain/api-key.js';
import type { Page, PageRequest } from '../domain/common.js';
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
import { copy } from './copy.js';
import { MemoryTx } from './memory-tx.js';
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

class MemoryStore implements Store {
  readonly capabilities: StoreCapabilities = { parallelTransactions: false };
  readonly platform: PlatformRepository;

  readonly #name: string;
  readonly #state = new StoreState();
  /** Settles when the transaction holding the store (the last one queued) ends. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  /** The transaction whose `fn` is running in this async context, to catch nested transactions. */
  readonly #current = new AsyncLocalStorage<MemoryTx>();

  constructor(options: MemoryStoreOptions) {
    this.#name = options.name ?? 'memoryStore';
    const read = <T>(fn: () => T): Promise<T> => this.#read(fn);
    const state = this.#state;
    this.platform = {
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
      const tx = new MemoryTx(this.#state, tenantId, log);
      try {
        const result = await this.#current.run(tx, () => fn(tx));
        tx.end();
        return result;
      } catch (error) {
        tx.end();
        log.rollback();
        throw error;
      }
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
