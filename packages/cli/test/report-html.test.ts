import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { laas } from './helpers.js';

const CHROMIUM = process.env.LAAS_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
// Under CI (the global setup's LAAS_TEST_REQUIRED) a missing Chromium fails instead of skipping.
const required = process.env.LAAS_TEST_REQUIRED === '1';

if (!available && !required) {
  console.warn(
    `skipping the HTML report rendering test: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}

describe.skipIf(!available && !required)('dry-run --report out.html in headless Chromium', () => {
  it('renders the burn chart: one polyline per budget, axis labels, the projection table', async () => {
    expect(available, `Chromium is required under CI but missing at ${CHROMIUM}`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'laas-html-'));
    const out = join(dir, 'backtest.html');
    const r = await laas([
      'dry-run',
      '--rules',
      'examples/retail-points',
      '--events',
      'examples/retail-points/events/purchases.csv',
      '--quiet',
      '--report',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(out).href);
      const svg = page.locator('svg#burn-chart');
      await expect(svg.count()).resolves.toBe(1);
      const box = await svg.boundingBox();
      expect(box?.width).toBeGreaterThan(300);
      const budgets = await page.locator('svg#burn-chart polyline.budget-line').evaluateAll((els) =>
        els.map((e) => ({
          name: e.getAttribute('data-budget'),
          points: (e.getAttribute('points') ?? '').split(' ').length,
        })),
      );
      expect(budgets.map((b) => b.name).sort()).toEqual(['Monthly rewards', 'Points issued']);
      for (const b of budgets) expect(b.points).toBeGreaterThan(20);
      const xLabels = await page.locator('svg#burn-chart text.x-label').allTextContents();
      expect(xLabels.length).toBeGreaterThanOrEqual(2);
      for (const l of xLabels) expect(l).toMatch(/^2025-\d\d-\d\d$/);
      const yLabels = await page.locator('svg#burn-chart text.y-label').allTextContents();
      expect(yLabels[0]).toBe('0');
      expect(yLabels.length).toBe(5);
      expect(await page.locator('svg#burn-chart text.axis-title').allTextContents()).toEqual([
        'Date',
        'Charged per day',
      ]);
      const rows = await page.locator('#projections tr').count();
      expect(rows).toBeGreaterThan(1);
      expect(await page.locator('#projections').textContent()).toMatch(
        /ran out on|runs out around|not within this period|did not run out/,
      );
    } finally {
      await browser.close();
    }
  }, 120_000);
});
