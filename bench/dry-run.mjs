// `pnpm bench:dry-run`: a year of events replayed by `laas dry-run` on its scratch stores.
//
// Generates (once, cached in the temp directory) 1,000,000 events of 50,000 customers, then, for
// the coffee-shop and the retail-points projects, runs `laas dry-run --quiet` in a child process:
//   - the floor of comparison, the SQLite scratch store (the default before the replay store),
//     on the first BASELINE_EVENTS events (a full year on it takes about 15 minutes);
//   - the replay store (the default) on every event.
// Runs alternate (`--runs N`, default 1); the figures are medians. Each run prints events/s and
// the child's peak RSS (maxRSS as the process exits); the summary prints the ratio of the replay
// store's events/s to the SQLite floor's, in the same run.
//
//   pnpm bench:dry-run [--runs 3] [--events 1000000] [--customers 50000] [--baseline 100000]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeEvents } from './dry-run-events.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const RUNS = option('runs', 1);
const EVENTS = option('events', 1_000_000);
const CUSTOMERS = option('customers', 50_000);
const BASELINE_EVENTS = option('baseline', 100_000);
const PROJECTS = ['examples/coffee-shop', 'examples/retail-points'];

async function eventsFile() {
  const file = join(tmpdir(), `laas-bench-dry-run-${EVENTS}-${CUSTOMERS}.jsonl`);
  if (!existsSync(file)) {
    process.stderr.write(
      `generating ${EVENTS.toLocaleString('en')} events of ${CUSTOMERS.toLocaleString('en')} customers → ${file}\n`,
    );
    const distinct = await writeEvents(file, { events: EVENTS, customers: CUSTOMERS });
    if (distinct !== Math.min(CUSTOMERS, EVENTS))
      throw new Error(`the workload has ${distinct} distinct customers`);
  }
  const prefix = join(tmpdir(), `laas-bench-dry-run-${EVENTS}-${CUSTOMERS}-first-${BASELINE_EVENTS}.jsonl`);
  if (!existsSync(prefix)) {
    const out = createWriteStream(prefix);
    let n = 0;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (n++ >= BASELINE_EVENTS) break;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
  return { file, prefix };
}

const hook = join(tmpdir(), 'laas-bench-peak-rss.mjs');
writeFileSync(
  hook,
  `process.on('exit', () => process.stderr.write('PEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));\n`,
);

/** One `laas dry-run` in a child: events/s from its own clock, peak RSS from its exit hook. */
function dryRun(project, file, store) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [
        '--import',
        hook,
        bin,
        'dry-run',
        '--rules',
        project,
        '--events',
        file,
        '--quiet',
        '--json',
        '--store',
        store,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', () => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const { summary } = JSON.parse(stdout);
        const events = summary.events.processed;
        resolve({
          events,
          seconds: summary.elapsed_ms / 1000,
          wall,
          rate: events / (summary.elapsed_ms / 1000),
          rssMB: Number(/PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1]) / 1024,
        });
      } catch (error) {
        reject(new Error(`dry-run ${project} --store ${store} failed: ${stderr.slice(-2000)} ${error}`));
      }
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n, digits = 0) =>
  n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const { file, prefix } = await eventsFile();
const results = [];
for (const project of PROJECTS) {
  const floor = [];
  const replay = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternate the two, so that a noisy neighbour weighs on both alike.
    for (const [store, input, into] of [
      ['sqlite', prefix, floor],
      ['replay', file, replay],
    ]) {
      const r = await dryRun(project, input, store);
      into.push(r);
      process.stderr.write(
        `${project} ${store.padEnd(6)} ${fmt(r.events).padStart(9)} events  ${fmt(r.rate).padStart(7)} events/s  peak RSS ${fmt(r.rssMB).padStart(4)} MB\n`,
      );
    }
  }
  results.push({
    project,
    floorRate: median(floor.map((r) => r.rate)),
    floorEvents: floor[0].events,
    replayRate: median(replay.map((r) => r.rate)),
    replayEvents: replay[0].events,
    replaySeconds: median(replay.map((r) => r.seconds)),
    replayRss: median(replay.map((r) => r.rssMB)),
  });
}

console.log(
  `\nlaas dry-run, ${fmt(EVENTS)} events of ${fmt(CUSTOMERS)} customers, medians of ${RUNS} alternating run(s)`,
);
console.log(
  '| project | SQLite scratch (floor), events/s | replay store, events/s | replay ÷ floor | replay: a year in | replay: peak RSS |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.project} | ${fmt(r.floorRate)} (first ${fmt(r.floorEvents)}) | ${fmt(r.replayRate)} (${fmt(r.replayEvents)}) | ${fmt(r.replayRate / r.floorRate, 2)}× | ${fmt(r.replaySeconds)} s | ${fmt(r.replayRss)} MB |`,
  );
}
