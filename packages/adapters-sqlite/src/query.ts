import type BetterSqlite3 from 'better-sqlite3';
import {
  type Compilable,
  type CompiledQuery,
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { SqliteDatabase } from './schema.js';

/**
 * Query execution. Queries are written with Kysely's query builder, compiled to SQL ONCE, prepared
 * ONCE per connection, and run synchronously with better-sqlite3's statement API: building and
 * compiling a Kysely query costs several times what SQLite takes to run it, and the port's
 * methods are on the ingest hot path.
 *
 * A static query ({@link defineQuery}) names its parameters with {@link p}: `p('id')` is a marker
 * that Kysely compiles to a `?` like any value; running the query binds each marker to the
 * argument of that name. Queries whose shape depends on the call (optional filters of a list) are
 * built per call with the store's Kysely instance and run with {@link Runner.compiled}; their
 * prepared statements are cached by SQL text too.
 */

class Param {
  constructor(readonly name: string) {}
}

/** A named parameter of a static query. Typed `never` so that it fits any column. */
export function p(name: string): never {
  return new Param(name) as never;
}

/** A Kysely that only compiles (no connection): queries are built and compiled with it. */
export const compiler = new Kysely<SqliteDatabase>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** The arguments of a query by parameter name (a mapped row, or a literal object). */
export type Args = object;

export interface QueryDef {
  readonly sql: string;
  /** Per `?`: the name of an argument, or a constant Kysely put there. */
  readonly binds: ReadonlyArray<Param | { value: unknown }>;
}

/** A query compiled once: `build` gets a compile-only Kysely and uses {@link p} for arguments. */
export function defineQuery(build: (db: Kysely<SqliteDatabase>) => Compilable): QueryDef {
  const compiled = build(compiler).compile();
  return {
    sql: compiled.sql,
    binds: compiled.parameters.map((value) => (value instanceof Param ? value : { value })),
  };
}

/** A query written in SQL (for what the builder cannot say), with `@name` parameters. */
export function defineSql(text: string): QueryDef {
  const binds: Param[] = [];
  const sql = text.replace(/@([a-z_][a-z0-9_]*)/gi, (_, name: string) => {
    binds.push(new Param(name));
    return '?';
  });
  return { sql, binds };
}

/** `{ column: p(column) }` for each column: the values of an insert or an update. */
export function markers(columns: readonly string[]): Record<string, never> {
  const values: Record<string, never> = {};
  for (const column of columns) values[column] = p(column);
  return values;
}

function bind(def: QueryDef, args: Args): unknown[] {
  const values = new Array<unknown>(def.binds.length);
  for (let i = 0; i < def.binds.length; i++) {
    const b = def.binds[i]!;
    if (b instanceof Param) {
      if (!(b.name in args)) throw new Error(`missing query argument ${b.name} for: ${def.sql}`);
      values[i] = (args as Record<string, unknown>)[b.name] ?? null;
    } else {
      values[i] = b.value;
    }
  }
  return values;
}

/** Runs queries on one connection, preparing each SQL text once. */
export class Runner {
  private readonly byDef = new Map<QueryDef, BetterSqlite3.Statement>();
  private readonly bySql = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly conn: BetterSqlite3.Database) {}

  private statement(def: QueryDef): BetterSqlite3.Statement {
    let statement = this.byDef.get(def);
    if (statement === undefined) {
      statement = this.prepare(def.sql);
      this.byDef.set(def, statement);
    }
    return statement;
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.bySql.get(sql);
    if (statement === undefined) {
      statement = this.conn.prepare(sql);
      this.bySql.set(sql, statement);
    }
    return statement;
  }

  /** The first row, or undefined. */
  get<R>(def: QueryDef, args: Args): R | undefined {
    return this.statement(def).get(...bind(def, args)) as R | undefined;
  }

  all<R>(def: QueryDef, args: Args): R[] {
    return this.statement(def).all(...bind(def, args)) as R[];
  }

  /** Runs a statement that returns no rows; the number of rows it changed. */
  run(def: QueryDef, args: Args): number {
    return this.statement(def).run(...bind(def, args)).changes;
  }

  /** A query built per call (its statement is still prepared once per SQL text). */
  compiled<R>(query: CompiledQuery): R[] {
    return this.prepare(query.sql).all(...(query.parameters as unknown[])) as R[];
  }

  exec(sql: string): void {
    this.prepare(sql).run();
  }
}
