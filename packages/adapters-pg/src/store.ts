import {
  type ApiKey,
  decodeCursor,
  encodeCursor,
  isUuid,
  MAX_PAGE_LIMIT,
  type Page,
  type PageRequest,
  type PlatformRepository,
  type Store,
  type Tenant,
  type TransactionOptions,
  type Tx,
  type UssdSettings,
  ValidationError,
  type WhatsAppSettings,
} from '@laas/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { translateError } from './errors.js';
import * as m from './mapping.js';
import { appliedMigrations, refuseUnknown } from './migrate.js';
import { MIGRATION_NAMES } from './migrations/index.js';
import { checkIdentifier, DEFAULT_SCHEMA } from './names.js';
import { createTx } from './repositories.js';
import type { PgDatabase } from './schema.js';

export interface PgStoreOptions {
  /** `postgres://laas_app@host:5432/db`: connect as the application role, not as the owner. */
  connectionString?: string;
  /** Default `laas`. */
  schema?: string;
  pool?: { max?: number };
}

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
  options?: { schema?: string },
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
    pool = new pg.Pool({
      connectionString: poolOrOptions.connectionString,
      max: poolOrOptions.pool?.max ?? 10,
    });
    // An idle client that dies (server restart) is removed from the pool; without a listener the
    // pool's 'error' event would crash the process.
    pool.on('error', () => {});
    ownsPool = true;
    schema = poolOrOptions.schema ?? options?.schema ?? DEFAULT_SCHEMA;
  }
  checkIdentifier('schema', schema);

  const root = new Kysely<PgDatabase>({ dialect: new PostgresDialect({ pool }) });
  const db = root.withSchema(schema);
  let closed = false;

  const fn = (name: string) => sql.raw(`"${schema}".${name}`);

  const platform: PlatformRepository = {
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
    async listTenants(page: PageRequest): Promise<Page<Tenant>> {
      const limit = Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.trunc(page.limit) || 1));
      const after = decodeCursor(page.cursor);
      if (after !== undefined && !isUuid(after)) {
        throw new ValidationError('The cursor is not valid', [
          { path: 'cursor', message: 'is not a cursor of this list' },
        ]);
      }
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

  async function transaction<T>(tenantId: string, body: (tx: Tx) => Promise<T>, opts?: TransactionOptions) {
    if (closed) throw new Error('The store is closed');
    if (!isUuid(tenantId)) {
      throw new ValidationError('A tenant id is a UUID', [{ path: 'tenant_id', message: 'must be a UUID' }]);
    }
    // Kysely runs BEGIN, every statement of `body` and COMMIT / ROLLBACK on one pool client.
    let builder = db.transaction().setIsolationLevel('read committed');
    if (opts?.readOnly) builder = builder.setAccessMode('read only');
    try {
      return await builder.execute(async (trx) => {
        // `true`: local to this transaction, so the setting never leaks to the client's next user.
        await sql`SELECT set_config('laas.tenant_id', ${tenantId}, true)`.execute(trx);
        return body(createTx({ db: trx, tenantId, schema }));
      });
    } catch (error) {
      throw translateError(error);
    }
  }

  return {
    db,
    platform,
    capabilities: { parallelTransactions: true },
    transaction,
    async ping() {
      if (closed) throw new Error('The store is closed');
      const applied = await appliedMigrations(root as Kysely<unknown>, schema);
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
