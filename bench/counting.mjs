// Counts what a client sends its database, in the measuring process: every `pg.Client#query` (one
// round trip each: the pool's and Kysely's queries all go through it, BEGIN and COMMIT included)
// and every better-sqlite3 statement run (`run`, `get`, `all`, `iterate`, `exec`, `pragma`).
import Database from 'better-sqlite3';
import pg from 'pg';

export const sent = { pg: 0, sqlite: 0 };

let installed = false;

/** Wraps the two drivers' entry points once; read `sent` before and after a measured run. */
export function countQueries() {
  if (installed) return;
  installed = true;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function counted(...args) {
    sent.pg += 1;
    return query.apply(this, args);
  };
  const probe = new Database(':memory:');
  const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const name of ['run', 'get', 'all', 'iterate']) {
    const original = Statement[name];
    Statement[name] = function counted(...args) {
      sent.sqlite += 1;
      return original.apply(this, args);
    };
  }
  for (const name of ['exec', 'pragma']) {
    const original = Database.prototype[name];
    Database.prototype[name] = function counted(...args) {
      sent.sqlite += 1;
      return original.apply(this, args);
    };
  }
}
