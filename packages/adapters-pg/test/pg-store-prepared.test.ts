/** The storage conformance suite of @laas/core on PostgreSQL with every statement prepared by name. */
import { runStoreConformance } from '@laas/core/testing';
import { describe } from 'vitest';
import { pgStore } from '../src/index.js';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();

describe.skipIf(!db.available)('postgres, prepared statements', () => {
  runStoreConformance({
    name: 'postgres (prepared statements)',
    createStore: async () =>
      pgStore({ connectionString: db.appUrl, schema: db.schema, preparedStatements: true }),
  });
});
