import {
  type ApiKey,
  decodeCursor,
  encodeCursor,
  isUuid,
  type Page,
  type PageRequest,
  type PlatformRepository,
  pageLimit,
  type Store,
  StoreUnavailableError,
  type Tenant,
  type TransactionOptions,
  type Tx,
  type UssdSettings,
  ValidationError,
  type WhatsAppSettings,
  type WorkBacklog,
} from '@laas/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { translateError, unavailableError } from './errors.js';
import * as m from './mapping.js';
import { appliedMigrations, refuseUnknown } from './migrate.js';
import { MIGRATION_NAMES } from './migrations/index.js';
import { checkIdentifier, DEFAULT_SCHEMA } from './names.js';
import { DEFERRED, pipeliningPool } from './pipeline.js';
import { guardPool, ignore } from './pool-guard.js';
import { preparingPool } from './prepared.js';
import { heldRows, sendHeldEvents } from './repositories/context.js';
import { pgSharedChannelPlatform } from './repositories/shared-channels.js';
import { createTx } from './repositories/tx.js';
import type { PgDatabase } from './schema.js';
import { TenantGate } from './tenant-gate.js';

export interface PgStoreOptions {
  /** `postgres://laas_app@host:5432/db`: connect as the application role, not as the owner. */
  connectionString?: string;
  /** Default `laas`. */
  schema?: string;
  pool?: {
    /** Connections at most (default 10). */
    max?: number;
    /**
     * How long a transaction waits for a connection (a free one in the pool, or a new one being
     * made) before it fails with `STORE_UNAVAILABLE`. Default 5000 ms.
     */
    acquireTimeoutMs?: number;
  };
  /**
   * PostgreSQL `lock_timeout` of the store's connections: a statement waiting this long for a row
   * lock (another transaction holds the customer) fails with `STORE_UNAVAILABLE`, so a stuck row
   * costs its own customer a 503 and nobody else a connection. Default 3000 ms; 0 = wait forever.
   */
  lockTimeoutMs?: number;
  /** PostgreSQL `statement_timeout` of the store's connections. Default 15000 ms; 0 = none. */
  statementTimeoutMs?: number;
  /**
   * Transactions of one tenant running at once, at most (the others wait up to
   * `pool.acquireTimeoutMs`, then fail with `STORE_UNAVAILABLE`). Default half the pool (at
   * least 1), so one tenant can never take every connection.
   */
  tenantMaxConnections?: number;
  /**
   * Send each statement under a name, so that every connection parses and plans it once (at most
   * 500 distinct statements). Default false: a pooler in transaction mode (PgBouncer before 1.21,
   * or without `max_prepared_statements`) hands a transaction a server connection that has not
   * seen the name, and the statement fails.
   */
  preparedStatements?: boolean;
}

export const DEFAULT_PG_POOL_MAX = 10;
export const DEFAULT_PG_ACQUIRE_TIMEOUT_MS = 5000;
export const DEFAULT_PG_LOCK_TIMEOUT_MS = 3000;
export const DEFAULT_PG_STATEMENT_TIMEOUT_MS = 15_000;
/** How long `ping` (and so `/ready`) waits for the database before it says it is unavailable. */
const PING_TIMEOUT_MS = 2000;

function isPool(value: pg.Pool | PgStoreOptions): value is pg.Pool {
  return (
    typeof (value as { connect?: unknown }).connect === 'function' &&
    typeof (value as { query?: unknown }).query === 'function'
  );
}

export interface PgStore extends Store {
  /**
   * The Kysely instance over the store's pool, bound to the store's schema (`withSchema`). Outside
   * `transaction()` no tenant is set, so row-level security shows the app role no rows.
   */
  readonly db: Kysely<PgDatabase>;
}

/**
 * A {@link Store} on PostgreSQL. Pass a `pg.Pool` you own (the store never ends it, and sets no
 * global type parsers on it), or options to let the store create and own one.
 *
 * The pool should connect as the application role that {@link migratePg} created: neither the
 * tables' owner nor a superuser nor BYPASSRLS, so that row-level security applies.
 */
export function pgStore(
  poolOrOptions: pg.Pool | (PgStoreOptions & { connectionString: string }),
  options?: { schema?: string; preparedStatements?: boolean },
): PgStore {
  let pool: pg.Pool;
  let ownsPool: boolean;
  let schema: string;
  // Duck-typed rather than `instanceof`: the caller's pg may be another copy of the module.
  if (isPool(poolOrOptions)) {
    pool = poolOrOptions;
    ownsPool = false;
    schema = options?.schema ?? DEFAULT_SCHEMA;
  } else {
    const lockTimeout = poolOrOptions.lockTimeoutMs ?? DEFAULT_PG_LOCK_TIMEOUT_MS;
    const statementTimeout = poolOrOptions.statementTimeoutMs ?? DEFAULT_PG_STATEMENT_TIMEOUT_MS;
    pool = new pg.Pool({
      connectionString: poolOrOptions.connectionString,
      max: poolOrOptions.pool?.max ?? DEFAULT_PG_POOL_MAX,
      connectionTimeoutMillis: poolOrOptions.pool?.acquireTimeoutMs ?? DEFAULT_PG_ACQUIRE_TIMEOUT_MS,
      keepAlive: true,
      // Sent in the startup packet: no extra round trip per transaction.
      ...(lockTimeout > 0 ? { lock_timeout: lockTimeout } : {}),
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      // A transaction left open by a crashed caller must not hold its locks forever.
      idle_in_transaction_session_timeout: Math.max(60_000, statementTimeout * 2),
    });
    ownsPool = true;
    schema = poolOrOptions.schema ?? options?.schema ?? DEFAULT_SCHEMA;
  }
  checkIdentifier('schema', schema);
  guardPool(pool);
  const settings: PgStoreOptions = isPool(poolOrOptions) ? {} : poolOrOptions;
  const poolMax = settings.pool?.max ?? (pool.options as { max?: number }).max ?? DEFAULT_PG_POOL_MAX;
  const gate = new TenantGate(
    settings.tenantMaxConnections ?? Math.max(1, Math.floor(poolMax / 2)),
    settings.pool?.acquireTimeoutMs ?? DEFAULT_PG_ACQUIRE_TIMEOUT_MS,
  );

  const prepared = settings.preparedStatements ?? options?.preparedStatements ?? false;
  const root = new Kysely<PgDatabase>({
    dialect: new PostgresDialect({ pool: pipeliningPool(prepared ? preparingPool(pool) : pool) }),
  });
  const db = root.withSchema(schema);
  let closed = false;

  const fn = (name: string) => sql.raw(`"${schema}".${name}`);

  /**
   * A platform read outside any transaction: a lost connection is retried twice on a fresh one
   * (a read changes nothing), then answered `STORE_UNAVAILABLE` like every other failure of the
   * database.
   */
  async function read<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const translated = translateError(error);
        if (translated instanceof StoreUnavailableError && translated.safeToRetry && attempt < 3) {
          await new Promise((resume) => setTimeout(resume, 20 * attempt));
          continue;
        }
        throw translated;
      }
    }
  }

  const unguarded: PlatformRepository = {
    ...pgSharedChannelPlatform(root, schema),
    // Cross-tenant reads go through SECURITY DEFINER functions (see the migration): the app
    // role has no other way past row-level security.
    async findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
      const { rows } = await sql<m.ApiKeyRow>`SELECT * FROM ${fn('laas_find_api_key')}(${keyHash})`.execute(
        root,
      );
      return rows[0] ? m.toApiKey(rows[0]) : null;
    },
    async getTenant(tenantId: string): Promise<Tenant | null> {
      if (!isUuid(tenantId)) return null;
      const { rows } =
        await sql<m.TenantRow>`SELECT * FROM ${fn('laas_get_tenant')}(${tenantId}::uuid)`.execute(root);
      return rows[0] ? m.toTenant(rows[0]) : null;
    },
    async findUssdByServiceCode(serviceCode: string): Promise<UssdSettings | null> {
      const { rows } = await sql<m.UssdSettingsRow>`
        SELECT * FROM ${fn('laas_find_ussd_settings')}(${serviceCode})`.execute(root);
      return rows[0] ? m.toUssdSettings(rows[0]) : null;
    },
    async findWhatsAppByPhoneNumberId(phoneNumberId: string): Promise<WhatsAppSettings | null> {
      const { rows } = await sql<m.WhatsAppSettingsRow>`
        SELECT * FROM ${fn('laas_find_whatsapp_by_phone_number_id')}(${phoneNumberId})`.execute(root);
      return rows[0] ? m.toWhatsAppSettings(rows[0]) : null;
    },
    async findWhatsAppByVerifyToken(verifyToken: string): Promise<WhatsAppSettings | null> {
      const { rows } = await sql<m.WhatsAppSettingsRow>`
        SELECT * FROM ${fn('laas_find_whatsapp_by_verify_token')}(${verifyToken})`.execute(root);
      return rows[0] ? m.toWhatsAppSettings(rows[0]) : null;
    },
    async backlog(): Promise<WorkBacklog> {
      const { rows } = await sql<{
        oldest_undispatched_at: Date | string | null;
        pending_deliveries: string | number;
        earliest_pending_attempt_at: Date | string | null;
      }>`SELECT * FROM ${fn('laas_work_backlog')}()`.execute(root);
      const row = rows[0];
      return {
        oldest_undispatched_at: m.tsOrNull(row?.oldest_undispatched_at ?? null),
        pending_deliveries: m.int(row?.pending_deliveries ?? 0),
        earliest_pending_attempt_at: m.tsOrNull(row?.earliest_pending_attempt_at ?? null),
      };
    },
    async listTenants(page: PageRequest): Promise<Page<Tenant>> {
      const limit = pageLimit(page);
      const after = decodeCursor(page.cursor);
      const { rows } = await sql<m.TenantRow>`
        SELECT * FROM ${fn('laas_list_tenants')}(${after ?? null}::uuid, ${limit + 1}::integer)`.execute(
        root,
      );
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(m.toTenant);
      const last = items[items.length - 1];
      return { items, next_cursor: more && last ? encodeCursor(last.id) : null };
    },
  };

  // Every platform method goes through `read`.
  const platform = Object.fromEntries(
    Object.entries(unguarded).map(([name, method]) => [
      name,
      (...args: unknown[]) => read(() => (method as (...a: unknown[]) => Promise<unknown>)(...args)),
    ]),
  ) as unknown as PlatformRepository;

  async function transaction<T>(tenantId: string, body: (tx: Tx) => Promise<T>, opts?: TransactionOptions) {
    if (closed) throw new Error('The store is closed');
    if (!isUuid(tenantId)) {
      throw new ValidationError('A tenant id is a UUID', [{ path: 'tenant_id', message: 'must be a UUID' }]);
    }
    // BEGIN and the tenant setting travel with the transaction's first statement (pipeline.ts),
    // in pg's simple protocol. The id is inlined as a literal, which is safe only because it was
    // just checked to be a UUID. `true`: local to this transaction, so the setting never leaks to
    // the client's next user.
    const begin = sql.raw(
      `${DEFERRED}BEGIN ISOLATION LEVEL READ COMMITTED${opts?.readOnly ? ' READ ONLY' : ''}; ` +
        `SELECT set_config('laas.tenant_id', '${tenantId}', true)`,
    );
    // Set once `body` has resolved: from then on COMMIT is on its way, and a connection lost now
    // leaves the outcome unknown, so the failure must not be retried blindly.
    let committing = false;
    try {
      return await gate.run(tenantId, () =>
        // Every statement of `body`, and COMMIT / ROLLBACK, on one pool client.
        db.connection().execute(async (conn) => {
          await begin.execute(conn);
          try {
            const ctx = { db: conn, tenantId, schema, held: heldRows() };
            const result = await body(createTx(ctx));
            await sendHeldEvents(ctx);
            committing = true;
            await sql`COMMIT`.execute(conn);
            return result;
          } catch (error) {
            // As Kysely's transaction(): a ROLLBACK that fails (the connection is gone) is the
            // error reported.
            await sql`ROLLBACK`.execute(conn);
            throw error;
          }
        }),
      );
    } catch (error) {
      const translated = translateError(error);
      if (committing && translated instanceof StoreUnavailableError && translated.safeToRetry) {
        throw new StoreUnavailableError(
          'The database connection was lost while the transaction was committing: it may or may not have been applied. Retry with the same idempotency key to find out',
          { cause: error, safeToRetry: false, reason: 'commit_unknown' },
        );
      }
      throw translated;
    }
  }

  /** Rejects with `StoreUnavailableError` when `work` has not settled within `ms`. */
  function within<T>(ms: number, work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreUnavailableError(`The database did not answer within ${ms} ms`, { reason: 'timeout' }),
          ),
        ms,
      );
    });
    work.catch(ignore);
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  return {
    db,
    platform,
    capabilities: { parallelTransactions: true },
    transaction,
    poolStats() {
      return {
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max: pool.options.max ?? DEFAULT_PG_POOL_MAX,
      };
    },
    async ping() {
      if (closed) throw new Error('The store is closed');
      const applied = await within(PING_TIMEOUT_MS, appliedMigrations(root as Kysely<unknown>, schema)).catch(
        (error: unknown) => {
          throw unavailableError(error) ?? error;
        },
      );
      refuseUnknown(applied, schema);
      const pending = MIGRATION_NAMES.filter((name) => !applied.includes(name));
      if (pending.length > 0) {
        throw new Error(
          `Schema "${schema}" has pending migrations (${pending.join(', ')}): run migratePg (laas migrate) as the owner`,
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsPool) await root.destroy();
    },
  };
}
