import {
  decodeCursor,
  encodeCursor,
  ForeignTenantRowError,
  LaasError,
  type Page,
  type PageRequest,
  pageLimit,
  UniqueViolationError,
} from '@laas/core';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import { type Args, compiler, defineQuery, markers, p, type QueryDef, type Runner } from '../query.js';
import type { Row, TableName } from '../schema.js';

/**
 * What the repositories of one transaction share: the connection and the tenant. Once the
 * transaction has ended, every call through it throws, so that a `Tx` kept by mistake can never
 * write into a later transaction (which would also be another tenant's).
 */
export class Scope {
  open = true;
  constructor(
    private readonly runner: Runner,
    readonly tenantId: string,
  ) {}

  get r(): Runner {
    if (!this.open) {
      throw new LaasError(
        'INTERNAL_ERROR',
        'sqliteStore: this transaction has ended; use the Tx only inside fn',
      );
    }
    return this.runner;
  }

  /** Refuses a row of another tenant: a Tx writes its own tenant's rows only (invariant 7). */
  own<R extends { tenant_id: string }>(row: R, entity: string): R {
    if (row.tenant_id !== this.tenantId)
      throw new ForeignTenantRowError(entity, row.tenant_id, this.tenantId);
    return row;
  }

  /** Runs an insert or update, turning a unique-constraint failure into `UniqueViolationError`. */
  unique<T>(entity: string, row: object, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toUniqueViolation(error, entity, row);
    }
  }
}

/**
 * `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY` as `UniqueViolationError`, naming the field: the
 * message lists the key's columns (`UNIQUE constraint failed: customers.tenant_id,
 * customers.phone`); the field is the last one that is not `tenant_id` (`id` for a tenant).
 */
export function toUniqueViolation(error: unknown, entity: string, row: object): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return error;
  const match = /constraint failed: (.+)$/.exec((error as Error).message);
  const columns = (match?.[1] ?? '').split(',').map((c) => c.trim().split('.').pop() ?? '');
  const column = columns.filter((c) => c !== 'tenant_id' && c !== '').pop() ?? 'tenant_id';
  const field = column === 'tenant_id' ? 'id' : column;
  const value = (row as Record<string, unknown>)[column];
  const violation = new UniqueViolationError(entity, field, typeof value === 'string' ? value : undefined);
  (violation as { cause?: unknown }).cause = error;
  return violation;
}

// ---- statements every entity with an `(tenant_id, id)` key shares, defined once per table ----

const insertDefs = new Map<string, QueryDef>();
/** `INSERT INTO table (<the row's columns>)`. */
export function insertDef(table: TableName, row: object): QueryDef {
  let def = insertDefs.get(table);
  if (def === undefined) {
    const columns = Object.keys(row);
    def = defineQuery((db) => db.insertInto(table).values(markers(columns) as never));
    insertDefs.set(table, def);
  }
  return def;
}

const updateDefs = new Map<string, QueryDef>();
/** Columns an update never writes: the key, and when the row was created. */
export const FIXED_COLUMNS: ReadonlySet<string> = new Set(['tenant_id', 'id', 'created_at']);

/** `UPDATE table SET <every column but the key and created_at> WHERE tenant_id AND id`. */
export function updateDef(table: Exclude<TableName, 'tenants' | 'idempotency_keys'>, row: object): QueryDef {
  let def = updateDefs.get(table);
  if (def === undefined) {
    const columns = Object.keys(row).filter((c) => !FIXED_COLUMNS.has(c));
    def = defineQuery((db) =>
      db
        .updateTable(table)
        .set(markers(columns))
        .where('tenant_id', '=', p('tenant_id'))
        .where('id', '=', p('id')),
    );
    updateDefs.set(table, def);
  }
  return def;
}

const getDefs = new Map<string, QueryDef>();
/** `SELECT * FROM table WHERE tenant_id AND id`. */
export function getDef(table: Exclude<TableName, 'tenants' | 'idempotency_keys'>): QueryDef {
  let def = getDefs.get(table);
  if (def === undefined) {
    def = defineQuery((db) =>
      db.selectFrom(table).selectAll().where('tenant_id', '=', p('tenant_id')).where('id', '=', p('id')),
    );
    getDefs.set(table, def);
  }
  return def;
}

const deleteDefs = new Map<string, QueryDef>();
export function deleteDef(table: 'rules' | 'webhook_subscriptions'): QueryDef {
  let def = deleteDefs.get(table);
  if (def === undefined) {
    def = defineQuery((db) =>
      db.deleteFrom(table).where('tenant_id', '=', p('tenant_id')).where('id', '=', p('id')),
    );
    deleteDefs.set(table, def);
  }
  return def;
}

export function getRow<T extends Exclude<TableName, 'tenants' | 'idempotency_keys'>>(
  scope: Scope,
  table: T,
  id: string,
): Row<T> | undefined {
  return scope.r.get<Row<T>>(getDef(table), { tenant_id: scope.tenantId, id });
}

// ---- pagination ----

type LooseDb = Record<string, Record<string, unknown>>;
/** The compiler with every table's columns untyped, for the lists that any table shares. */
const loose = compiler as unknown as Kysely<LooseDb>;
export type LooseSelect = SelectQueryBuilder<LooseDb, string, Record<string, unknown>>;

/**
 * One page, newest first: `ORDER BY id DESC`, `id < cursor`, `LIMIT limit + 1` to tell whether a
 * next page exists. `filter` adds the list's own conditions. Ids are UUIDv7, so a row inserted
 * meanwhile sorts before the cursor and is neither skipped nor repeated.
 */
export function listPage<T extends TableName, D>(
  scope: Scope,
  table: T,
  page: PageRequest,
  map: (row: Row<T>) => D,
  filter?: (query: LooseSelect) => LooseSelect,
): Page<D> {
  let query = loose.selectFrom(table).selectAll().where('tenant_id', '=', scope.tenantId) as LooseSelect;
  if (filter) query = filter(query);
  return runPage(scope.r, query, page, map as unknown as (row: Record<string, unknown>) => D);
}

/** Pages any select (`platform.listTenants` too); the rows must have an `id` column. */
export function runPage<D>(
  runner: Runner,
  base: LooseSelect,
  page: PageRequest,
  map: (row: Record<string, unknown>) => D,
  idColumn = 'id',
): Page<D> {
  const limit = pageLimit(page);
  const after = decodeCursor(page.cursor);
  let query = base;
  if (after !== undefined) query = query.where(idColumn, '<', after);
  const rows = runner.compiled<Record<string, unknown>>(
    query
      .orderBy(idColumn, 'desc')
      .limit(limit + 1)
      .compile(),
  );
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(map);
  const last = more ? rows[limit - 1] : undefined;
  return { items, next_cursor: last === undefined ? null : encodeCursor(String(last[idColumn])) };
}

export type { Args };
export { loose };
