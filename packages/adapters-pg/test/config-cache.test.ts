/** The engine's configuration cache with two engines on one PostgreSQL schema, each with its own pool (as two processes). */
import { describeConfigAcrossEngines } from '@laas/core/testing';
import { describe } from 'vitest';
import { pgStore } from '../src/index.js';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();

describe.skipIf(!db.available)('postgres', () => {
  describeConfigAcrossEngines('postgres (one schema, two pools)', async () => {
    const a = pgStore({ connectionString: db.appUrl, schema: db.schema });
    const b = pgStore({ connectionString: db.appUrl, schema: db.schema });
    return {
      a,
      b,
      close: async () => {
        await a.close();
        await b.close();
      },
    };
  });
});
