/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addCoffeeProgramme,
  type ConsoleWorld,
  describeInBrowser,
  expectAccessible,
  screenshot,
  startConsole,
  type TenantApi,
  textOf,
} from './console-harness.js';

const PHONE = '+233245550101';

describeInBrowser('console: the counter, on a phone', () => {
  let world: ConsoleWorld;
  let page: Page;
  let customerId: string;
  /** The POST /events requests the page sent, with their Idempotency-Key. */
  const posted: Array<{ key: string | undefined; body: Record<string, unknown> }> = [];
  const admin: TenantApi = (...call) => world.as('admin')(...call);

  beforeAll(async () => {
    world = await startConsole();
    // The README's tour: a free coffee every 2nd visit; and 10 points a purchase, a pastry for 10.
    await addCoffeeProgramme(admin, '10 points a purchase');
    await admin('/rewards', 'POST', { name: 'Pastry', type: 'item', points_price: 10 });
    page = await world.page({ mobile: true });
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith('/events')) {
        posted.push({ key: request.headers()['idempotency-key'], body: request.postDataJSON() });
      }
    });
    await world.signIn(page, world.keys.pos);
  });
  afterAll(async () => {
    await world?.close();
  });

  const events = async () =>
    (await admin(`/events?customer_id=${customerId}&limit=200`)).body.items as Array<{
      type: string;
      idempotency_key: string;
      data: Record<string, unknown>;
    }>;

  it('finds nobody for an unknown phone and enrolls them with their first visit', async () => {
    await page.getByRole('heading', { name: 'Counter', exact: true }).waitFor();
    // 390 px: nothing wider than the screen.
    await page.getByLabel('Phone or reference').fill('+233 24 555 0101');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await textOf(page.locator('main'), `No customer has the phone ${PHONE}`);
    await page.getByLabel('Name (optional)').fill('Ama');
    await expectAccessible(page, 'the counter, customer not found');
    await screenshot(page, 'counter-lookup');
    await page.getByRole('button', { name: 'Enroll with a visit' }).click();
    await textOf(page.getByRole('status').first(), 'Customer enrolled and visit recorded');
    await textOf(page.getByTestId('visit-count'), '1');
    const found = await admin(`/customers?phone=${encodeURIComponent(PHONE)}`);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({ name: 'Ama', status: 'active' });
    customerId = found.body.items[0].id;
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it('records a purchase typed as money ("12.50") in minor units (1250) and shows the points', async () => {
    await page.getByLabel('Purchase amount (GHS)').fill('12.5O');
    await page.getByRole('button', { name: 'Record purchase' }).click();
    // Not money: refused at the field before anything is sent.
    await textOf(page.locator('.field-error'), 'Enter the amount as money');
    await page.getByLabel('Purchase amount (GHS)').fill('12.50');
    await page.getByRole('button', { name: 'Record purchase' }).click();
    await textOf(page.locator('.outcome'), 'Purchase recorded');
    await textOf(page.locator('.outcome'), '+10 points');
    await textOf(page.getByTestId('points-balance'), '10 points');
    await textOf(page.locator('.counter-stats'), /GH(S\s?|₵)12\.50/);
    const purchase = (await events()).find((e) => e.type === 'purchase');
    expect(purchase?.data).toEqual({ amount: 1250 });
  });

  it('records one visit for a double tap on "Record visit", and shows the reward it earned', async () => {
    const before = posted.length;
    await page.getByRole('button', { name: 'Record visit' }).dblclick();
    await textOf(page.locator('.outcome'), 'Free coffee');
    await textOf(page.getByTestId('visit-count'), '2');
    const sent = posted.slice(before);
    // The second tap found the first in flight: one request, one key.
    expect(sent).toHaveLength(1);
    const stored = await events();
    const visits = stored.filter((e) => e.type === 'visit');
    expect(visits).toHaveLength(2);
    expect(visits.filter((e) => e.idempotency_key === sent[0]?.key)).toHaveLength(1);
    const customer = await admin(`/customers/${customerId}`);
    expect(customer.body.stats.counts).toEqual({ visit: 2, purchase: 1 });
    await textOf(page.locator('.outcome'), 'Reward earned');
    await page.getByRole('button', { name: 'Redeem Free coffee' }).waitFor();
    await expectAccessible(page, 'the counter, reward earned');
    await screenshot(page, 'counter-earned');
  });

  it('redeems the reward from the list after a confirmation naming the customer', async () => {
    await page.getByRole('button', { name: 'Redeem Free coffee' }).click();
    const confirm = page.locator('fieldset.confirm');
    await textOf(confirm, `Redeem Free coffee for ${PHONE}?`);
    // Cancel first: nothing is redeemed.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await confirm.count()).toBe(0);
    const issued = await admin(`/issuances?customer_id=${customerId}&state=issued`);
    const coffee = issued.body.items.find((i: { value: number; code: null }) => i.value === 0);
    expect(coffee).toBeTruthy();
    await page.getByRole('button', { name: 'Redeem Free coffee' }).click();
    // The confirmation has the focus: Enter confirms.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Confirm');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await textOf(
      page.getByRole('status').filter({ hasText: 'Redeemed' }),
      `Redeemed Free coffee for ${PHONE}`,
    );
    await textOf(page.locator('main'), 'No reward waiting.');
    const after = await admin(`/issuances/${coffee.id}`);
    expect(after.body.state).toBe('redeemed');
    await expectAccessible(page, 'the counter, reward redeemed');
    await screenshot(page, 'counter-redeemed');
  });

  it('buys a reward with points after a confirmation', async () => {
    await page.getByRole('button', { name: 'Buy Pastry' }).click();
    await textOf(page.locator('fieldset.confirm'), `Spend 10 points of ${PHONE} on Pastry?`);
    await page.locator('fieldset.confirm').getByRole('button', { name: 'Confirm' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'Bought' }), 'Bought Pastry with 10 points');
    await textOf(page.getByTestId('points-balance'), /^0 points$/);
    expect((await admin(`/customers/${customerId}/points`)).body.balance).toBe(0);
  });

  it('retries a failed click with the same key, so it counts once', async () => {
    const before = posted.length;
    let fail = true;
    await page.route('**/events', (route) => {
      if (fail) {
        fail = false;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await page.getByRole('button', { name: 'Record visit' }).click();
    await textOf(page.getByRole('alert'), 'NETWORK_ERROR');
    await page.getByRole('button', { name: 'Retry the same visit' }).click();
    await textOf(page.getByTestId('visit-count'), '3');
    await page.unroute('**/events');
    const sent = posted.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[0]?.key).toBe(sent[1]?.key);
    expect((await events()).filter((e) => e.type === 'visit')).toHaveLength(3);
  });

  it('refuses a badly written phone at the lookup field', async () => {
    await page.getByLabel('Phone or reference').fill('');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await textOf(page.locator('.field-error'), 'Enter a phone number or a reference');
    expect(await page.getByLabel('Phone or reference').getAttribute('aria-invalid')).toBe('true');
  });

  it('enrolls an unknown reference directly for an admin key (POST /customers)', async () => {
    const desk = await world.page();
    await world.signIn(desk, world.keys.admin);
    await desk.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Counter' }).click();
    await desk.getByLabel('Phone or reference').fill('CARD-0077');
    await desk.getByRole('button', { name: 'Find', exact: true }).click();
    await desk.getByLabel('Name (optional)').fill('Yaw');
    await desk.getByRole('button', { name: 'Enroll reference CARD-0077' }).click();
    await desk.getByRole('heading', { name: 'Yaw' }).waitFor();
    await textOf(desk.getByTestId('visit-count'), '0');
    const found = await admin('/customers?external_ref=CARD-0077');
    expect(found.body.items[0]).toMatchObject({ name: 'Yaw', phone: null, stats: { counts: {} } });
    await desk.context().close();
  });
});
