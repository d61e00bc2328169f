// `pnpm bench:ingest`: the SDK's ingest next to its floor, per store, in one process. First a check
// (fresh schemas, 40 customers, 300 events one at a time) asserts that the floor writes the SDK's
// rows. Then, on a tenant with bench/workload.mjs's 20 rules, a budget, caps and 10,000 customers,
// rounds alternate three variants (order reversed every other round) and print medians of the rounds:
//   bare   a one-row INSERT in its own transaction: what a durable commit costs;
//   floor  a hand-written ingest with the SDK's effects (bench/floor/): on PostgreSQL 2 round trips
//          per event, on SQLite prepared statements with grouped COMMITs;
//   sdk    engine.ingest.
// Each line: events/s, latency p50/p99 per event (ms), and what the client sent the database per
// event: round trips (pg.Client#query calls) on PostgreSQL, statements run on SQLite. Then the
// ratios SDK ÷ floor and floor ÷ bare (events/s). 8 events in flight on both stores (the SQLite
// bare loop is synchronous, so it commits one at a time whatever the concurrency).
// Environment: BENCH_REPS (rounds, default 5), BENCH_SQLITE_EVENTS / BENCH_PG_EVENTS (per variant
// per round), BENCH_CUSTOMERS, BENCH_STORES (sqlite,pg), LAAS_TEST_PG_URL.
import { countQueries, sent } from './counting.mjs';
import { assertSameRows, ingestAll } from './floor/check.mjs';
import { timed } from './timing.mjs';
import { assertCustomerSpread, events } from './workload.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,pg').split(',');
const CONCURRENCY = 8;
const WARM_UP = 200;

const KINDS = {
  sqlite: {
    title: 'SQLite',
    unit: 'statements',
    events: Number(process.env.BENCH_SQLITE_EVENTS ?? 2000),
    counter: 'sqlite',
    open: async (label) => (await import('./stores/sqlite.mjs')).openSqlite({ label }),
  },
  pg: {
    title: 'PostgreSQL',
    unit: 'round trips',
    events: Number(process.env.BENCH_PG_EVENTS ?? 1000),
    counter: 'pg',
    open: async (label) => (await import('./stores/pg.mjs')).openPg({ label, concurrency: CONCURRENCY }),
  },
};

/** Fresh schemas, a small fixed workload one event at a time: the floor must write the SDK's rows. */
async function check(kind) {
  const kit = await kind.open('check');
  try {
    const v = await kit.seed(40);
    const list = [...events(300, { customers: 40, prefix: 'check' })];
    await ingestAll(v.sdk, list);
    await ingestAll(v.floor, list);
    return await assertSameRows(kind.title, kit.query, v.tenants.sdk, v.tenants.floor);
  } finally {
    await kit.close();
  }
}

/** One measured run of a variant: timing plus what it sent the database per event. */
async function measure(kind, count, one) {
  const before = sent[kind.counter];
  const result = await timed(count, CONCURRENCY, one);
  return { ...result, perEvent: (sent[kind.counter] - before) / count };
}

async function rounds(kind) {
  const kit = await kind.open('ingest');
  try {
    const v = await kit.seed(CUSTOMERS);
    const variants = {
      bare: (list, tag) => measure(kind, list.length, (i) => kit.bare(`${tag}-${i}`)),
      floor: (list) => measure(kind, list.length, (i) => v.floor(list[i])),
      sdk: (list) => measure(kind, list.length, (i) => v.sdk(list[i])),
    };
    const order = Object.keys(variants);
    const warm = [...events(WARM_UP, { customers: CUSTOMERS, seed: 7, prefix: 'warm' })];
    for (const name of order) await variants[name](warm, 'warm');
    const runs = Object.fromEntries(order.map((name) => [name, []]));
    for (let r = 0; r < REPS; r++) {
      const list = [...events(kind.events, { customers: CUSTOMERS, seed: 100 + r, prefix: `r${r}` })];
      assertCustomerSpread(list, CUSTOMERS);
      for (const name of r % 2 === 0 ? order : [...order].reverse()) {
        runs[name].push(await variants[name](list, `r${r}`));
        process.stderr.write(
          `  ${kind.title} round ${r + 1}/${REPS} ${name}: ${runs[name].at(-1).perSecond.toFixed(0)}/s\n`,
        );
      }
    }
    return Object.fromEntries(order.map((name) => [name, medians(runs[name])]));
  } finally {
    await kit.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = (runs) =>
  Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((x) => x[k]))]));

function table(kind, m) {
  const lines = [
    `\n${kind.title}, ${CONCURRENCY} in flight, 20 rules, ${CUSTOMERS} customers: medians of ${REPS} alternating rounds (${kind.events} events per variant per round)`,
    `  variant   events/s    p50 ms    p99 ms   ${kind.unit}/event`,
  ];
  for (const [name, r] of Object.entries(m)) {
    lines.push(
      `  ${name.padEnd(7)} ${r.perSecond.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)} ${r.perEvent.toFixed(1).padStart(12)}`,
    );
  }
  const ratio = (a, b) => (m[a].perSecond / m[b].perSecond).toFixed(2);
  lines.push(
    `  SDK ÷ floor ${ratio('sdk', 'floor')}   floor ÷ bare ${ratio('floor', 'bare')}   SDK ÷ bare ${ratio('sdk', 'bare')}`,
  );
  return lines.join('\n');
}

countQueries();
const out = [];
for (const name of STORES) {
  const kind = KINDS[name];
  if (kind === undefined) throw new Error(`BENCH_STORES: unknown store ${name} (sqlite, pg)`);
  out.push(await check(kind));
  process.stderr.write(`${out.at(-1)}\n`);
  out.push(table(kind, await rounds(kind)));
}
console.log(`\n${out.join('\n')}`);
