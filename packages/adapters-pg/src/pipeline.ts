import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
// pg's own conversion of a parameter to its text form (what it sends in a Bind message): a value
// inlined below is written exactly as pg would have sent it.
import pgUtils from 'pg/lib/utils.js';

/**
 * Why this module exists: a transaction on PostgreSQL costs a round trip per statement, and most of
 * an ingest's statements are writes whose answer nobody reads (the event, its ledger rows, the
 * outbox). pg sends one statement per message (it has no pipelining), but its simple protocol runs
 * several statements sent as one text. So a write marked {@link DEFERRED} is kept by the client and
 * travels, inlined, in front of the transaction's next statement that needs an answer (a read, a
 * guarded update, at the latest COMMIT): a round trip per answer, not per statement. Statements run
 * in the order they were issued, so every read sees the writes before it. A deferred write that
 * fails (a unique violation) fails the statement that carried it.
 */

/** Prefix of a statement whose answer nobody reads: it waits for the next statement that has one. */
export const DEFERRED = '/*laas:deferred*/';

/**
 * Prefix of a deferred statement that writes row `key`'s whole new value: it takes the place of
 * the row's statement still waiting, or waits itself.
 */
export const latest = (key: string) => `/*laas:latest:${key}*/`;
const KEYED = /^\/\*laas:latest:([^*]+)\*\//;

/** Prefix of `n` statements sent as one message, whose rows come back statement by statement. */
const BATCH = /^\/\*laas:batch:(\d+)\*\//;

export function batchText(texts: readonly string[]): string {
  return `/*laas:batch:${texts.length}*/${texts.join(';\n')}`;
}

const { prepareValue } = pgUtils;

/** A parameter as a SQL literal, or null when it has no text form (a Buffer goes as binary). */
function literal(value: unknown): string | null {
  const prepared = prepareValue(value);
  if (prepared === null) return 'NULL';
  if (typeof prepared !== 'string') return null;
  // A quoted literal is of type unknown until its context types it, as an untyped parameter is.
  return pg.escapeLiteral(prepared);
}

const isIdentifierChar = (c: string) => /[A-Za-z0-9_$]/.test(c);

/**
 * `text` with each `$n` outside quotes, quoted identifiers, comments and dollar-quoted strings
 * replaced by `values[n - 1]` as a literal; null when a value cannot be written as text.
 */
export function inlineParameters(text: string, values: readonly unknown[]): string | null {
  let out = '';
  let i = 0;
  const n = text.length;
  const copyUntil = (end: number) => {
    out += text.slice(i, end);
    i = end;
  };
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === "'") {
      // A string constant; an E'' one escapes with backslashes, every one doubles its quotes.
      const escapes = i > 0 && /[eE]/.test(text[i - 1] as string) && !isIdentifierChar(text[i - 2] ?? ' ');
      let j = i + 1;
      while (j < n) {
        if (escapes && text[j] === '\\') j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      copyUntil(Math.min(n, j + 1));
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && !(text[j] === '"' && text[j + 1] !== '"')) j += text[j] === '"' ? 2 : 1;
      copyUntil(Math.min(n, j + 1));
    } else if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      copyUntil(end === -1 ? n : end);
    } else if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < n) {
        if (text[j] === '/' && text[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (text[j] === '*' && text[j + 1] === '/') {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      copyUntil(j);
    } else if (c === '$' && (i === 0 || !isIdentifierChar(text[i - 1] as string))) {
      const placeholder = /^\$(\d+)/.exec(text.slice(i, i + 12));
      if (placeholder !== null) {
        const index = Number(placeholder[1]) - 1;
        if (index < 0 || index >= values.length) return null;
        const value = literal(values[index]);
        if (value === null) return null;
        // A space on each side: `-$1` with -5 must not become `--5`, a comment.
        out += ` ${value} `;
        i += placeholder[0].length;
        continue;
      }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64));
      if (tag === null) {
        copyUntil(i + 1);
        continue;
      }
      const end = text.indexOf(tag[0], i + tag[0].length);
      copyUntil(end === -1 ? n : end + tag[0].length);
    } else {
      copyUntil(i + 1);
    }
  }
  return out;
}

interface Result {
  command: string;
  rowCount: number | null;
  rows: unknown[];
}

const NOTHING: Result = Object.freeze({ command: 'DEFERRED', rowCount: 0, rows: [] }) as Result;

/**
 * The pool as Kysely sees it, each client keeping its {@link DEFERRED} statements until a statement
 * with an answer carries them. `ROLLBACK` drops them unsent; a client goes back to the pool with none.
 */
export function pipeliningPool(pool: PostgresPool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      const pending: string[] = [];
      /** Keyed statements waiting: their place in `pending`. */
      const places = new Map<string, number>();
      const send = async (text: string, values: readonly unknown[] | undefined): Promise<Result> => {
        const batch = BATCH.exec(text);
        if (pending.length === 0 && batch === null)
          return client.query(text, values as unknown[]) as unknown as Promise<Result>;
        if (pending.length > 0 && text === 'ROLLBACK') {
          // A transaction whose BEGIN never left has nothing to roll back.
          const begun = !pending[0]?.startsWith(`${DEFERRED}BEGIN`);
          pending.length = 0;
          places.clear();
          return begun ? (client.query(text, []) as unknown as Promise<Result>) : Promise.resolve(NOTHING);
        }
        const inlined = values !== undefined && values.length > 0 ? inlineParameters(text, values) : text;
        // A keyed statement that had to go on its own (no text form) left an empty place.
        const carried = pending.splice(0).filter((statement) => statement !== '');
        places.clear();
        if (inlined === null) {
          // Not writable as text: the waiting statements go first, on their own.
          if (carried.length > 0) await client.query(carried.join(';\n'), []);
          return client.query(text, values as unknown[]) as unknown as Promise<Result>;
        }
        const answer = (await client.query([...carried, inlined].join(';\n'), [])) as unknown as
          | Result
          | Result[];
        const results = Array.isArray(answer) ? answer : [answer];
        if (batch === null) return results[results.length - 1] as Result;
        const count = Number(batch[1]);
        return {
          command: 'BATCH',
          rowCount: count,
          rows: results.slice(results.length - count).map((r) => r.rows),
        };
      };
      const facade: PostgresPoolClient = {
        query: ((text: string, values?: readonly unknown[]) => {
          const keyed = KEYED.exec(text);
          if (keyed === null && !text.startsWith(DEFERRED)) return send(text, values);
          const inlined = values !== undefined && values.length > 0 ? inlineParameters(text, values) : text;
          if (keyed === null) {
            if (inlined === null) return send(text, values);
            pending.push(inlined);
            return Promise.resolve(NOTHING);
          }
          const key = keyed[1] as string;
          const place = places.get(key);
          if (inlined === null) {
            // Rare (no text form): sent now, after what waits, as an ordinary statement.
            if (place !== undefined) pending[place] = '';
            places.delete(key);
            return send(text, values);
          }
          if (place !== undefined) {
            pending[place] = inlined;
            return Promise.resolve(NOTHING);
          }
          places.set(key, pending.length);
          pending.push(inlined);
          return Promise.resolve(NOTHING);
        }) as unknown as PostgresPoolClient['query'],
        release() {
          pending.length = 0;
          places.clear();
          client.release();
        },
      };
      return facade;
    },
    end: () => pool.end(),
  };
}
