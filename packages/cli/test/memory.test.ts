import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { laas } from './helpers.js';

/** Peak RSS bound of a 40,000-event dry-run on the SQLite scratch store. */
const PEAK_RSS_MB = 250;

function eventsFile(dir: string, n: number): string {
  const file = join(dir, `events-${n}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        type: i % 3 === 0 ? 'purchase' : 'visit',
        occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 120_000).toISOString(),
        customer: { external_ref: `c${i % 2000}` },
        data: i % 3 === 0 ? { amount: 500 + (i % 900) } : {},
      }),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * The V8 heap the dry-run may use. Measured: the SQLite scratch store runs these 40,000 events
 * within 32 MB of heap; the in-memory store (which keeps every event, 2-4 KB each) aborts out of
 * memory under this cap. So a dry-run that started keeping events would fail here, whatever the
 * machine's load (a comparison of two peak RSS figures was at the mercy of when V8 collects).
 */
const HEAP_CAP_MB = 48;

describe('dry-run memory stays bounded', () => {
  it(`40,000 events on the SQLite scratch store: within a ${HEAP_CAP_MB} MB heap and ${PEAK_RSS_MB} MB peak RSS`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-memory-'));
    // Reports the process's peak resident set size (maxRSS, KiB) when it exits.
    const hook = join(dir, 'peak.mjs');
    writeFileSync(
      hook,
      `process.on('exit', () => process.stderr.write('PEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));\n`,
    );
    const r = await laas(
      [
        'dry-run',
        '--rules',
        'examples/coffee-shop',
        '--events',
        eventsFile(dir, 40_000),
        '--quiet',
        '--store',
        'sqlite',
      ],
      { nodeArgs: [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', hook] },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('40,000 processed');
    const mb = Number(/PEAK_RSS_KB=(\d+)/.exec(r.stderr)?.[1]) / 1024;
    expect(mb).toBeLessThan(PEAK_RSS_MB);
    console.log(`peak RSS of 40,000 events with a ${HEAP_CAP_MB} MB heap cap: ${mb.toFixed(0)} MB`);
  }, 300_000);

  it(`40,000 events on the replay store (the default): within a ${HEAP_CAP_MB} MB heap`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-memory-'));
    // The memory store keeps every event and aborts under this cap; the replay store forgets, once
    // a day of events, what no later decision reads, so it holds the 2,000 customers and a week.
    const r = await laas(
      ['dry-run', '--rules', 'examples/coffee-shop', '--events', eventsFile(dir, 40_000), '--quiet'],
      { nodeArgs: [`--max-old-space-size=${HEAP_CAP_MB}`] },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('40,000 processed');
    expect(r.stdout).toContain('store: replay');
  }, 300_000);
});
