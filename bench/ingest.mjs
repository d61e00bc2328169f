// `pnpm bench:ingest`: the SDK's ingest rate on a tenant with 20 active rules, a budget, caps and
// 10,000 customers, next to the floor of what a durable commit costs on the same database:
//   - SQLite (file, WAL, synchronous NORMAL): ingest vs a bare loop inserting one event row per
//     transaction into the same kind of file;
//   - PostgreSQL, 8 concurrent clients: ingest vs a bare single-row insert per transaction at the
//     same concurrency.
// Each measurement runs in its own process (for its peak RSS), several times; medians are printed.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const SQLITE_EVENTS = Number(process.env.BENCH_SQLITE_EVENTS ?? 4000);
const PG_EVENTS = Number(process.env.BENCH_PG_EVENTS ?? 4000);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CONCURRENCY = 8;

function peakRssMb() {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function summary(latencies, ms) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { perSecond: (latencies.length / ms) * 1000, p50: at(0.5), p99: at(0.99), rssMb: peakRssMb() };
}

async function timed(count, concurrency, one) {
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summary(latencies, performance.now() - start);
}

const tmpFile = () => `/tmp/laas-bench-${process.pid}.sqlite`;
const removeDb = (file) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
};

const runs = {
  async 'sqlite-bare'() {
    const { default: Database } = await import('better-sqlite3');
    const file = tmpFile();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      'CREATE TABLE events (tenant_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, ' +
        'occurred_at TEXT NOT NULL, PRIMARY KEY (tenant_id, id)) STRICT',
    );
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
    const result = await timed(SQLITE_EVENTS * 5, 1, async (i) => {
      db.exec('BEGIN IMMEDIATE');
      insert.run('t', `e-${i}`, 'purchase', JSON.stringify({ amount: i }), new Date().toISOString());
      db.exec('COMMIT');
    });
    db.close();
    removeDb(file);
    return result;
  },
  async 'sqlite-ingest'() {
    const { createEngine } = await import('@laas/core');
    const { sqliteStore } = await import('@laas/adapters-sqlite');
    const { seedTenant, events, assertCustomerSpread } = await import('./workload.mjs');
    const file = tmpFile();
    const store = sqliteStore({ filename: file });
    await store.migrate();
    const engine = createEngine({ store });
    const tenant = await seedTenant(engine, { customers: CUSTOMERS });
    const list = [...events(SQLITE_EVENTS, { customers: CUSTOMERS })];
    assertCustomerSpread(list, CUSTOMERS);
    const result = await timed(list.length, 1, (i) => engine.ingest(tenant, list[i]));
    await store.close();
    removeDb(file);
    return result;
  },
  async 'pg-bare'() {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: PG_URL, max: CONCURRENCY });
    const schema = `laas_bench_${process.pid}`;
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(
      `CREATE TABLE ${schema}.events (tenant_id uuid NOT NULL, id text NOT NULL, type text NOT NULL, data jsonb NOT NULL, occurred_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, id))`,
    );
    const tenant = '00000000-0000-7000-8000-000000000001';
    const result = await timed(PG_EVENTS * 3, CONCURRENCY, async (i) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`INSERT INTO ${schema}.events VALUES ($1, $2, $3, $4, now())`, [
          tenant,
          `e-${i}`,
          'purchase',
          JSON.stringify({ amount: i }),
        ]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
    return result;
  },
  async 'pg-ingest'() {
    const { createEngine } = await import('@laas/core');
    const { migratePg, pgStore } = await import('@laas/adapters-pg');
    const { seedTenant, events, assertCustomerSpread } = await import('./workload.mjs');
    const schema = `laas_bench_${process.pid}`;
    await migratePg({ connectionString: PG_URL, schema });
    const app = new URL(PG_URL);
    app.username = 'laas_app';
    const store = pgStore({ connectionString: app.toString(), schema, pool: { max: CONCURRENCY } });
    const engine = createEngine({ store });
    const tenant = await seedTenant(engine, { customers: CUSTOMERS, concurrency: CONCURRENCY });
    const list = [...events(PG_EVENTS, { customers: CUSTOMERS })];
    assertCustomerSpread(list, CUSTOMERS);
    const result = await timed(list.length, CONCURRENCY, (i) => engine.ingest(tenant, list[i]));
    await store.close();
    const { default: pg } = await import('pg');
    const owner = new pg.Client({ connectionString: PG_URL });
    await owner.connect();
    await owner.query(`DROP SCHEMA ${schema} CASCADE`);
    await owner.end();
    return result;
  },
};

const only = process.argv.indexOf('--run');
if (only !== -1) {
  const result = await runs[process.argv[only + 1]]();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const self = fileURLToPath(import.meta.url);
const measured = {};
for (const name of Object.keys(runs)) {
  const reps = [];
  for (let r = 0; r < REPS; r++) {
    const child = spawnSync(process.execPath, [self, '--run', name], {
      encoding: 'utf8',
      cwd: process.cwd(),
    });
    if (child.status !== 0) {
      process.stderr.write(`${name} failed:\n${child.stderr}\n`);
      break;
    }
    reps.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
    process.stderr.write(`  ${name} run ${r + 1}/${REPS}: ${reps.at(-1).perSecond.toFixed(0)}/s\n`);
  }
  if (reps.length === 0) continue;
  measured[name] = Object.fromEntries(
    ['perSecond', 'p50', 'p99', 'rssMb'].map((k) => [k, median(reps.map((x) => x[k]))]),
  );
}

const row = (name, m) =>
  `${name.padEnd(16)} ${m.perSecond.toFixed(0).padStart(9)}/s  p50 ${m.p50.toFixed(2).padStart(7)} ms  p99 ${m.p99.toFixed(2).padStart(7)} ms  peak RSS ${m.rssMb.toFixed(0).padStart(4)} MB`;
console.log(
  `\ningest benchmark: 20 rules, ${CUSTOMERS} customers; medians of ${REPS} runs, each in its own process\n`,
);
for (const [name, m] of Object.entries(measured)) console.log(row(name, m));
for (const db of ['sqlite', 'pg']) {
  const bare = measured[`${db}-bare`];
  const ingest = measured[`${db}-ingest`];
  if (bare && ingest) {
    const ratio = ingest.perSecond / bare.perSecond;
    console.log(`${db}: ingest at ${(ratio * 100).toFixed(1)}% of the bare insert rate (target 40%)`);
  }
}
