/**
 * @laas/adapters-pg — the LaaS storage adapter for PostgreSQL: Kysely + node-postgres, versioned
 * migrations, row-level security per tenant, and the guarded statements that keep the engine's
 * invariants under concurrency.
 */
export { migratePg, type PgMigrateOptions } from './migrate.js';
export { MIGRATION_NAMES } from './migrations/index.js';
export { DEFAULT_APP_ROLE, DEFAULT_SCHEMA } from './names.js';
export type * from './schema.js';
export { TABLES } from './schema.js';
export {
  DEFAULT_PG_ACQUIRE_TIMEOUT_MS,
  DEFAULT_PG_LOCK_TIMEOUT_MS,
  DEFAULT_PG_POOL_MAX,
  DEFAULT_PG_STATEMENT_TIMEOUT_MS,
  type PgStore,
  type PgStoreOptions,
  pgStore,
} from './store.js';
