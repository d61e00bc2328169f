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

describe('dry-run memory stays bounded', () => {
  it(`40,000 events on the SQLite scratch store: peak RSS under ${PEAK_RSS_MB} MB and not growing with the input`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-memory-'));
    // Reports the process's peak resident set size (maxRSS, KiB) when it exits.
    const hook = join(dir, 'peak.mjs');
    writeFileSync(
      hook,
      `process.on('exit', () => process.stderr.write('PEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));\n`,
    );
    const peak = async (file: string) => {
      const r = await laas(
        ['dry-run', '--rules', 'examples/coffee-shop', '--events', file, '--quiet', '--store', 'sqlite'],
        {
          nodeArgs: ['--import', hook],
        },
      );
      expect(r.code, r.stderr).toBe(0);
      const kb = Number(/PEAK_RSS_KB=(\d+)/.exec(r.stderr)?.[1]);
      return { mb: kb / 1024, stdout: r.stdout };
    };
    const small = await peak(eventsFile(dir, 10_000));
    const big = await peak(eventsFile(dir, 40_000));
    expect(big.stdout).toContain('40,000 processed');
    expect(big.mb).toBeLessThan(PEAK_RSS_MB);
    // Four times the events, about the same memory: the heap settles once V8 has grown it, while the
    // in-memory store would grow 2-4 KB per event (60-120 MB for the 30,000 more).
    expect(big.mb - small.mb).toBeLessThan(40);
    console.log(`peak RSS: 10,000 events ${small.mb.toFixed(0)} MB, 40,000 events ${big.mb.toFixed(0)} MB`);
  }, 300_000);
});
