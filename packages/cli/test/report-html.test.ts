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
  it('renders one burn chart per unit with money as money, no label cut, the figures defined, the points programme', async () => {
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
      await page.setViewportSize({ width: 1100, height: 900 });
      // One chart per unit: dollars and points never share an axis.
      const charts = page.locator('svg.burn-chart');
      expect(await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-unit')))).toEqual([
        'USD',
        'points',
      ]);
      for (const [unit, budget, yLabel, title] of [
        ['USD', 'Monthly rewards', /^\$\d+\.\d\d$/, 'Issued per day (USD)'],
        ['points', 'Points issued', /^[\d,]+$/, 'Issued per day (points)'],
      ] as const) {
        const svg = page.locator(`svg.burn-chart[data-unit="${unit}"]`);
        const box = await svg.boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        const lines = await svg.locator('polyline.budget-line').evaluateAll((els) =>
          els.map((e) => ({
            name: e.getAttribute('data-budget'),
            points: (e.getAttribute('points') ?? '').split(' ').length,
          })),
        );
        expect(lines.map((l) => l.name)).toEqual([budget]);
        for (const l of lines) expect(l.points).toBeGreaterThan(20);
        const xLabels = svg.locator('text.x-label');
        const dates = await xLabels.allTextContents();
        expect(dates.length).toBeGreaterThanOrEqual(2);
        for (const l of dates) expect(l).toMatch(/^2025-\d\d-\d\d$/);
        expect(dates.at(-1)).toBe('2025-04-30');
        // No label is cut: every one lies inside the chart's box, the last date included.
        const labels = await svg.locator('text').all();
        for (const label of labels) {
          const b = await label.boundingBox();
          if (b === null || box === null) throw new Error('no bounding box');
          const text = (await label.textContent()) ?? '';
          expect(b.x, text).toBeGreaterThanOrEqual(box.x);
          expect(b.x + b.width, text).toBeLessThanOrEqual(box.x + box.width);
          expect(b.y).toBeGreaterThanOrEqual(box.y);
          expect(b.y + b.height).toBeLessThanOrEqual(box.y + box.height);
        }
        // Dates far enough apart not to overlap.
        const xBoxes = await xLabels.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
        for (let i = 1; i < xBoxes.length; i++) expect(xBoxes[i].left).toBeGreaterThan(xBoxes[i - 1].right);
        const yLabels = await svg.locator('text.y-label').allTextContents();
        expect(yLabels.length).toBeGreaterThanOrEqual(3);
        expect(yLabels[0]).toMatch(/^\$?0(\.00)?$/);
        for (const l of yLabels) expect(l).toMatch(yLabel);
        expect(await svg.locator('text.axis-title').allTextContents()).toEqual(['Date', title]);
      }
      const projections = (await page.locator('#projections').textContent()) ?? '';
      expect(projections).toMatch(/ran out on|runs out around|not within this period|did not run out/);
      // Money as money, points as points, never minor units read as whole currency.
      expect(projections).toContain('$40.00');
      expect(projections).toContain('12,000 points');
      expect(projections).not.toContain('4,000 USD');
      for (const th of ['Limit', 'Issued', 'Returned', 'Committed', 'Refused', 'Rate / day', 'Runs out']) {
        expect(await page.locator('#projections th', { hasText: th }).count()).toBeGreaterThan(0);
        expect(await page.locator('#budget-terms dt', { hasText: th }).count()).toBe(1);
      }
      // The points programme: earned − spent − expired = outstanding at the end of the replay.
      const points = Object.fromEntries(
        await page
          .locator('#points tr:has(td)')
          .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))),
      );
      expect(points).toEqual({
        Earned: '47,418 points',
        Spent: '0 points',
        Expired: '12,209 points',
        Outstanding: '35,209 points',
      });
      expect(await page.locator('#points-terms dt').allTextContents()).toEqual([
        'Earned',
        'Spent',
        'Expired',
        'Outstanding',
      ]);
      expect(await page.locator('#rules').textContent()).toContain('$235.00');
      // LAAS_REPORT_SCREENSHOT=/tmp/report.png: a picture of the page, to look at how it reads.
      const shot = process.env.LAAS_REPORT_SCREENSHOT;
      if (shot) await page.screenshot({ path: shot, fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
