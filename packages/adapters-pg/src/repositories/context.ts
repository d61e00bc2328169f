import {
  type BudgetPeriod,
  type Customer,
  decodeCursor,
  encodeCursor,
  ForeignTenantRowError,
  isUuid,
  type LoyaltyEvent,
  type Page,
  type PageRequest,
  pageLimit,
} from '@laas/core';
import { type Compilable, CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import { fromEvent } from '../mapping.js';
import { batchText, DEFERRED, inlineParameters, latest } from '../pipeline.js';
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
  /**
   * Rows this transaction holds locked (`customers.lock`, a budget period it reserved on), as they
   * now are: a locked row changes only through this transaction, so an update of it knows its
   * result without asking the database, and travels with the next statement (see `defer`).
   */
  held: HeldRows;
}

export interface HeldRows {
  customers: Map<string, Customer>;
  /** By `periodKey(budgetId, period)`. */
  periods: Map<string, BudgetPeriod>;
  /** Events this transaction stored whose insert waits for their outcome (`events.setOutcome`). */
  events: Map<string, LoyaltyEvent>;
}

export function heldRows(): HeldRows {
  return { customers: new Map(), periods: new Map(), events: new Map() };
}

export const periodKey = (budgetId: string, period: string) => `${budgetId}/${period}`;

/**
 * Sends `query` with the transaction's next statement that has an answer (see pipeline.ts): a
 * write whose result nobody reads costs no round trip. Its failure (a unique violation) fails
 * that later statement, at the latest COMMIT, and so the transaction. With `key` (a row), it
 * takes the place of the row's statement still waiting: a held row written twice before the next
 * round trip is written once, with its whole new value.
 */
export async function defer(
  ctx: TxContext,
  query: Compilable | RawBuilder<unknown>,
  key?: string,
): Promise<void> {
  const { sql: text, parameters } = compile(ctx, query);
  await ctx.db.executeQuery(
    CompiledQuery.raw(`${key === undefined ? DEFERRED : latest(key)}${text}`, [...parameters]),
  );
}

/**
 * Sends the inserts of the events this transaction stored and has not given an outcome yet: before
 * anything reads events, and before COMMIT.
 */
export async function sendHeldEvents(ctx: TxContext): Promise<void> {
  if (ctx.held.events.size === 0) return;
  for (const event of ctx.held.events.values())
    await defer(ctx, ctx.db.insertInto('events').values(fromEvent(event)));
  ctx.held.events.clear();
}

function compile(ctx: TxContext, query: Compilable | RawBuilder<unknown>) {
  return 'isRawBuilder' in query ? query.compile(ctx.db) : query.compile();
}

/** Runs `queries` in one round trip; each one's rows, in order. */
export async function batch<R extends unknown[]>(
  ctx: TxContext,
  queries: { [K in keyof R]: Compilable<R[K]> },
): Promise<{ [K in keyof R]: R[K][] }> {
  const texts: string[] = [];
  for (const query of queries) {
    const { sql: text, parameters } = query.compile();
    const inlined = inlineParameters(text, parameters);
    if (inlined === null) {
      // A value with no text form: one round trip each, as without a batch.
      const all: unknown[][] = [];
      for (const q of queries) all.push((await ctx.db.executeQuery(q.compile())).rows);
      return all as { [K in keyof R]: R[K][] };
    }
    texts.push(inlined);
  }
  const { rows } = await ctx.db.executeQuery(CompiledQuery.raw(batchText(texts), []));
  return rows as { [K in keyof R]: R[K][] };
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
