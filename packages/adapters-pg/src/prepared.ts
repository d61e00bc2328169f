import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * Distinct statement texts given a name, at most. PostgreSQL keeps a named statement until its
 * connection ends, so this also bounds the prepared statements (and their plans) per connection.
 */
export const MAX_PREPARED_STATEMENTS = 500;

/** A variable-length IN list (`in ($1, $2, ...)`): one text per length, so never named. */
const IN_LIST = /\bin \(\$\d+, \$\d+/i;

const names = new Map<string, string | null>();

/**
 * The statement's name: derived from its text (so two copies of this module, or two stores on one
 * pool, never give one name two texts), null for a text that is not worth preparing.
 */
function nameOf(text: string): string | null {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= MAX_PREPARED_STATEMENTS) return null;
  const name = IN_LIST.test(text)
    ? null
    : `laas_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  names.set(text, name);
  return name;
}

/**
 * The pool as Kysely sees it, with each statement that has parameters sent under a stable name:
 * pg parses it once per connection and afterwards only binds and executes it (the SQLite
 * adapter's `defineQuery` does the same with better-sqlite3's prepared statements). A statement
 * without parameters keeps pg's simple protocol, which runs several statements in one message
 * (BEGIN and the tenant setting).
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let facade = wrapped.get(client);
      if (facade === undefined) {
        const query = (text: unknown, values?: ReadonlyArray<unknown>) => {
          if (typeof text === 'string' && values !== undefined && values.length > 0) {
            const name = nameOf(text);
            if (name !== null) return client.query({ name, text, values: values as unknown[] });
          }
          return client.query(text as string, values as unknown[]);
        };
        facade = {
          query: query as unknown as PostgresPoolClient['query'],
          release: () => client.release(),
        };
        wrapped.set(client, facade);
      }
      return facade;
    },
    end: () => pool.end(),
  };
}
