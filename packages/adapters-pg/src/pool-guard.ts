import type pg from 'pg';

const guarded = new WeakSet<object>();
/** A listener that swallows: the error reaches the caller through its failed query instead. */
export const ignore = (): void => {};

/**
 * pg emits 'error' on a client whose connection dies; pg-pool listens only while the client is
 * idle in the pool, so a backend terminated while a client is checked out (in a transaction,
 * between two statements) would crash the process with an unhandled 'error' event. Every client
 * gets a listener for its whole life: the failure reaches its caller as a failed query instead,
 * and pg-pool drops the broken client when it is released.
 */
export function guardPool(pool: pg.Pool): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  pool.on('error', ignore);
  const guard = (client: pg.PoolClient) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', ignore);
  };
  pool.on('connect', guard);
  pool.on('acquire', guard);
}
