import { describe, expect, it } from 'vitest';
import { laas } from '../../../packages/cli/test/helpers.js';

const SHOP = 'examples/coffee-shop';

describe('examples/coffee-shop', () => {
  it('its files are valid', async () => {
    const r = await laas(['validate', SHOP]);
    expect(r.stdout).toContain('0 error(s), 0 warning(s)');
    expect(r.code).toBe(0);
  });

  it('its fixtures pass', async () => {
    const r = await laas(['test', SHOP, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: 3, failed: 0 });
  });

  it('dry-runs January: free coffees, birthday treats, and the monthly budget running out', async () => {
    const r = await laas([
      'dry-run',
      '--rules',
      SHOP,
      '--events',
      `${SHOP}/events/january.jsonl`,
      '--json',
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const { summary } = JSON.parse(r.stdout);
    expect(summary.events.processed).toBe(211);
    const byName = Object.fromEntries(summary.rules.map((x: { rule_name: string }) => [x.rule_name, x]));
    expect(byName['Stamp card: every 5th visit earns a free coffee'].issuances).toBeGreaterThan(5);
    expect(byName['Birthday week treat'].issuances).toBeGreaterThan(0);
    expect(summary.decisions.budget_exhausted).toBeGreaterThan(0);
    expect(summary.projections[0]).toMatchObject({ budget: 'Monthly treats', status: 'exhausted' });
  });

  it('explains the stamp card on the fifth visit', async () => {
    const r = await laas([
      'explain',
      '--rule',
      `${SHOP}/rules/stamp-card.json`,
      '--context',
      `${SHOP}/contexts/fifth-visit.json`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('matches');
  });
});
