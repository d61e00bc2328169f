// `node bench/config-cache.mjs [round-trips | rules [sqlite|pg]]`: what the configuration cache saves.
//   - round-trips: PostgreSQL statements sent by one warm `engine.ingest` that issues one reward
//     (each `client.query` of the pg driver is one round trip; BEGIN and COMMIT included).
//   - rules: per-event cost (SQLite in memory, or PostgreSQL) for a tenant with 20 rules and one with 200
//     rules of which the same 20 listen to the event types; batches alternate, medians printed.
// Run the same file from another checkout to compare builds.
import { createEngine } from '@laas/core';
import { seedTenant } from './workload.mjs';

const PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One purchase of a regular customer at the till: only "Points per dollar" issues. */
const purchase = (key, customer) => ({
  idempotency_key: key,
  type: 'purchase',
  customer: { external_ref: `c-${customer}` },
  data: { amount: 1_000, channel: 'pos', items: [{ sku: 'BAGEL', qty: 1 }] },
});

async function roundTrips() {
  const { default: pg } = await import('pg');
  const app = new URL(PG_URL);
  app.username = 'laas_app';
  const pool = new pg.Pool({ connectionString: app.toString(), max: 2 });
  let queries = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client);
    client.query = (...args) => {
      queries++;
      return query(...args);
    };
  });
  const { store, done } = await pgScratch(pool);
  const engine = createEngine({ store });
  const tenant = await seedTenant(engine, { customers: 20 });
  const counts = [];
  for (let i = 0; i < 12; i++) {
    const before = queries;
    const result = await engine.ingest(tenant, purchase(`rt-${i}`, 1 + (i % 9)));
    if (result.issuances.length !== 1)
      throw new Error(`expected one issuance, got ${result.issuances.length}`);
    if (i >= 2) counts.push(queries - before); // the first two warm the caches
  }
  console.log(`pg round trips per ingest issuing one reward (warm): median ${median(counts)} [${counts}]`);
  await store.close();
  await pool.end();
  await done();
}

async function ruleScale(kind) {
  const { store, done } = kind === 'pg' ? await pgScratch() : await sqliteScratch();
  const engine = createEngine({ store });
  const customers = 500;
  const small = await seedTenant(engine, { customers });
  const large = await seedTenant(engine, { customers });
  const { id: reward } = (await engine.rewards.list(large, { limit: 1 })).items[0];
  for (let i = 0; i < 180; i++) {
    await engine.rules.create(large, {
      name: `Elsewhere ${i}`,
      event_types: [`other_${i % 12}`],
      condition: { '>=': [{ var: 'event.amount' }, i] },
      reward_id: reward,
    });
  }
  const BATCH = 300;
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
  // Wall time, and this process's CPU time (steadier on a shared machine; on SQLite in memory
  // all of an ingest's work is in this process).
  const wall = { 20: [], 200: [] };
  const cpu = { 20: [], 200: [] };
  let seq = 0;
  const batch = async (tenant, rules) => {
    const start = performance.now();
    const used = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) {
      seq++;
      await engine.ingest(tenant, {
        ...purchase(`k-${seq}`, seq % customers),
        type: seq % 3 ? 'purchase' : 'visit',
      });
    }
    const { user, system } = process.cpuUsage(used);
    wall[rules]?.push(((performance.now() - start) * 1000) / BATCH);
    cpu[rules]?.push((user + system) / BATCH);
  };
  await batch(small, 'warm-up');
  await batch(large, 'warm-up');
  for (let r = 0; r < ROUNDS; r++) {
    await batch(small, 20);
    await batch(large, 200);
  }
  const count = async (t) => (await engine.rules.list(t, { limit: 200 })).items.length;
  if ((await count(large)) !== 200 || (await count(small)) !== 20) throw new Error('unexpected rule counts');
  const ratio = (m) =>
    `20 rules ${median(m[20]).toFixed(0)}, 200 rules ${median(m[200]).toFixed(0)}, ratio ${(median(m[200]) / median(m[20])).toFixed(2)}`;
  console.log(
    `${kind}, µs per event (200 rules: 20 listening), medians of ${ROUNDS} alternating batches of ${BATCH}: wall ${ratio(wall)}; cpu ${ratio(cpu)}`,
  );
  await store.close();
  await done();
}

async function sqliteScratch() {
  const { sqliteStore } = await import('@laas/adapters-sqlite');
  const store = sqliteStore({ filename: ':memory:' });
  await store.migrate();
  return { store, done: async () => {} };
}

/** A store on a fresh schema (dropped by `done`), as the application role. */
async function pgScratch(pool) {
  const { default: pg } = await import('pg');
  const { migratePg, pgStore } = await import('@laas/adapters-pg');
  const schema = `laas_cc_${process.pid}`;
  await migratePg({ connectionString: PG_URL, schema });
  const app = new URL(PG_URL);
  app.username = 'laas_app';
  const store = pool ? pgStore(pool, { schema }) : pgStore({ connectionString: app.toString(), schema });
  const done = async () => {
    const owner = new pg.Client({ connectionString: PG_URL });
    await owner.connect();
    await owner.query(`DROP SCHEMA ${schema} CASCADE`);
    await owner.end();
  };
  return { store, done };
}

const mode = process.argv[2] ?? 'rules';
if (mode === 'round-trips') await roundTrips();
else if (mode === 'rules') await ruleScale(process.argv[3] ?? 'sqlite');
else throw new Error(`unknown mode ${mode}: round-trips or rules`);
