import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_webhook_deliveries.js';
import * as m0003 from './0003_whatsapp.js';
import * as m0004 from './0004_ussd.js';
import * as m0005 from './0005_ussd_callback_secret.js';
import * as m0006 from './0006_work_backlog.js';
import * as m0007 from './0007_analytics_indexes.js';
import * as m0008 from './0008_tiers.js';
import * as m0009 from './0009_referrals.js';
import * as m0010 from './0010_refunds.js';
import * as m0011 from './0011_reminders.js';
import * as m0012 from './0012_audit.js';
import * as m0013 from './0013_shared_channels.js';
import * as m0014 from './0014_config_version.js';
import * as m0015 from './0015_hot_customer_updates.js';
import type { MigrationContext } from './context.js';

interface VersionedMigration {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

/**
 * Every migration this version knows, in order. Names sort in the order they apply. Append new
 * modules here (never edit or remove an applied one); there is no file-system scanning, so the
 * bundled build carries them.
 */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: VersionedMigration]> = [
  ['0001_initial', m0001],
  ['0002_webhook_deliveries', m0002],
  ['0003_whatsapp', m0003],
  ['0004_ussd', m0004],
  ['0005_ussd_callback_secret', m0005],
  ['0006_work_backlog', m0006],
  ['0007_analytics_indexes', m0007],
  ['0008_tiers', m0008],
  ['0009_referrals', m0009],
  ['0010_refunds', m0010],
  ['0011_reminders', m0011],
  ['0012_audit', m0012],
  ['0013_shared_channels', m0013],
  ['0014_config_version', m0014],
  ['0015_hot_customer_updates', m0015],
];

export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map(([name]) => name);

/** Kysely's in-code provider, with each migration bound to the target schema. */
export function migrationProvider(context: MigrationContext): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, migration] of MIGRATIONS) {
        out[name] = { up: (db) => migration.up(db, context) };
      }
      return out;
    },
  };
}

export const MIGRATION_TABLE = 'laas_migration';
export const MIGRATION_LOCK_TABLE = 'laas_migration_lock';
