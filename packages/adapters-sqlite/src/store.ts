import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { SharedChannelPlatformRepository } from '@laas/core';
import {
  type ApiKey,
  type Page,
  type PageRequest,
  type PlatformRepository,
  type Store,
  type StoreCapabilities,
  StoreUnavailableError,
  type Tenant,
  type TransactionOptions,
  TransientStoreError,
  type Tx,
  type UssdSettings,
  type WhatsAppSettings,
  type WorkBacklog,
} from '@laas/core';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { Checkpointer, type CheckpointOptions } from './checkpoints.js';
import { apiKeyFromRow } from './mapping/api-key.js';
import { tenantFromRow } from './mapping/tenant.js';
import { ussdFromRow } from './mapping/ussd.js';
import { whatsappSettingsFromRow } from './mapping/whatsapp.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, MIGRATIONS, migrationProvider } from './migrations/index.js';
import { Mutex } from './mutex.js';
import { defineQuery, defineSql, p, Runner } from './query.js';
import { type LooseSelect, loose, runPage, Scope } from './repositories/scope.js';
import { sqliteSharedChannelPlatform } from './repositories/shared-channels.js';
import { SqliteTx } from './repositories/tx.js';
import type {
  ApiKeysTable,
  SqliteDatabase,
  TenantsTable,
  UssdSettingsTable,
  WhatsAppSettingsTable,
} from './schema.js';

export interface SqlitePragmas {
  /**
   * `PRAGMA synchronous`. Default `NORMAL`: with WAL, a commit is durable against an application
   * crash and the database is never corrupted; a power loss may lose the last transactions
   * (SQLite's recommended setting for WAL). `FULL` syncs the WAL on every commit.
   */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL';
  /** `PRAGMA busy_timeout`, ms another process's write lock is waited for. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * `PRAGMA journal_mode`. Default `WAL`: readers never block the writer nor the writer readers,
   * and commits are cheap. (An in-memory database always reports `memory`.)
   */
  journalMode?: 'WAL' | 'DELETE' | 'MEMORY';
}

export interface SqliteStoreOptions {
  /** The database file; default `':memory:'` (gone when the store closes). */
  filename?: string;
  pragmas?: SqlitePragmas;
  /**
   * WAL checkpoints (a file in WAL mode only): run by the store between transactions rather than
   * by SQLite inside a COMMIT, see {@link CheckpointOptions}. `false`: SQLite's automatic
   * checkpoint, in the COMMIT that fills the WAL past 1,000 pages.
   */
  checkpoints?: CheckpointOptions | false;
}

export interface SqliteStore extends Store {
  /**
   * Applies the migrations this version knows and the database lacks, in one transaction; returns
   * their names. Refuses (throws, changing nothing) a database migrated by a newer version of this
   * package, i.e. that lists migrations this code does not know.
   */
  migrate(): Promise<{ applied: string[] }>;
  /**
   * Kysely on the store's connection, for tooling and read-only reports. Queries through it do
   * not wait for the store's transactions: do not use it while one runs, and write through the
   * store's repositories.
   */
  readonly db: Kysely<SqliteDatabase>;
  /** The better-sqlite3 connection. */
  readonly connection: Database.Database;
  /**
   * Copies the live database into the file `destination` with SQLite's online backup API
   * (better-sqlite3's `db.backup`), while the store keeps serving: the copy is the database as
   * of one moment between two transactions, complete and consistent, with every committed
   * transaction up to that moment and none after. Written to a temporary file beside
   * `destination`, then renamed over it: a failed backup leaves no half copy under that name.
   *
   * How: it waits its turn on the store's queue (an open group commit commits first), then copies
   * every page in one step. This store's transactions wait meanwhile (a few milliseconds for a
   * small database: the copy runs at disk speed); other processes on the file keep reading and
   * writing (WAL: the copy holds a read snapshot only). Resolves with the copied page count.
   */
  backup(destination: string): Promise<{ pages: number; bytes: number }>;
}

export const DEFAULT_PRAGMAS: Required<SqlitePragmas> = {
  synchronous: 'NORMAL',
  busyTimeoutMs: 5000,
  journalMode: 'WAL',
};

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL'] as const;
const JOURNAL_MODES = ['WAL', 'DELETE', 'MEMORY'] as const;

function applyPragmas(conn: Database.Database, pragmas: SqlitePragmas | undefined): void {
  const p = { ...DEFAULT_PRAGMAS, ...pragmas };
  if (!SYNCHRONOUS.includes(p.synchronous))
    throw new TypeError(`synchronous must be one of ${SYNCHRONOUS.join(', ')}`);
  if (!JOURNAL_MODES.includes(p.journalMode))
    throw new TypeError(`journalMode must be one of ${JOURNAL_MODES.join(', ')}`);
  if (!Number.isInteger(p.busyTimeoutMs) || p.busyTimeoutMs < 0) {
    throw new TypeError('busyTimeoutMs must be a non-negative integer');
  }
  // busy_timeout first: switching to WAL may itself wait for another connection.
  conn.pragma(`busy_timeout = ${p.busyTimeoutMs}`);
  conn.pragma(`journal_mode = ${p.journalMode}`);
  conn.pragma(`synchronous = ${p.synchronous}`);
  conn.pragma('foreign_keys = ON');
  // Savepoints (every ingest's rule steps) otherwise write their sub-journals to temp files.
  conn.pragma('temp_store = MEMORY');
}

function isDatabase(value: unknown): value is Database.Database {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Database.Database).prepare === 'function' &&
    typeof (value as Database.Database).pragma === 'function'
  );
}

const apiKeyByHash = defineQuery((db) =>
  db.selectFrom('api_keys').selectAll().where('key_hash', '=', p('key_hash')).orderBy('id', 'asc').limit(1),
);
/** Across every tenant (metrics): the outbox not fanned out yet and the pending deliveries. */
const workBacklog = defineSql(`SELECT
  (SELECT min(created_at) FROM outbox WHERE dispatched_at IS NULL) AS oldest_undispatched_at,
  (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending_deliveries,
  (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending') AS earliest_pending_attempt_at`);
const tenantById = defineQuery((db) =>
  db.selectFrom('tenants').selectAll().where('tenant_id', '=', p('tenant_id')),
);
const ussdByServiceCode = defineQuery((db) =>
  db.selectFrom('ussd_settings').selectAll().where('service_code', '=', p('service_code')),
);
const whatsappByPhoneNumberId = defineQuery((db) =>
  db.selectFrom('whatsapp_settings').selectAll().where('phone_number_id', '=', p('value')),
);
const whatsappByVerifyToken = defineQuery((db) =>
  db.selectFrom('whatsapp_settings').selectAll().where('verify_token', '=', p('value')),
);

/**
 * A LaaS {@link Store} on SQLite.
 *
 * `sqliteStore({ filename: './data/laas.sqlite' })` opens (and on `close()` closes) the file;
 * `sqliteStore(database)` uses a better-sqlite3 connection you opened, and leaves it open on
 * `close()`. Either way the pragmas (WAL, `synchronous`, `busy_timeout`, `foreign_keys`, `temp_store`) are set
 * on the connection. Call `migrate()` before use.
 *
 * Transactions run one at a time (see the README): `capabilities.parallelTransactions` is false.
 * Do not call `store.transaction` from inside a transaction's callback: it would wait for itself.
 */
export function sqliteStore(
  db: Database.Database | SqliteStoreOptions = {},
  options: Omit<SqliteStoreOptions, 'filename'> = {},
): SqliteStore {
  let conn: Database.Database;
  let owned: boolean;
  const checkpoints = options.checkpoints ?? (isDatabase(db) ? undefined : db.checkpoints);
  if (isDatabase(db)) {
    conn = db;
    owned = false;
    applyPragmas(conn, options.pragmas);
  } else {
    try {
      conn = new Database(db.filename ?? ':memory:');
    } catch (error) {
      throw storeError(error);
    }
    owned = true;
    try {
      applyPragmas(conn, { ...db.pragmas, ...options.pragmas });
    } catch (error) {
      conn.close();
      throw storeError(error);
    }
  }
  const mutex = new Mutex();
  let checkpointer: Checkpointer | null = null;
  if (checkpoints !== false && conn.pragma('journal_mode', { simple: true }) === 'wal') {
    try {
      checkpointer = new Checkpointer(conn, mutex, checkpoints);
    } catch (error) {
      if (owned) conn.close();
      throw error;
    }
  }
  return new SqliteStoreImpl(conn, owned, mutex, checkpointer);
}

/** sqlite3_backup_step's page count for "all of them" (better-sqlite3 accepts 0..2^31-1). */
const ALL_PAGES = 0x7fffffff;

/** At most this many transactions share one COMMIT. */
const GROUP_MAX = 64;
/** A group commits once it is this old (ms), however many transactions wait. */
const GROUP_MAX_MS = 25;

/** Transactions whose work waits in the open write transaction for its COMMIT. */
class CommitGroup {
  readonly startedAt = performance.now();
  /** Members whose savepoint was released. */
  size = 0;
  readonly committed: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.committed = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A group whose members all failed has nobody awaiting it.
    this.committed.catch(() => {});
  }

  /** Tells every member: committed, or the error that lost their work. */
  settle(error?: unknown): void {
    if (error === undefined) this.resolve();
    else this.reject(error);
  }
}

class SqliteStoreImpl implements SqliteStore {
  readonly capabilities: StoreCapabilities = { parallelTransactions: false };
  readonly db: Kysely<SqliteDatabase>;
  readonly platform: PlatformRepository;
  private readonly runner: Runner;
  /** The write transaction open for a group commit, or null. */
  private group: CommitGroup | null = null;
  private closed = false;

  constructor(
    readonly connection: Database.Database,
    private readonly owned: boolean,
    private readonly mutex: Mutex,
    private readonly checkpointer: Checkpointer | null,
  ) {
    this.runner = new Runner(connection);
    // Kysely's driver runs on the same connection. Never `destroy()` it: that closes the connection.
    this.db = new Kysely<SqliteDatabase>({ dialect: new SqliteDialect({ database: connection }) });
    const base = new SqlitePlatformRepository(this.runner, this.mutex, () => this.assertOpen());
    this.platform = Object.assign(
      base,
      sqliteSharedChannelPlatform(this.runner, (fn) => base.exclusive(fn)),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('This SQLite store is closed');
  }

  /**
   * One transaction at a time: wait for the store's mutex, run `fn` in a savepoint of the open
   * write transaction (`BEGIN IMMEDIATE` when none is open; a read-only transaction alone gets a
   * plain `BEGIN`), `ROLLBACK TO` it and rethrow when `fn` throws. Each repository call runs its
   * statements synchronously, so while `fn` awaits, nothing else uses the connection: every other
   * transaction, platform read and ping is queued on the mutex.
   *
   * Group commit: when the next in the queue is another transaction (or one arrives within one
   * event-loop turn, see {@link endTurn}), the write transaction stays open and the next one runs in it (in its own savepoint), up to {@link GROUP_MAX} transactions
   * or {@link GROUP_MAX_MS}; then one `COMMIT` makes the group durable. A COMMIT writes every page
   * the transaction changed (an ingest changes about 34), and concurrent transactions mostly change
   * the same pages, so under load this commits many events for the price of one. Nobody is told
   * "done" before the COMMIT that holds their work: each transaction resolves after it. A failed
   * `fn` undoes only its own savepoint; should SQLite abort the whole transaction (an I/O error),
   * every transaction of the group fails with a `TransientStoreError`, which the engine retries.
   * Platform reads, pings, migrations and `close` never run inside an open group: it commits first.
   */
  async transaction<T>(
    tenantId: string,
    fn: (tx: Tx) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    this.assertOpen();
    if (!this.mutex.tryAcquire()) await this.mutex.acquire('transaction');
    const readOnly = options?.readOnly === true;
    if (this.group === null && readOnly) return this.alone(tenantId, fn);

    let group: CommitGroup;
    try {
      this.assertOpen();
      if (this.group === null) {
        this.runner.exec('BEGIN IMMEDIATE');
        this.group = new CommitGroup();
      }
      group = this.group;
      this.runner.exec('SAVEPOINT laas_tx');
    } catch (error) {
      this.endTurn();
      throw storeError(error);
    }
    const scope = new Scope(this.runner, tenantId);
    let result: T;
    try {
      result = await fn(new SqliteTx(scope));
      scope.open = false;
      this.runner.exec('RELEASE laas_tx');
    } catch (error) {
      scope.open = false;
      if (this.connection.inTransaction) {
        try {
          this.runner.exec('ROLLBACK TO laas_tx');
          this.runner.exec('RELEASE laas_tx');
        } catch {
          // Handled below: the transaction is gone, and the group with it.
        }
      }
      if (!this.connection.inTransaction) {
        // SQLite rolled the whole transaction back: the group's released work is gone too.
        this.group = null;
        group.settle(
          new TransientStoreError('SQLite rolled back a group of transactions; run them again', {
            cause: error,
          }),
        );
      }
      this.endTurn();
      throw storeError(error);
    }
    group.size += 1;
    this.endTurn();
    await group.committed;
    return result;
  }

  /** A read-only transaction with no group open: `BEGIN` ... `COMMIT` on its own. */
  private async alone<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    let scope: Scope | undefined;
    try {
      this.assertOpen();
      this.runner.exec('BEGIN');
      scope = new Scope(this.runner, tenantId);
      const result = await fn(new SqliteTx(scope));
      scope.open = false;
      this.runner.exec('COMMIT');
      return result;
    } catch (error) {
      if (scope !== undefined) scope.open = false;
      if (this.connection.inTransaction) {
        try {
          this.runner.exec('ROLLBACK');
        } catch {
          // The rollback's own failure would hide the error that caused it; SQLite has rolled back.
        }
      }
      throw storeError(error);
    } finally {
      this.mutex.release();
    }
  }

  /**
   * Ends a transaction's turn on the mutex: the open group stays open for the next transaction in
   * line while it may grow, else it commits (settling every member); then the mutex moves on.
   *
   * When nobody waits, the group lingers one `setImmediate` turn, still holding the mutex, before
   * it commits: over HTTP each request's body arrives in its own I/O callback, after the previous
   * transaction ended, so without it no group ever forms and every request pays its own COMMIT.
   * Callers queued meanwhile join the group (transactions) or run after its COMMIT (anything else).
   */
  private endTurn(lingered = false): void {
    const group = this.group;
    if (group !== null && group.size < GROUP_MAX && performance.now() - group.startedAt < GROUP_MAX_MS) {
      const next = this.mutex.nextUse();
      if (next === 'transaction') {
        this.mutex.release();
        return;
      }
      if (next === undefined && !lingered && group.size > 0) {
        setImmediate(() => this.endTurn(true));
        return;
      }
    }
    if (group !== null) {
      this.group = null;
      try {
        this.runner.exec('COMMIT');
        group.settle();
        this.checkpointer?.committed();
      } catch (error) {
        if (this.connection.inTransaction) {
          try {
            this.runner.exec('ROLLBACK');
          } catch {
            // SQLite has rolled back.
          }
        }
        group.settle(storeError(error));
      }
    }
    this.mutex.release();
  }

  async migrate(): Promise<{ applied: string[] }> {
    this.assertOpen();
    return this.mutex.run(async () => {
      this.assertOpen();
      this.runner.exec('BEGIN IMMEDIATE');
      try {
        const executed = this.executedMigrations();
        const unknown = executed.filter((name) => !(name in MIGRATIONS));
        if (unknown.length > 0) throw newerDatabaseError(unknown);
        const migrator = new Migrator({
          db: this.db,
          provider: migrationProvider,
          migrationTableName: MIGRATION_TABLE,
          migrationLockTableName: MIGRATION_LOCK_TABLE,
          // This method's BEGIN IMMEDIATE wraps every migration: all apply, or none.
          disableTransactions: true,
        });
        const { error, results } = await migrator.migrateToLatest();
        if (error !== undefined) throw error;
        // A write even when nothing was pending: a read-only file (permissions, an immutable file,
        // a read-only mount) fails here, at start-up, rather than on the first customer's event.
        const version = this.connection.pragma('user_version', { simple: true }) as number;
        this.connection.pragma(`user_version = ${Number(version)}`);
        this.runner.exec('COMMIT');
        return {
          applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
        };
      } catch (error) {
        if (this.connection.inTransaction) this.runner.exec('ROLLBACK');
        throw storeError(error);
      }
    });
  }

  /** Names of the migrations the database has run (none when it was never migrated). */
  private executedMigrations(): string[] {
    const table = this.connection
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(MIGRATION_TABLE);
    if (table === undefined) return [];
    return (
      this.connection.prepare(`SELECT name FROM "${MIGRATION_TABLE}" ORDER BY name`).all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.mutex.run(() => {
      this.assertOpen();
      const executed = this.executedMigrations();
      const unknown = executed.filter((name) => !(name in MIGRATIONS));
      if (unknown.length > 0) throw newerDatabaseError(unknown);
      const pending = Object.keys(MIGRATIONS).filter((name) => !executed.includes(name));
      if (pending.length > 0) {
        throw new Error(
          `The SQLite database has pending migrations (${pending.join(', ')}): run migrate() first`,
        );
      }
    });
  }

  async backup(destination: string): Promise<{ pages: number; bytes: number }> {
    this.assertOpen();
    const target = resolve(destination);
    const source = this.connection.name === ':memory:' ? null : resolve(this.connection.name);
    if (target === source) throw new Error(`Refusing to back the database up onto itself (${target})`);
    const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Date.now()}`);
    return this.mutex.run(async () => {
      this.assertOpen();
      try {
        // The first step only starts the backup; the progress callback then asks for every
        // remaining page at once: one snapshot, never restarted by another process's write.
        const { totalPages } = await this.connection.backup(partial, { progress: () => ALL_PAGES });
        renameSync(partial, target);
        return { pages: totalPages, bytes: statSync(target).size };
      } catch (error) {
        rmSync(partial, { force: true });
        throw storeError(error);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.mutex.run(() => {
      if (this.closed) return;
      this.closed = true;
      // Closing the file checkpoints the WAL (the last connection to it); a connection the
      // caller owns gets SQLite's automatic checkpoint back.
      this.checkpointer?.stop(!this.owned);
      if (this.owned && this.connection.open) this.connection.close();
    });
  }
}

/**
 * A SQLite failure as the error the ports promise: `SQLITE_BUSY` (another process held the write
 * lock past `busy_timeout`, or a read-only transaction's snapshot went stale) may succeed when
 * run again: `TransientStoreError`, which the engine retries. A full disk, a read-only file and
 * I/O errors are `StoreUnavailableError` (HTTP 503): nothing of the transaction was committed,
 * the database is intact, and the same request succeeds once the operator has fixed the cause.
 */
function storeError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const message = (error as Error).message;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) {
    return new TransientStoreError(`SQLite database is busy (${code}): ${message}`, { cause: error });
  }
  if (code === 'SQLITE_FULL') {
    return new StoreUnavailableError(
      'The database disk is full: nothing of this request was written. Free space (or raise the size limit) and retry',
      { cause: error, reason: 'disk_full', retryAfterSeconds: 30 },
    );
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    return new StoreUnavailableError('The database file is read-only: LaaS cannot write to it', {
      cause: error,
      reason: 'read_only',
      retryAfterSeconds: 30,
    });
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PROTOCOL') {
    return new StoreUnavailableError(`The database could not be read or written (${code})`, {
      cause: error,
      reason: 'io_error',
      retryAfterSeconds: 5,
    });
  }
  return error;
}

function newerDatabaseError(unknown: string[]): Error {
  return new Error(
    `This SQLite database was migrated by a newer version of @laas/adapters-sqlite: it has migrations this version does not know (${unknown.join(', ')}). Upgrade @laas/adapters-sqlite, or use a backup taken before the upgrade.`,
  );
}

class SqlitePlatformRepository implements Omit<PlatformRepository, keyof SharedChannelPlatformRepository> {
  constructor(
    private readonly runner: Runner,
    private readonly mutex: Mutex,
    private readonly assertOpen: () => void,
  ) {}

  /** Runs `fn` between transactions (the shared channels' platform methods use it too). */
  exclusive<T>(fn: () => T): Promise<T> {
    return this.read(fn);
  }

  /** Reads wait for the running transaction, so that they never see its uncommitted rows. */
  private read<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    return this.mutex.run(() => {
      this.assertOpen();
      return fn();
    });
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
    return this.read(() => {
      const row = this.runner.get<ApiKeysTable>(apiKeyByHash, { key_hash: keyHash });
      return row === undefined ? null : apiKeyFromRow(row);
    });
  }

  getTenant(tenantId: string): Promise<Tenant | null> {
    return this.read(() => {
      const row = this.runner.get<TenantsTable>(tenantById, { tenant_id: tenantId });
      return row === undefined ? null : tenantFromRow(row);
    });
  }

  findUssdByServiceCode(serviceCode: string): Promise<UssdSettings | null> {
    return this.read(() => {
      const row = this.runner.get<UssdSettingsTable>(ussdByServiceCode, { service_code: serviceCode });
      return row === undefined ? null : ussdFromRow(row);
    });
  }

  findWhatsAppByPhoneNumberId(phoneNumberId: string): Promise<WhatsAppSettings | null> {
    return this.read(() => {
      const row = this.runner.get<WhatsAppSettingsTable>(whatsappByPhoneNumberId, { value: phoneNumberId });
      return row === undefined ? null : whatsappSettingsFromRow(row);
    });
  }

  findWhatsAppByVerifyToken(verifyToken: string): Promise<WhatsAppSettings | null> {
    return this.read(() => {
      const row = this.runner.get<WhatsAppSettingsTable>(whatsappByVerifyToken, { value: verifyToken });
      return row === undefined ? null : whatsappSettingsFromRow(row);
    });
  }

  backlog(): Promise<WorkBacklog> {
    return this.read(() => {
      const row = this.runner.get<{
        oldest_undispatched_at: string | null;
        pending_deliveries: number;
        earliest_pending_attempt_at: string | null;
      }>(workBacklog, {});
      return {
        oldest_undispatched_at: row?.oldest_undispatched_at ?? null,
        pending_deliveries: Number(row?.pending_deliveries ?? 0),
        earliest_pending_attempt_at: row?.earliest_pending_attempt_at ?? null,
      };
    });
  }

  listTenants(page: PageRequest): Promise<Page<Tenant>> {
    return this.read(() =>
      runPage(
        this.runner,
        loose.selectFrom('tenants').selectAll() as LooseSelect,
        page,
        (row) => tenantFromRow(row as unknown as TenantsTable),
        'tenant_id',
      ),
    );
  }
}
