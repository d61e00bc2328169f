import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-webhook-deliveries.js';
import * as m0003 from './0003-whatsapp.js';
import * as m0004 from './0004-ussd.js';
import * as m0005 from './0005-ussd-callback-secret.js';
import * as m0006 from './0006-cap-window-keys.js';
import * as m0007 from './0007-analytics-indexes.js';
import * as m0008 from './0008-tiers.js';
import * as m0009 from './0009-referrals.js';
import * as m0010 from './0010-refunds.js';
import * as m0011 from './0011-reminders.js';
import * as m0012 from './0012-audit.js';
import * as m0013 from './0013-shared-channels.js';
import * as m0014 from './0014-config-version.js';

/**
 * Every migration this version of the adapter knows, by name, in order. Listed in code (no
 * directory scan) so that a bundled build carries them. Add a module, then a line here.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': m0001,
  '0002-webhook-deliveries': m0002,
  '0003-whatsapp': m0003,
  '0004-ussd': m0004,
  '0005-ussd-callback-secret': m0005,
  '0006-cap-window-keys': m0006,
  '0007-analytics-indexes': m0007,
  '0008-tiers': m0008,
  '0009-referrals': m0009,
  '0010-refunds': m0010,
  '0011-reminders': m0011,
  '0012-audit': m0012,
  '0013-shared-channels': m0013,
  '0014-config-version': m0014,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return { ...MIGRATIONS };
  },
};

/** The tables Kysely's Migrator keeps its bookkeeping in; not Kysely's defaults, so that a
 * database shared with the host application's own Kysely migrations does not mix the two. */
export const MIGRATION_TABLE = 'laas_sqlite_migration';
export const MIGRATION_LOCK_TABLE = 'laas_sqlite_migration_lock';
