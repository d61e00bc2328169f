import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { laas } from '../../../packages/cli/test/helpers.js';

const SHOP = 'examples/retail-points';

describe('examples/retail-points', () => {
  it('its files are valid (rules, a catalog, two budgets, the tenant)', async () => {
    const r = await laas(['validate', SHOP, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rules: 5, rewards: 5, budgets: 2, errors: [] });
  });

  it('its fixtures pass: points per amount, tiers, expiry, the hard-capped monthly budget', async () => {
    const r = await laas(['test', SHOP]);
    expect(r.stdout).toMatch(/4 fixture\(s\): 4 passed, 0 failed/);
    expect(r.code).toBe(0);
  });

  it('backtests four months of purchases from CSV, with points expiring along the way', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'laas-retail-')), 'backtest.md');
    const r = await laas([
      'dry-run',
      '--rules',
      SHOP,
      '--events',
      `${SHOP}/events/purchases.csv`,
      '--quiet',
      '--report',
      report,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/780 processed/);
    expect(r.stdout).toMatch(/Expired along the way: \d+ reward\(s\), 0 reservation\(s\), [\d,]+ point\(s\)/);
    const md = readFileSync(report, 'utf8');
    // $40.00 shown as money; the $60.00 issued under it explained by what expiry returned.
    expect(md).toMatch(
      /\| Monthly rewards \| 2025-01 \| \$40\.00 \| \$60\.00 \| \$60\.00 \| \$0\.00 \| 2 \|/,
    );
    expect(md).toContain('### Points issued (limit 12,000 points per month)');
    expect(md).toContain('### Monthly rewards (limit $40.00 per month)');
    expect(md).toMatch(/\| Outstanding \| 35,209 points \|/);
  });
});
