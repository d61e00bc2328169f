// `pnpm bench:scale`: how the SDK's per-event ingest cost grows with tenants and with rules that do
// not listen to the event. One store, 8 in flight, rounds alternating three variants (order
// reversed every other round) over the same event stream; medians of the rounds:
//   base     1 tenant with bench/workload.mjs's 20 rules and all the customers;
//   tenants  1,000 tenants with the same 20 rules each, the same customers spread over them (each
//            event goes to its customer's tenant, so every customer's history is the same as in
//            base): the configuration caches must hold 1,000 tenants;
//   rules    1 tenant with the 20 rules and 180 more that listen to another event type: 200 rules
//            of which the same 20 are candidates for each event.
// Each line: events/s, ms per event (1 / events/s), p99; then the ratios of per-event cost
// tenants ÷ base and rules ÷ base.
// Environment: BENCH_REPS (default 5), BENCH_EVENTS (per variant per round, default 1000),
// BENCH_TENANTS (default 1000), BENCH_CUSTOMERS (default 2000), BENCH_STORES (default sqlite;
// sqlite,pg for both: seeding 1,000 tenants on PostgreSQL takes minutes), LAAS_TEST_PG_URL.
import { timed } from './timing.mjs';
import { events, seedTenant } from './workload.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2000);
const STORES = (process.env.BENCH_STORES ?? 'sqlite').split(',');
const EXTRA_RULES = 180;
const CONCURRENCY = 8;

const OPEN = {
  sqlite: async () => (await import('./stores/sqlite.mjs')).openSqlite({ label: 'scale' }),
  pg: async () => (await import('./stores/pg.mjs')).openPg({ label: 'scale', concurrency: CONCURRENCY }),
};

/** Runs `work` over `items` with `concurrency` in flight. */
async function each(items, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** A workload tenant holding the customers `c-k` for the given k (vip: every tenth, as seedTenant). */
async function tenantWith(engine, ks) {
  const t = await seedTenant(engine, { customers: 0 });
  for (const k of ks)
    await engine.customers.create(t, { external_ref: `c-${k}`, tags: k % 10 === 0 ? ['vip'] : [] });
  return t;
}

/** 180 rules on the `survey` event type: loaded with the tenant's rules, never a candidate here. */
async function addIdleRules(engine, t) {
  const reward = await engine.rewards.create(t, { name: 'Survey points', type: 'points', value: 1 });
  for (let i = 0; i < EXTRA_RULES; i++) {
    await engine.rules.create(t, {
      name: `Survey ${i + 1}`,
      event_types: ['survey'],
      condition: { '>=': [{ var: 'event.score' }, i % 10] },
      reward_id: reward.id,
    });
  }
}

async function seed(engine) {
  const all = Array.from({ length: CUSTOMERS }, (_, k) => k);
  const base = await tenantWith(engine, all);
  const rules = await tenantWith(engine, all);
  await addIdleRules(engine, rules);
  const many = new Array(TENANTS);
  let seeded = 0;
  await each(
    Array.from({ length: TENANTS }, (_, j) => j),
    CONCURRENCY,
    async (j) => {
      many[j] = await tenantWith(
        engine,
        all.filter((k) => k % TENANTS === j),
      );
      if (++seeded % 100 === 0) process.stderr.write(`  seeded ${seeded}/${TENANTS} tenants\n`);
    },
  );
  return { base, rules, many };
}

const customerIndex = (input) => Number(input.customer.external_ref.slice(2));

async function rounds(name) {
  const kit = await OPEN[name]();
  try {
    const { engine } = kit;
    const t = await seed(engine);
    const variants = {
      base: (list) => timed(list.length, CONCURRENCY, (i) => engine.ingest(t.base, list[i])),
      tenants: (list) =>
        timed(list.length, CONCURRENCY, (i) =>
          engine.ingest(t.many[customerIndex(list[i]) % TENANTS], list[i]),
        ),
      rules: (list) => timed(list.length, CONCURRENCY, (i) => engine.ingest(t.rules, list[i])),
    };
    const order = Object.keys(variants);
    const warm = [...events(200, { customers: CUSTOMERS, seed: 7, prefix: 'warm' })];
    for (const v of order) await variants[v](warm);
    // One event for each of the many tenants first, so the rounds measure a process that serves
    // them all (the steady state), not 1,000 first loads of a configuration spread over 3 rounds.
    const firsts = Array.from({ length: TENANTS }, (_, j) => ({
      idempotency_key: `first-${j}`,
      type: 'visit',
      customer: { external_ref: `c-${j}` },
      data: { channel: 'pos' },
    }));
    await timed(firsts.length, CONCURRENCY, (i) => engine.ingest(t.many[i], firsts[i]));
    const runs = Object.fromEntries(order.map((v) => [v, []]));
    for (let r = 0; r < REPS; r++) {
      const list = [...events(EVENTS, { customers: CUSTOMERS, seed: 100 + r, prefix: `r${r}` })];
      for (const v of r % 2 === 0 ? order : [...order].reverse()) {
        runs[v].push(await variants[v](list));
        process.stderr.write(
          `  ${name} round ${r + 1}/${REPS} ${v}: ${runs[v].at(-1).perSecond.toFixed(0)}/s\n`,
        );
      }
    }
    return Object.fromEntries(order.map((v) => [v, medians(runs[v])]));
  } finally {
    await kit.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = (runs) =>
  Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((x) => x[k]))]));

function table(name, m) {
  const lines = [
    `\n${name}, SDK ingest, ${CONCURRENCY} in flight, ${CUSTOMERS} customers: medians of ${REPS} alternating rounds (${EVENTS} events per variant per round)`,
    '  variant                               events/s   ms/event    p99 ms',
  ];
  const label = {
    base: '1 tenant, 20 rules',
    tenants: `${TENANTS} tenants, 20 rules each`,
    rules: `1 tenant, ${20 + EXTRA_RULES} rules (20 candidates)`,
  };
  for (const [v, r] of Object.entries(m)) {
    lines.push(
      `  ${label[v].padEnd(36)} ${r.perSecond.toFixed(0).padStart(9)} ${(1000 / r.perSecond).toFixed(3).padStart(10)} ${r.p99.toFixed(2).padStart(9)}`,
    );
  }
  const cost = (v) => (m.base.perSecond / m[v].perSecond).toFixed(2);
  lines.push(
    `  per-event cost: ${TENANTS} tenants ÷ 1 tenant ${cost('tenants')}   200 rules ÷ 20 rules ${cost('rules')}`,
  );
  return lines.join('\n');
}

const out = [];
for (const name of STORES) {
  if (OPEN[name] === undefined) throw new Error(`BENCH_STORES: unknown store ${name} (sqlite, pg)`);
  out.push(table(name === 'pg' ? 'PostgreSQL' : 'SQLite', await rounds(name)));
}
console.log(out.join('\n'));
