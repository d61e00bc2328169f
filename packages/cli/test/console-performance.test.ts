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

describeInBrowser('console: performance and the enrollment page', () => {
  let world: ConsoleWorld;
  let t: string;
  const as = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    world.as('admin')(path, method, body, headers);

  beforeAll(async () => {
    world = await startConsole();
    t = world.tenantId;
    // A stamp card charged to a GHS 50.00 monthly budget, a points rule, and a day of trade.
    const coffee = await as('POST', '/rewards', { name: 'Free coffee', type: 'item', cost: 1500 });
    const points = await as('POST', '/rewards', { name: 'Points', type: 'points', value: 1 });
    const budget = await as('POST', '/budgets', {
      name: 'Monthly treats',
      unit: 'GHS',
      limit: 5000,
      period: 'month',
    });
    await as('POST', '/rules', {
      name: 'Every 2nd visit',
      event_types: ['visit'],
      reward_id: coffee.body.id,
      budget_id: budget.body.id,
      condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 2] }, 0] },
      caps: [{ scope: 'customer', max: 1, window: 'day' }],
    });
    await as('POST', '/rules', {
      name: 'A point per cedi',
      event_types: ['purchase'],
      reward_id: points.body.id,
      condition: true,
      quantity: { '/': [{ var: 'event.amount' }, 100] },
    });
    for (const [n, phone] of ['+233201111111', '+233202222222', '+233203333333'].entries()) {
      for (let v = 0; v < 2; v++) {
        await as(
          'POST',
          '/events',
          { type: 'visit', customer: { phone } },
          { 'idempotency-key': `v-${n}-${v}` },
        );
      }
      await as(
        'POST',
        '/events',
        { type: 'purchase', customer: { phone }, data: { amount: 1250 } },
        {
          'idempotency-key': `p-${n}`,
        },
      );
    }
    const issued = await as('GET', `/issuances?state=issued&reward_id=${coffee.body.id}&limit=1`);
    await as('POST', `/issuances/${issued.body.items[0].id}/redeem`, {});
  });
  afterAll(async () => {
    await world?.close();
  });

  it('shows the same figures as GET /analytics, money as money, each budget against its limit', async () => {
    const figures = (await as('GET', '/analytics')).body;
    expect(figures.totals).toMatchObject({ events: 9, enrolments: 3, issued: 6, redeemed: 1 });
    const page = await world.page();
    await world.signIn(page, world.keys.viewer);
    await page.getByRole('heading', { name: 'Performance' }).waitFor();
    const totals = page
      .getByRole('list', { name: 'Totals over the range' })
      .or(page.locator('dl[aria-label="Totals over the range"]'));
    await textOf(totals, 'Events9');
    const text = (await totals.textContent()) ?? '';
    expect(text).toContain(`Events${figures.totals.events}`);
    expect(text).toContain(`Enrolments${figures.totals.enrolments}`);
    expect(text).toContain(`Rewards issued${figures.totals.issued}`);
    expect(text).toContain(`Rewards redeemed${figures.totals.redeemed}`);
    expect(text).toContain(`Points earned${figures.totals.points_earned} points`);
    expect(text).toContain(`Outstanding points (liability, now)${figures.points_liability} points`);
    // The budget: GHS 45.00 in the tenant's currency, not 4,500 minor units.
    const budget = figures.budgets[0];
    expect(budget.used).toBe(4500);
    const budgetText = (await textOf(page.locator('.budget'), 'Monthly treats')).replace(/\u00a0/g, ' ');
    expect(budgetText).toMatch(/GHS 45\.00 of GHS 50\.00 used in \d{4}-\d\d \(90%\), GHS 5\.00 left/);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3);
    await page.getByText('The figures per day').click();
    const today = figures.days.at(-1);
    const row = page.getByRole('row', { name: new RegExp(`^${today.date}`) });
    expect((await row.allTextContents()).join(' ')).toContain(
      `${today.date}${today.events}${today.enrolments}`,
    );
    await textOf(page.getByRole('table').last(), 'Every 2nd visit');
    await expectAccessible(page, 'the performance screen');
    await screenshot(page, 'performance');
    // A range refused by the API shows its message at the field.
    await page.getByLabel('From').fill('2020-01-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await textOf(page.getByRole('alert').first(), '366');
    await page.context().close();
  });

  it('serves the public enrollment page only when the tenant turns it on, with the rules in plain words', async () => {
    const page = await world.page({ mobile: true });
    await page.goto(`${world.server.url}/console/join/${t}`);
    await page.getByRole('heading', { name: 'No such programme' }).waitFor();
    await as('PATCH', '', { settings: { enrollment_page: true } });
    await page.goto(`${world.server.url}/console/join/${t}`);
    await page.getByRole('heading', { name: 'Join Kofi Coffee’s rewards' }).waitFor();
    const rules = await textOf(page.locator('.rules'), 'Every 2nd visit');
    expect(rules).toContain('Free coffee');
    expect(rules).not.toContain(t);
    await textOf(page.locator('main'), 'Ask at the counter');
    // With WhatsApp set up: the join link and its QR code, loaded from the server under the page's CSP.
    await as('PUT', '/whatsapp', {
      phone_number_id: '1055501234567',
      display_phone_number: '+233 20 000 1111',
      access_token: 'EAAG0123456789abcdef0123456789abcdef0123456789ab',
      app_secret: '0123456789abcdef0123456789abcdef',
      verify_token: 'verify-console-e2e',
      enrollment_code: 'KOFI',
    });
    await page.reload();
    const link = page.getByRole('link', { name: 'open WhatsApp' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://wa.me/233200001111?text=JOIN%20KOFI');
    await textOf(page.locator('main'), 'send JOIN KOFI');
    const qr = page.getByRole('img', { name: /QR code that opens WhatsApp/ });
    await expect
      .poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);
    await expectAccessible(page, 'the enrollment page');
    await screenshot(page, 'enrollment');
    await page.context().close();
  });
});
