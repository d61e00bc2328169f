/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
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
import { receiver } from './helpers.js';

const AMA = '+233241110001';
const KOFI = '+233241110002';

describeInBrowser('console: customers, as admin', () => {
  let world: ConsoleWorld;
  let page: Page;
  let amaId: string;
  const admin: TenantApi = (...call) => world.as('admin')(...call);

  beforeAll(async () => {
    world = await startConsole();
    await addCoffeeProgramme(admin, 'Points a purchase');
    const ama = await admin('/customers', 'POST', {
      phone: AMA,
      name: 'Ama Mensah',
      external_ref: 'CARD-0001',
    });
    amaId = ama.body.id;
    await admin('/customers', 'POST', { phone: KOFI, name: 'Kofi Boateng' });
    const events = [
      { type: 'visit', customer: { id: amaId } },
      { type: 'visit', customer: { id: amaId } },
      { type: 'purchase', customer: { id: amaId }, data: { amount: 1250 } },
    ];
    for (const [n, event] of events.entries()) {
      await admin('/events', 'POST', { idempotency_key: `setup-${n}`, ...event });
    }
    page = await world.page();
    await world.signIn(page, world.keys.admin);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('lists the customers newest first and searches them', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Customers' }).click();
    await page.getByRole('heading', { name: 'Newest customers' }).waitFor();
    const rows = page.locator('main table tbody tr');
    await textOf(rows.first(), 'Kofi Boateng');
    expect(await rows.count()).toBe(2);
    await textOf(rows.nth(1), 'Ama Mensah');
    await textOf(rows.nth(1), 'CARD-0001');
    await expectAccessible(page, 'the customer list');
    await screenshot(page, 'customers-list');

    // A phone, however spaced: the exact lookup.
    await page.getByLabel('Search').fill('+233 24 111 0001');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('Exact match.').waitFor();
    expect(await rows.count()).toBe(1);
    await textOf(rows.first(), 'Ama Mensah');
    // A reference: exact too.
    await page.getByLabel('Search').fill('CARD-0001');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await textOf(rows.first(), 'Ama Mensah');
    expect(await rows.count()).toBe(1);
    // A status filter with nothing in it.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Status').selectOption('blocked');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No customer matches.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await textOf(rows.first(), 'Kofi Boateng');
  });

  it('opens a customer with their history: events and their outcome, rewards, points ledger', async () => {
    await page.getByRole('link', { name: 'Ama Mensah' }).click();
    await page.getByRole('heading', { name: 'Ama Mensah', level: 1 }).waitFor();
    await textOf(page.locator('.profile'), AMA);
    await textOf(page.locator('.stats'), '10 points');
    const events = page.getByRole('table', { name: 'Events' });
    await textOf(events, 'Free coffee issued');
    expect(await events.locator('tbody tr').count()).toBe(3);
    await textOf(events.locator('tbody tr').first(), 'purchase');
    await textOf(events.locator('tbody tr').first(), '12.50');
    const rewards = page.getByRole('table', { name: 'Rewards' });
    await textOf(rewards, 'Free coffee');
    await textOf(rewards, 'issued');
    await textOf(page.getByRole('table', { name: 'Points ledger' }), '+10');
    await expectAccessible(page, 'the customer detail');
    await screenshot(page, 'customer-detail');
  });

  it('blocks and unblocks the customer', async () => {
    await page.getByRole('button', { name: 'Block' }).click();
    await textOf(page.getByRole('status'), 'Ama Mensah is blocked');
    expect((await admin(`/customers/${amaId}`)).body.status).toBe('blocked');
    await page.getByRole('button', { name: 'Unblock' }).click();
    await textOf(page.getByRole('status'), 'Ama Mensah is active again');
    expect((await admin(`/customers/${amaId}`)).body.status).toBe('active');
  });

  it('exports the customer as a JSON file download', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export data (JSON)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^laas-customer-233241110001-\d{4}-\d{2}-\d{2}\.json$/);
    const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(file.customer.phone).toBe(AMA);
    expect(file.events).toHaveLength(3);
    await textOf(page.getByRole('status'), 'Exported to laas-customer-233241110001');
  });

  it('erases the customer only once their phone is typed', async () => {
    await page.getByRole('button', { name: 'Erase…' }).click();
    const confirm = page.locator('fieldset.confirm');
    await textOf(confirm, `Erase Ama Mensah (${AMA})?`);
    const erase = confirm.getByRole('button', { name: `Erase ${AMA}` });
    expect(await erase.isDisabled()).toBe(true);
    // The input to type into has the focus.
    await page.keyboard.type('+233241110009');
    expect(await erase.isDisabled()).toBe(true);
    await confirm.getByLabel(`Type ${AMA} to confirm`).fill(AMA);
    await erase.click();
    await page.getByRole('heading', { name: 'Erased customer', level: 1 }).waitFor();
    const after = (await admin(`/customers/${amaId}`)).body;
    expect(after.status).toBe('erased');
    expect(after.phone).toBeNull();
  });

  it('pages through the list with its cursor', async () => {
    for (let n = 0; n < 25; n++) {
      await admin('/customers', 'POST', { external_ref: `BULK-${String(n).padStart(2, '0')}` });
    }
    await page.getByRole('link', { name: '← Customers' }).click();
    await page.getByRole('heading', { name: 'Newest customers' }).waitFor();
    const rows = page.locator('main table tbody tr');
    await textOf(rows.first(), 'BULK-24');
    expect(await rows.count()).toBe(25);
    const pages = page.getByRole('navigation', { name: 'Customers pages' });
    await pages.getByRole('button', { name: 'Next' }).click();
    await textOf(pages, 'Page 2');
    await textOf(rows.first(), 'Kofi Boateng');
    // Ama, erased, is the oldest.
    await textOf(rows.nth(1), 'Erased customer');
    expect(await rows.count()).toBe(2);
    expect(await pages.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await pages.getByRole('button', { name: 'Previous' }).click();
    await textOf(rows.first(), 'BULK-24');
  });

  it('shows the API refusing a private webhook URL at the url field', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByLabel('URL').fill('https://127.0.0.1/hooks');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await textOf(page.locator('.field-error'), 'loopback');
    expect(await page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'the webhooks screen with an error');
  });
});

describeInBrowser('console: webhooks, delivered to a local receiver', () => {
  let world: ConsoleWorld;
  let page: Page;
  let hooks: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    hooks = await receiver();
    // As the worker tests do: the receiver listens on 127.0.0.1, and deliveries should be quick.
    // (`laas serve` passes its environment on; the default world refuses private URLs.)
    const saved = { ...process.env };
    process.env.LAAS_WEBHOOK_ALLOW_PRIVATE = 'true';
    process.env.LAAS_WORKER_INTERVAL_MS = '100';
    try {
      world = await startConsole();
    } finally {
      for (const name of ['LAAS_WEBHOOK_ALLOW_PRIVATE', 'LAAS_WORKER_INTERVAL_MS']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
    page = await world.page();
    await world.signIn(page, world.keys.admin);
  });
  afterAll(async () => {
    await world?.close();
    await hooks?.close();
  });

  it('creates a subscription, shows its secret once, sends a test, logs it and replays it', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('URL').fill(hooks.url);
    await page.getByLabel('customer.enrolled').check();
    await page.getByLabel('reward.issued').check();
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const secret = (await textOf(page.getByTestId('webhook-secret'), 'whsec_')).trim();
    await page.getByRole('button', { name: 'I have stored it: hide the secret' }).click();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
    const item = page.locator('li.webhook');
    await textOf(item, hooks.url);
    await textOf(item, 'customer.enrolled, reward.issued');

    await item.getByRole('button', { name: 'Send test' }).click();
    const log = item.getByRole('table', { name: `Deliveries to ${hooks.url}` });
    await textOf(log, 'delivered (HTTP 200) after 1 attempt');
    await expect.poll(() => hooks.received.length).toBe(1);
    expect(hooks.received[0]?.body).toMatchObject({ type: 'webhook.test' });

    await log.getByRole('button', { name: 'Replay' }).first().click();
    await textOf(
      item.getByRole('status').filter({ hasText: 'Replay queued' }),
      'Replay queued: webhook.test',
    );
    await expect.poll(() => hooks.received.length, { timeout: 15_000 }).toBe(2);
    await expect
      .poll(async () => await log.locator('tbody tr[data-status="delivered"]').count(), { timeout: 15_000 })
      .toBe(2);
    // A replay is the same message: the same webhook-id.
    expect(hooks.received[1]?.headers['webhook-id']).toBe(hooks.received[0]?.headers['webhook-id']);
    await log.locator('tbody tr').first().locator('summary').click();
    await textOf(log.locator('.attempts').first(), 'HTTP 200');

    // A real event: enrolling a customer is delivered too.
    await world.as('admin')('/customers', 'POST', { phone: '+233241110003' });
    await expect.poll(() => hooks.received.length, { timeout: 15_000 }).toBe(3);
    await item.getByRole('button', { name: 'Refresh' }).click();
    await textOf(log, 'customer.enrolled');

    await item.getByRole('button', { name: 'Disable' }).click();
    await textOf(item.locator('.badge').first(), 'disabled');
    await item.getByRole('button', { name: 'Enable' }).click();
    await textOf(item.locator('.badge').first(), 'active');
    await item.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await textOf(item.getByTestId('webhook-secret'), 'whsec_')).trim();
    expect(rotated).not.toBe(secret);
    await expectAccessible(page, 'the webhooks screen');
    await screenshot(page, 'webhooks');
    await item.getByRole('button', { name: 'I have stored it: hide the secret' }).click();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);

    await item.getByRole('button', { name: 'Delete…' }).click();
    await textOf(item.locator('fieldset.confirm'), `Delete the subscription to ${hooks.url}?`);
    await item.locator('fieldset.confirm').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('No subscription yet.').waitFor();
    const left = await world.as('admin')('/webhooks');
    expect(left.body.items).toEqual([]);
  });
});
