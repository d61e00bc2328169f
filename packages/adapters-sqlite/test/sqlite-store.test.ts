import { runStoreConformance } from '@laas/core/testing';
import { sqliteStore } from '../src/index.js';
import { tempDatabase } from './helpers.js';

const file = tempDatabase();

runStoreConformance({
  name: 'sqlite (file)',
  createStore: async () => {
    const store = sqliteStore({ filename: file.filename });
    await store.migrate();
    return store;
  },
  closeStore: async (store) => {
    await store.close();
    file.remove();
  },
});

runStoreConformance({
  name: 'sqlite (:memory:)',
  createStore: async () => {
    const store = sqliteStore({ filename: ':memory:' });
    await store.migrate();
    return store;
  },
});
