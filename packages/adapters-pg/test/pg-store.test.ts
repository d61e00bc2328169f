/** The storage conformance suite of @laas/core, on PostgreSQL, connected as the application role. */
import { runStoreConformance } from '@laas/core/testing';
import { describe } from 'vitest';
import { pgStore } from '../src/index.js';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();

describe.skipIf(!db.available)('postgres', () => {
  runStoreConformance({
    name: 'postgres',
    createStore: async () => pgStore({ connectionString: db.appUrl, schema: db.schema }),
  });
});
