#!/usr/bin/env node
/**
 * HTTP benchmark of POST /v1/tenants/:tid/events (pnpm bench:http).
 *
 * Starts the BUILT server (`laas serve`) in a child process on a fresh SQLite file, seeds one
 * tenant with 20 rules and 10,000 customers through the API, then alternates, three times:
 *   http        autocannon from another child process (32 connections, unique idempotency keys);
 *   in-process  `engine.ingest` of the same events with 32 in flight, in another child process
 *               that opens the same database (same store kind, default options) while the server
 *               idles: the floor the HTTP layer adds its cost to.
 * It prints, per variant, the median req/s, p50/p99/max latency (ms), errors, the server's peak
 * RSS (VmHWM), and the ratio HTTP ÷ in-process (req/s). Then the same on PostgreSQL
 * (LAAS_BENCH_PG_URL or LAAS_TEST_PG_URL, an owner URL; a fresh schema, dropped afterwards;
 * skipped when unreachable).
 *
 * Options (env): BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (32), BENCH_RUNS (3),
 * BENCH_CUSTOMERS (10000), BENCH_STORES (sqlite,postgres), BENCH_CPU_PROF=1 (server --cpu-prof).
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
const PG_URL =
  process.env.LAAS_BENCH_PG_URL ??
  process.env.LAAS_TEST_PG_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = `bench-admin-${randomBytes(8).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// Driver mode: runs in its own process so the load generator does not share the server's CPU
// scheduling with the orchestrator.
const CHANNELS = ['pos', 'web', 'app', 'kiosk'];

/** The `counter`th event the bench sends (both variants): 3 purchases to 1 visit, random customers. */
function eventBody(counter, customers) {
  const visit = counter % 4 === 0;
  return {
    type: visit ? 'visit' : 'purchase',
    customer: { external_ref: `cust-${Math.floor(Math.random() * customers)}` },
    data: visit
      ? { channel: CHANNELS[counter % 4] }
      : { amount: 100 + Math.floor(Math.random() * 15_000), channel: CHANNELS[counter % 4] },
  };
}

if (process.argv[2] === '--drive') {
  const { default: autocannon } = await import('autocannon');
  const [url, tid, key, runId, customers] = process.argv.slice(3);
  const n = Number(customers);
  let counter = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        path: `/v1/tenants/${tid}/events`,
        setupRequest: (req) => {
          counter++;
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${key}`,
              'idempotency-key': `bench-${runId}-${counter}`,
            },
            body: JSON.stringify(eventBody(counter, n)),
          };
        },
      },
    ],
  });
  process.send?.({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  });
  process.exit(0);
}

// In-process mode: `engine.ingest` on the server's database, CONNECTIONS in flight for DURATION s.
if (process.argv[2] === '--in-process') {
  const [storeJson, tid, runId, customers] = process.argv.slice(3);
  const { createEngine } = await import('@laas/core');
  const where = JSON.parse(storeJson);
  const store =
    where.kind === 'sqlite'
      ? (await import('@laas/adapters-sqlite')).sqliteStore({ filename: where.filename })
      : (await import('@laas/adapters-pg')).pgStore({ connectionString: where.url, schema: where.schema });
  const engine = createEngine({ store });
  const n = Number(customers);
  const latencies = [];
  let counter = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + DURATION * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const i = ++counter;
        const t0 = performance.now();
        try {
          await engine.ingest(tid, { idempotency_key: `bench-${runId}-${i}`, ...eventBody(i, n) });
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  latencies.sort((a, b) => a - b);
  const at = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]);
  process.send?.({
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
    errors,
    timeouts: 0,
    non2xx: 0,
    total: latencies.length,
  });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
function ensureBuilt() {
  const need = ['packages/core/dist/index.js', 'packages/server/dist/index.js', 'packages/cli/dist/bin.js'];
  if (need.every((p) => existsSync(join(ROOT, p)))) return;
  console.log('building @laas/cli and its dependencies...');
  execFileSync('pnpm', ['--filter', '@laas/cli...', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

async function freePort() {
  return new Promise((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

async function api(url, method, path, body, token = ADMIN) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function startServer(env, dir) {
  const port = await freePort();
  const log = openSync(join(dir, 'server.log'), 'a');
  const args = [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1'];
  if (process.env.BENCH_CPU_PROF === '1') args.unshift('--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, LAAS_ADMIN_TOKEN: ADMIN, LAAS_RATE_LIMIT: 'off' },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return { child, url };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not start; see ${join(dir, 'server.log')}`);
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function seed(url) {
  const tenant = await api(url, 'POST', '/v1/tenants', { name: 'Bench Coffee', timezone: 'Africa/Harare' });
  const T = `/v1/tenants/${tenant.id}`;
  const { key } = await api(url, 'POST', `${T}/api-keys`, { name: 'bench', role: 'admin' });
  const { key: posKey } = await api(url, 'POST', `${T}/api-keys`, { name: 'till', role: 'pos' });
  const reward = (body) => api(url, 'POST', `${T}/rewards`, body, key);
  const points = await reward({ name: 'Points', type: 'points', value: 1 });
  const coffee = await reward({ name: 'Free coffee', type: 'item', cost: 250 });
  const tenOff = await reward({ name: '$10 off', type: 'discount_amount', value: 1000, cost: 1000 });
  const pct = await reward({ name: '15% off', type: 'discount_percent', value: 15, cost: 300 });
  const cake = await reward({ name: 'Cake', type: 'item', cost: 500 });
  const budget = await api(
    url,
    'POST',
    `${T}/budgets`,
    { name: 'Monthly treats', limit: 50_000_000, period: 'month' },
    key,
  );
  const small = await api(url, 'POST', `${T}/budgets`, { name: 'Tiny', limit: 5_000, period: 'day' }, key);
  const campaign = await api(
    url,
    'POST',
    `${T}/campaigns`,
    { name: 'Launch', status: 'active', budget_id: budget.id },
    key,
  );
  const amount = { var: 'event.amount' };
  const rules = [
    {
      name: '1 point per dollar',
      event_types: ['purchase'],
      reward_id: points.id,
      quantity: { floor: [{ '/': [amount, 100] }] },
    },
    {
      name: 'Stamp card',
      event_types: ['visit'],
      reward_id: coffee.id,
      condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 5] }, 0] },
    },
    {
      name: '10th purchase',
      event_types: ['purchase'],
      reward_id: cake.id,
      condition: { '==': [{ '%': [{ var: 'customer.stats.counts.purchase' }, 10] }, 0] },
      budget_id: budget.id,
    },
    {
      name: 'Big basket',
      event_types: ['purchase'],
      reward_id: tenOff.id,
      condition: { '>=': [amount, 12_000] },
      budget_id: budget.id,
      caps: [{ scope: 'customer', max: 1, window: 'day' }],
    },
    {
      name: 'Mid basket',
      event_types: ['purchase'],
      reward_id: pct.id,
      condition: { and: [{ '>=': [amount, 8_000] }, { '<': [amount, 12_000] }] },
      campaign_id: campaign.id,
    },
    {
      name: 'Online bonus',
      event_types: ['purchase'],
      reward_id: points.id,
      condition: { in: [{ var: 'event.channel' }, ['web', 'app']] },
      quantity: 10,
    },
    {
      name: 'Kiosk visit',
      event_types: ['visit'],
      reward_id: points.id,
      condition: { '==': [{ var: 'event.channel' }, 'kiosk'] },
      quantity: 2,
      cooldown: '1h',
    },
    {
      name: 'Daily treat (tiny budget)',
      event_types: ['purchase'],
      reward_id: cake.id,
      condition: { '>': [amount, 14_000] },
      budget_id: small.id,
    },
    {
      name: 'Global cap',
      event_types: ['purchase'],
      reward_id: coffee.id,
      condition: { '>': [amount, 14_900] },
      caps: [{ scope: 'global', max: 50, window: 'day' }],
    },
    {
      name: 'Big spender',
      event_types: ['purchase'],
      reward_id: points.id,
      condition: { '>': [{ var: 'customer.stats.total_spend' }, 500_000] },
      quantity: 50,
      caps: [{ scope: 'customer', max: 1, window: 'lifetime' }],
    },
    {
      name: 'Morning',
      event_types: ['purchase', 'visit'],
      reward_id: points.id,
      condition: { '<': [{ var: 'now.hour' }, 10] },
      quantity: 1,
    },
    {
      name: 'Weekend',
      event_types: ['purchase'],
      reward_id: points.id,
      condition: { in: [{ var: 'now.dow' }, [0, 6]] },
      quantity: 5,
    },
    ...Array.from({ length: 8 }, (_, i) => ({
      name: `Threshold ${i + 1}`,
      event_types: ['purchase'],
      reward_id: points.id,
      // Bands, so that one purchase lands in at most one of them (a realistic mix: most events
      // earn one to three rewards while all 20 rules are evaluated).
      condition: {
        and: [
          { '>=': [amount, 1_500 * (i + 1)] },
          { '<': [amount, 1_500 * (i + 1) + 300] },
          { in: [{ var: 'event.channel' }, ['pos', 'kiosk']] },
        ],
      },
      quantity: i + 1,
      priority: 200 + i,
    })),
  ];
  for (const rule of rules) await api(url, 'POST', `${T}/rules`, rule, key);
  // 10,000 customers through the API, 32 at a time.
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < CUSTOMERS) {
        const i = next++;
        await api(
          url,
          'POST',
          `${T}/customers`,
          { external_ref: `cust-${i}`, phone: `+2637${String(10_000_000 + i)}` },
          key,
        );
      }
    }),
  );
  return { tid: tenant.id, key: posKey, rules: rules.length };
}

/** Runs this file in `mode` in a child process; resolves with the result it sends back. */
function child(args) {
  return new Promise((done, fail) => {
    const proc = fork(fileURLToPath(import.meta.url), args, { stdio: 'inherit' });
    proc.once('message', done);
    proc.once('exit', (code) => (code === 0 ? undefined : fail(new Error(`${args[0]} exited ${code}`))));
  });
}

const VARIANTS = {
  http: ({ url, tid, key }, runId) => child(['--drive', url, tid, key, runId, String(CUSTOMERS)]),
  'in-process': ({ where, tid }, runId) =>
    child(['--in-process', JSON.stringify(where), tid, runId, String(CUSTOMERS)]),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function summarize(name, variant, runs, rssMb) {
  return {
    store: name,
    variant,
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    max: Math.max(...runs.map((r) => r.max)),
    errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    ...(rssMb === undefined ? {} : { serverPeakRssMb: Math.round(rssMb) }),
  };
}

/** `where` tells the in-process child how to open the server's database. */
async function benchStore(name, env, dir, where, cleanup) {
  const { child: server, url } = await startServer(env, dir);
  try {
    const t0 = Date.now();
    const { tid, key, rules } = await seed(url);
    console.log(
      `[${name}] seeded 1 tenant, ${rules} rules, ${CUSTOMERS} customers in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const runs = { http: [], 'in-process': [] };
    const order = Object.keys(VARIANTS);
    for (let r = 1; r <= RUNS; r++) {
      for (const variant of r % 2 === 1 ? order : [...order].reverse()) {
        const res = await VARIANTS[variant]({ url, tid, key, where }, `${name}-${variant}-${r}`);
        runs[variant].push(res);
        console.log(
          `[${name}] run ${r} ${variant}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50} ms, p99 ${res.p99} ms, max ${res.max} ms, ` +
            `errors ${res.errors}, timeouts ${res.timeouts}, non-2xx ${res.non2xx}, ${res.total} requests`,
        );
      }
    }
    const http = summarize(name, 'http', runs.http, peakRssMb(server.pid));
    const inProcess = summarize(name, 'in-process', runs['in-process']);
    console.log(
      `[${name}] MEDIAN of ${RUNS}: HTTP ${http.rps} req/s (p99 ${http.p99} ms), in-process engine.ingest ${inProcess.rps}/s ` +
        `(p99 ${inProcess.p99} ms): HTTP ÷ in-process ${(http.rps / inProcess.rps).toFixed(2)}; ` +
        `errors ${http.errors}, non-2xx ${http.non2xx}, server peak RSS ${http.serverPeakRssMb} MB`,
    );
    return [http, inProcess];
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    await cleanup?.();
  }
}

async function pgReachable() {
  const u = new URL(PG_URL);
  const { connect } = await import('node:net');
  return new Promise((done) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 5432) });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

ensureBuilt();
console.log(
  `LaaS HTTP bench: POST /events, ${CONNECTIONS} connections, ${DURATION} s x ${RUNS} runs, node ${process.version}`,
);
const results = [];
const dir = mkdtempSync(join(tmpdir(), 'laas-bench-'));
try {
  if (STORES.includes('sqlite')) {
    mkdirSync(join(dir, 'sqlite'));
    const filename = join(dir, 'sqlite', 'bench.sqlite');
    results.push(
      ...(await benchStore('sqlite', { LAAS_DATABASE_URL: filename }, join(dir, 'sqlite'), {
        kind: 'sqlite',
        filename,
      })),
    );
  }
  if (STORES.includes('postgres')) {
    if (!(await pgReachable())) {
      console.log(`[postgres] ${PG_URL} is not reachable: skipped`);
    } else {
      const schema = `laas_bench_${randomBytes(4).toString('hex')}`;
      const app = new URL(PG_URL);
      app.username = 'laas_app';
      app.password = '';
      mkdirSync(join(dir, 'postgres'));
      results.push(
        ...(await benchStore(
          'postgres',
          { LAAS_DATABASE_URL: app.toString(), LAAS_MIGRATE_DATABASE_URL: PG_URL, LAAS_PG_SCHEMA: schema },
          join(dir, 'postgres'),
          { kind: 'postgres', url: app.toString(), schema },
          async () => {
            const { pgStore } = await import('@laas/adapters-pg');
            const owner = pgStore({ connectionString: PG_URL, schema });
            await owner.db.schema.dropSchema(schema).ifExists().cascade().execute();
            await owner.close();
          },
        )),
      );
    }
  }
  console.table(results);
  if (process.env.BENCH_CPU_PROF === '1') console.log(`CPU profiles kept in ${dir}/*/prof`);
} finally {
  if (process.env.BENCH_CPU_PROF !== '1') rmSync(dir, { recursive: true, force: true });
}
