/** The engine's configuration cache with two engines on one SQLite file, each on its own store (as two processes). */
import { describeConfigAcrossEngines } from '@laas/core/testing';
import { sqliteStore } from '../src/index.js';
import { tempDatabase } from './helpers.js';

describeConfigAcrossEngines('sqlite (one file, two stores)', async () => {
  const file = tempDatabase();
  const a = sqliteStore({ filename: file.filename });
  await a.migrate();
  const b = sqliteStore({ filename: file.filename });
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      file.remove();
    },
  };
});
