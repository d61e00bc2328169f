import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The example imports the packages as a user would: through its own node_modules (pnpm install).
const installed = ['@laas/core', '@laas/adapters-sqlite', 'better-sqlite3'].every((p) =>
  existsSync(join(HERE, 'node_modules', p)),
);
// Under CI (the global setup's LAAS_TEST_REQUIRED) a missing install fails instead of skipping.
const required = process.env.LAAS_TEST_REQUIRED === '1';
if (!installed && !required)
  console.warn('skipping examples/pos-integration: run pnpm install to link its dependencies');

function demo(db: string) {
  const r = spawnSync(process.execPath, ['src/demo.mjs', '--db', db], { cwd: HERE, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!installed && !required)('examples/pos-integration', () => {
  it('ingests purchases idempotently and redeems at the till; the balance persists in the POS database', () => {
    expect(installed, 'examples/pos-integration is not installed (pnpm install)').toBe(true);
    const db = join(mkdtempSync(join(tmpdir(), 'laas-pos-')), 'pos.sqlite');
    const first = demo(db);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/KES\s2,500\.00 → \+25 points, balance 25\n/);
    expect(first.out).toMatch(/KES\s1,200\.50 → \+12 points, balance 55\n/);
    expect(first.out).toMatch(/replayed=true, nothing credited again, balance 55\n/);
    expect(first.out).toContain('redeemed at the till: KES\u00a050.00 off (redeemed), balance 5');
    const second = demo(db);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/KES\s2,500\.00 → \+25 points, balance 30\n/);
    expect(second.out).toContain('balance 10');
  });
});
