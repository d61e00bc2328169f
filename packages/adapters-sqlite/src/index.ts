/**
 * @laas/adapters-sqlite — a LaaS Store on SQLite (better-sqlite3), with Kysely migrations.
 */
export { type CheckpointOptions, DEFAULT_CHECKPOINTS } from './checkpoints.js';
export { MIGRATIONS } from './migrations/index.js';
export type { SqliteDatabase } from './schema.js';
export {
  DEFAULT_PRAGMAS,
  type SqlitePragmas,
  type SqliteStore,
  type SqliteStoreOptions,
  sqliteStore,
} from './store.js';
