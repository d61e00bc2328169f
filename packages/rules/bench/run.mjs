// Benchmark: 50 loyalty rules against one realistic context.
// Each engine runs in its own child process; after warm-up, medians over several repetitions.
// Usage: pnpm --filter @laas/rules bench   (builds dist first, then runs this file)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rules = JSON.parse(readFileSync(join(here, 'rules.json'), 'utf8'));
const context = JSON.parse(readFileSync(join(here, 'context.json'), 'utf8'));
const ENGINES = ['json-logic-js', 'json-logic-engine', 'laas-codegen', 'laas-closures'];
const LABELS = {
  'json-logic-js': 'json-logic-js apply (baseline)',
  'json-logic-engine': 'json-logic-engine compiled',
  'laas-codegen': '@laas/rules codegen (all limits on)',
  'laas-closures': '@laas/rules closures (all limits on)',
};
const REPS = Number(process.env.BENCH_REPS ?? 7);
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 300);

async function load(name) {
  if (name === 'json-logic-js') {
    const { default: jsonLogic } = await import('json-logic-js');
    jsonLogic.add_operation('floor', (x) => Math.floor(x));
    return rules.map((r) => (ctx) => jsonLogic.apply(r, ctx));
  }
  if (name === 'json-logic-engine') {
    const { LogicEngine } = await import('json-logic-engine');
    const engine = new LogicEngine();
    engine.addMethod('floor', ([x]) => Math.floor(x), { deterministic: true });
    return rules.map((r) => engine.build(r));
  }
  const dist = join(here, '..', 'dist', 'index.js');
  if (!existsSync(dist))
    throw new Error('dist/index.js is missing: run `pnpm --filter @laas/rules build` first');
  const { createRulesEngine } = await import(dist);
  const codegen = name === 'laas-codegen';
  const engine = createRulesEngine({ codegen });
  if (engine.codegen !== codegen) throw new Error(`${name}: code generation is not available here`);
  return rules.map((r) => {
    const c = engine.compile(r);
    return (ctx) => c.evaluate(ctx);
  });
}

async function child(name) {
  const fns = await load(name);
  const n = fns.length;
  let sink = 0;
  const oneEvent = () => {
    for (let i = 0; i < n; i++) if (fns[i](context)) sink++;
  };
  const results = fns.map((f) => JSON.stringify(f(context)));
  // Warm-up.
  const warmEnd = performance.now() + 500;
  while (performance.now() < warmEnd) for (let i = 0; i < 200; i++) oneEvent();
  const rates = [];
  for (let r = 0; r < REPS; r++) {
    let events = 0;
    const start = performance.now();
    let now = start;
    while (now - start < BATCH_MS) {
      for (let i = 0; i < 200; i++) oneEvent();
      events += 200;
      now = performance.now();
    }
    rates.push(events / ((now - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  process.stdout.write(JSON.stringify({ name, eventsPerSec: median, results, sink: sink > 0 }));
}

function parent() {
  const out = {};
  for (const name of ENGINES) {
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    if (res.status !== 0) {
      process.stderr.write(res.stderr);
      throw new Error(`${name} failed`);
    }
    out[name] = JSON.parse(res.stdout);
  }
  // Sanity: all engines agree on every rule.
  const base = out['json-logic-js'].results;
  for (const name of ENGINES) {
    out[name].results.forEach((r, i) => {
      if (r !== base[i])
        console.warn(`warning: ${name} disagrees with json-logic-js on rule ${i}: ${r} vs ${base[i]}`);
    });
  }
  const baseRate = out['json-logic-js'].eventsPerSec;
  const engineRate = out['json-logic-engine'].eventsPerSec;
  const rows = ENGINES.map((name) => {
    const eps = out[name].eventsPerSec;
    return [
      LABELS[name],
      Math.round(eps).toLocaleString('en-US'),
      (1e6 / eps / rules.length).toFixed(3),
      `${(eps / baseRate).toFixed(1)}×`,
      `${(eps / engineRate).toFixed(2)}×`,
    ];
  });
  const head = ['engine', 'events/s', 'µs/rule', 'vs json-logic-js', 'vs json-logic-engine'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(
    `${rules.length} rules per event, median of ${REPS} × ${BATCH_MS} ms after warm-up, node ${process.version}`,
  );
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (process.env.BENCH_JSON)
    process.stdout.write(
      `${JSON.stringify(Object.fromEntries(ENGINES.map((n) => [n, out[n].eventsPerSec])))}\n`,
    );
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else parent();
