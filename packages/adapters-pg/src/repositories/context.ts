import {
  decodeCursor,
  encodeCursor,
  ForeignTenantRowError,
  isUuid,
  type Page,
  type PageRequest,
  pageLimit,
} from '@laas/core';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { PgDatabase } from '../schema.js';

/**
 * The repositories of one transaction. `db` is bound to the transaction's single connection, on
 * which `laas.tenant_id` is set (row-level security); every query below also filters by
 * `tenant_id` explicitly, so isolation holds twice.
 */
export interface TxContext {
  db: Kysely<PgDatabase>;
  tenantId: string;
  /** The schema name (unquoted), for the raw SQL statements. */
  schema: string;
}

/** A schema-qualified table for raw SQL. */
export function table(ctx: TxContext, name: keyof PgDatabase): RawBuilder<unknown> {
  return sql.table(`${ctx.schema}.${name}`);
}

/** Refuses a row of another tenant before the database's WITH CHECK policy would. */
export function ownRow(ctx: TxContext, tenantId: string, entity: string): void {
  if (tenantId !== ctx.tenantId) throw new ForeignTenantRowError(entity, tenantId, ctx.tenantId);
}

/** Ids are uuid columns: a string that is not a UUID names no row (rather than failing the query). */
export function validId(id: string | null | undefined): id is string {
  return typeof id === 'string' && isUuid(id);
}

export function pageAfter(page: PageRequest): string | undefined {
  const after = decodeCursor(page.cursor);
  return after;
}

/**
 * Newest-first keyset pagination by id: `query(after, limit + 1)` must return rows with
 * `id < after` by id descending; the extra row tells whether there is a next page.
 */
export async function paginate<R extends { id: string }, T>(
  page: PageRequest,
  query: (after: string | undefined, limit: number) => Promise<R[]>,
  map: (row: R) => T,
): Promise<Page<T>> {
  const limit = pageLimit(page);
  const rows = await query(pageAfter(page), limit + 1);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(map);
  const last = more ? rows[limit - 1] : undefined;
  return { items, next_cursor: last === undefined ? null : encodeCursor(last.id) };
}

/** Runs `fn` inside a savepoint, so that a failed statement does not abort the whole transaction. */
export async function inSavepoint<T>(ctx: TxContext, fn: () => Promise<T>): Promise<T> {
  await sql`SAVEPOINT laas_sp`.execute(ctx.db);
  try {
    const result = await fn();
    await sql`RELEASE SAVEPOINT laas_sp`.execute(ctx.db);
    return result;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT laas_sp`.execute(ctx.db);
    await sql`RELEASE SAVEPOINT laas_sp`.execute(ctx.db);
    throw error;
  }
}
