/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConsoleWorld,
  describeInBrowser,
  expectAccessible,
  screenshot,
  startConsole,
  textOf,
} from './console-harness.js';

/**
 * The merchant's day in the console, start to end, as the issue describes it: sign in, create a
 * reward, a budget and a rule, record visits at the counter until the reward is issued, redeem it,
 * and find the same numbers on the performance screen as in the API.
 */
describeInBrowser('console: a programme from nothing to its figures', () => {
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await startConsole();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('sets up, runs the counter, redeems, and shows the figures the API has', async () => {
    const get = async (path: string) => (await world.as('admin')(path)).body;
    const page = await world.page();
    await world.signIn(page, world.keys.admin);
    const open = async (screen: string) => {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: screen }).click();
      await page.getByRole('heading', { name: screen, exact: true, level: 1 }).waitFor();
    };

    // A reward that costs GHS 1.50 per coffee.
    await open('Rewards');
    await page.getByRole('button', { name: 'New reward' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Free coffee');
    await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Free item' });
    await page.getByLabel('Cost (GHS)').fill('1.50');
    await page.getByRole('button', { name: 'Create reward' }).click();
    await page.getByRole('row', { name: /Free coffee/ }).waitFor();

    // A monthly budget of GHS 50.00.
    await open('Budgets');
    await page.getByRole('button', { name: 'New budget' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Monthly treats');
    await page.getByLabel('Limit per period (GHS)').fill('50.00');
    await page.getByLabel('Period', { exact: true }).selectOption('month');
    await page.getByRole('button', { name: 'Create budget' }).click();
    await page.getByRole('row', { name: /Monthly treats/ }).waitFor();

    // Every second visit earns the coffee, charged to the budget.
    await open('Rules');
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Every 2nd visit');
    await page.getByLabel('Event types').fill('visit');
    await page.getByLabel('Reward', { exact: true }).selectOption({ label: 'Free coffee' });
    await page
      .getByLabel('Condition (JsonLogic)')
      .fill('{"==": [{"%": [{"var": "customer.stats.counts.visit"}, 2]}, 0]}');
    await page.getByLabel('Budget', { exact: true }).selectOption({ label: 'Monthly treats' });
    await page.getByRole('button', { name: 'Create rule' }).click();
    await textOf(page.getByRole('status'), 'Saved');
    const [rule] = (await get('/rules')).items;
    expect(rule).toMatchObject({
      name: 'Every 2nd visit',
      event_types: ['visit'],
      active: true,
      condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 2] }, 0] },
    });
    expect(rule.budget_id).not.toBeNull();

    // The counter: enroll a customer and record visits until the coffee is earned.
    await open('Counter');
    await page.getByLabel('Phone or reference').fill('+233 24 555 0199');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByRole('button', { name: /^Enroll/ }).click();
    await page
      .getByRole('heading', { name: /\+233245550199|Customer/ })
      .first()
      .waitFor();
    const redeem = page.getByRole('button', { name: 'Redeem Free coffee' });
    // The second visit earns it: two clicks, each waited for until the API has its event.
    for (const visits of [1, 2]) {
      await page.getByRole('button', { name: 'Record visit' }).click();
      await expect.poll(async () => (await get('/events')).items.length).toBe(visits);
    }
    await redeem.waitFor();
    await screenshot(page, 'flow-counter-earned');
    await redeem.click();
    await page.locator('fieldset.confirm').getByRole('button', { name: 'Confirm' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'Redeemed' }), 'Redeemed');
    const issuances = (await get('/issuances')).items;
    expect(issuances.map((i: { state: string }) => i.state)).toEqual(['redeemed']);

    // The customer list finds them by a part of their number (the API's ?q= search).
    await open('Customers');
    await page.getByLabel('Search').fill('0199');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const rows = page.locator('main table tbody tr');
    await textOf(rows.first(), '+233245550199');
    expect(await rows.count()).toBe(1);
    await page.getByLabel('Search').fill('9999');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No customer matches.').waitFor();

    // The performance screen says what the API says.
    const figures = await get('/analytics');
    expect(figures.totals).toMatchObject({ events: 2, enrolments: 1, issued: 1, redeemed: 1 });
    await open('Performance');
    const totals = page.locator('dl[aria-label="Totals over the range"]');
    const text = await textOf(totals, `Events${figures.totals.events}`);
    for (const [label, key] of [
      ['Enrolments', 'enrolments'],
      ['Rewards issued', 'issued'],
      ['Rewards redeemed', 'redeemed'],
    ] as const) {
      expect(text).toContain(`${label}${figures.totals[key]}`);
    }
    const budget = (await textOf(page.locator('.budget'), 'Monthly treats')).replace(/\u00a0/g, ' ');
    expect(figures.budgets[0]).toMatchObject({
      name: 'Monthly treats',
      limit: 5000,
      used: 150,
      remaining: 4850,
    });
    expect(budget).toContain('GHS 1.50 of GHS 50.00 used');
    expect(budget).toContain('GHS 48.50 left');
    await textOf(page.getByRole('table').last(), 'Every 2nd visit');
    await expectAccessible(page, 'the performance screen after a day of trade');
    await screenshot(page, 'flow-performance');
    await page.context().close();
  });
});
