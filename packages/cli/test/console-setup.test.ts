/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConsoleWorld,
  describeInBrowser,
  expectAccessible,
  screenshot,
  startConsole,
  type TenantApi,
  textOf,
} from './console-harness.js';

/** The programme set-up screens: rewards, budgets, campaigns and the rule editor, as a manager and a viewer. */
describeInBrowser('console: the programme set-up screens', () => {
  let world: ConsoleWorld;
  let page: Page;
  const tenantApi: TenantApi = (...call) => world.as('manager')(...call);

  beforeAll(async () => {
    world = await startConsole();
    page = await world.page();
    await world.signIn(page, world.keys.manager);
  });
  afterAll(async () => {
    await world?.close();
  });

  const open = async (screen: string) => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: screen }).click();
    await page.getByRole('heading', { name: screen, exact: true, level: 1 }).waitFor();
  };

  it('creates rewards (the API’s error at its field first) and uploads voucher codes', async () => {
    await open('Rewards');
    await page.getByRole('button', { name: 'New reward' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Ten percent off');
    await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Percent off' });
    await page.getByLabel('Value (percent off)').fill('150');
    await page.getByRole('button', { name: 'Create reward' }).click();
    await textOf(page.locator('.field-error'), 'a percentage discount is at most 100');
    expect(await page.getByLabel('Value (percent off)').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Value (percent off)').fill('10');
    await page.getByRole('button', { name: 'Create reward' }).click();
    const catalog = page.getByRole('table');
    await textOf(catalog, 'Ten percent off');
    await textOf(catalog, '10%');

    await page.getByRole('button', { name: 'New reward' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Cake voucher');
    await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Voucher code' });
    await page.getByLabel('Cost (GHS)').fill('2.50');
    await page.getByLabel('Validity').fill('30d');
    await page.getByRole('button', { name: 'Create reward' }).click();
    await textOf(catalog, 'Cake voucher');
    const cost = new Intl.NumberFormat('en', { style: 'currency', currency: 'GHS' }).format(2.5);
    await textOf(page.getByRole('row', { name: /Cake voucher/ }), cost);

    await page.getByRole('button', { name: 'Voucher codes of Cake voucher' }).click();
    await textOf(page.getByTestId('code-counts'), '0 available');
    await page.getByLabel('Codes, one per line').fill('CAKE-1\nCAKE-2\n\nCAKE-2\nCAKE-3\n');
    await textOf(page.getByText(/codes to upload/), '3 codes to upload; 1 repeated');
    await page.getByRole('button', { name: 'Upload codes' }).click();
    await textOf(page.getByTestId('codes-added'), 'Added 3');
    await textOf(page.getByTestId('codes-duplicates'), '0 already in the pool');
    await textOf(page.getByTestId('code-counts'), '3 available, 0 used');
    // A file (its first column, a header skipped) with one code already in the pool.
    await page.getByLabel('Codes file').setInputFiles({
      name: 'codes.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('code,batch\nCAKE-3,1\nCAKE-4,1\n'),
    });
    await textOf(page.getByText(/codes to upload/), '2 codes to upload');
    await page.getByRole('button', { name: 'Upload codes' }).click();
    await textOf(page.getByTestId('codes-added'), 'Added 1');
    await textOf(page.getByTestId('codes-duplicates'), '1 already in the pool: CAKE-3');
    await textOf(page.getByTestId('code-counts'), '4 available, 0 used');

    await page.getByRole('button', { name: 'Deactivate Ten percent off' }).click();
    await textOf(page.getByRole('row', { name: /Ten percent off/ }), 'inactive');
    await page.getByRole('button', { name: 'Activate Ten percent off' }).click();
    await textOf(page.getByRole('row', { name: /Ten percent off/ }), 'active');
    await expectAccessible(page, 'the rewards screen');
    await screenshot(page, 'setup-rewards');

    const stored = (await tenantApi('/rewards')).body.items as Array<Record<string, unknown>>;
    expect(stored.find((r) => r.name === 'Cake voucher')).toMatchObject({
      type: 'voucher',
      cost: 250,
      validity: '30d',
    });
  });

  it('creates a budget with its limit as money, tops it up and shows the current period', async () => {
    await open('Budgets');
    await page.getByRole('button', { name: 'New budget' }).click();
    await page.getByLabel('Name', { exact: true }).fill('December promos');
    await page.getByLabel('Limit per period (GHS)').fill('50.0001');
    await page.getByRole('button', { name: 'Create budget' }).click();
    await textOf(page.locator('.field-error'), 'enter an amount in GHS');
    await page.getByLabel('Limit per period (GHS)').fill('50.00');
    await page.getByLabel('Alert at (% of the limit)').fill('75');
    await page.getByRole('button', { name: 'Create budget' }).click();
    const money = (n: number) =>
      new Intl.NumberFormat('en', { style: 'currency', currency: 'GHS' }).format(n);
    const row = page.getByRole('row', { name: /December promos/ });
    await textOf(row, money(50));
    await textOf(row, 'alert at 75%');
    await textOf(row, 'nothing committed');
    await page.getByRole('button', { name: 'Top up December promos' }).click();
    await page.getByLabel('Amount (GHS)').fill('10.00');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await textOf(page.getByRole('status'), `is now ${money(60)}`);
    await textOf(row.getByTestId('period'), 'Reserved');
    await textOf(row.getByTestId('period'), money(60));
    await expectAccessible(page, 'the budgets screen');
    await screenshot(page, 'setup-budgets');
    const stored = (await tenantApi('/budgets')).body.items[0];
    expect(stored).toMatchObject({ name: 'December promos', unit: 'GHS', limit: 5000, soft_cap_ratio: 0.75 });
  });

  it('creates a campaign and moves it through activate, pause and end', async () => {
    await open('Campaigns');
    await page.getByRole('button', { name: 'New campaign' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Harmattan');
    await page.getByLabel('Starts').fill('2026-12-01T08:00');
    await page.getByLabel('Ends').fill('2026-11-01T08:00');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await textOf(page.locator('.field-error'), 'ends_at must be after starts_at');
    expect(await page.getByLabel('Ends').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Ends').fill('2027-01-31T20:00');
    await page.getByLabel('Budget').selectOption({ label: 'December promos' });
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const row = page.getByRole('row', { name: /Harmattan/ });
    const state = row.getByTestId('campaign-state');
    await textOf(state, 'draft');
    await textOf(row, 'December promos');
    await textOf(row, '1 Dec 2026, 08:00');
    await page.getByRole('button', { name: 'Activate Harmattan' }).click();
    await textOf(state, 'active');
    await page.getByRole('button', { name: 'Pause Harmattan' }).click();
    await textOf(state, 'paused');
    await expectAccessible(page, 'the campaigns screen');
    await screenshot(page, 'setup-campaigns');
    await page.getByRole('button', { name: 'End Harmattan' }).click();
    await textOf(state, 'ended');
    expect(await row.getByRole('button').count()).toBe(0);
    const stored = (await tenantApi('/campaigns')).body.items[0];
    expect(stored).toMatchObject({
      name: 'Harmattan',
      status: 'ended',
      starts_at: '2026-12-01T08:00:00.000Z',
    });
  });

  it('writes a rule in the editor: live warnings with "did you mean", the picker, Try it, save', async () => {
    await open('Rules');
    await textOf(page.getByRole('main'), 'No rules yet');
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Big spenders');
    await page.getByLabel('Event types').fill('');
    await page.getByLabel('Reward', { exact: true }).selectOption({ label: 'Cake voucher' });
    const condition = page.getByLabel('Condition (JsonLogic)');
    const problems = page.getByTestId('rule-condition-problems');

    // A syntax error is shown with its line, before any call to the API.
    await condition.fill('{\n  ">=": [\n    {"var": "event.amount"}\n    2000\n  ]\n}');
    await textOf(problems, 'Line 4 error');
    await textOf(problems, 'JSON syntax: expected "," or "]"');

    // A misspelt variable: the API's warning at its line and path, with its suggestion.
    await condition.fill(
      '{\n  "and": [\n    { ">=": [{ "var": "event.ammount" }, 2000] },\n    { "==": [null, "GHS"] }\n  ]\n}',
    );
    await textOf(problems, 'Line 3 warning');
    await textOf(problems, 'did you mean event.amount?');
    await textOf(problems, '$.and[0][">="][0].var');
    await expectAccessible(page, 'the rule editor with a warning');
    await page.getByRole('button', { name: 'Use event.amount' }).click();
    await textOf(page.getByTestId('validation-state'), 'The logic is valid.');

    // The picker inserts {"var": ...} at the cursor (here: over the selected `null`).
    await condition.evaluate((el: HTMLTextAreaElement) => {
      const at = el.value.indexOf('null');
      el.focus();
      el.setSelectionRange(at, at + 4);
    });
    await page.getByLabel('Filter variables').fill('curr');
    await page.getByRole('button', { name: 'Insert event.currency' }).click();
    const expected = {
      and: [{ '>=': [{ var: 'event.amount' }, 2000] }, { '==': [{ var: 'event.currency' }, 'GHS'] }],
    };
    expect(JSON.parse(await condition.inputValue())).toEqual(expected);
    await textOf(page.getByTestId('validation-state'), 'The logic is valid.');

    // Try it against the sample purchase (25.00 GHS): the explain tree, node by node.
    await page.getByRole('button', { name: 'Try it', exact: true }).click();
    await textOf(page.getByTestId('try-result'), 'matched');
    const tree = page.getByRole('list', { name: 'Condition evaluation' });
    await textOf(tree, 'and');
    const treeText = await textOf(tree, 'event.amount');
    expect(treeText).toContain('2500');
    expect(treeText).toContain('passed');
    expect(await tree.locator('li').count()).toBeGreaterThanOrEqual(5);

    await expectAccessible(page, 'the rule editor with the tree');
    await screenshot(page, 'setup-rule-editor');

    // Saving without event types: the API's message at that field.
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByLabel('Event types').and(page.locator('[aria-invalid="true"]')).waitFor();
    await page.getByLabel('Event types').fill('purchase');
    await page.getByRole('button', { name: 'Add a cap' }).click();
    await page.getByLabel('Cap 1: at most').fill('2');
    await page.getByLabel('Cap 1: window').selectOption('week');
    await expectAccessible(page, 'the rule editor with a cap and an error at its field');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { name: 'Big spenders' }).waitFor();
    await textOf(page.getByRole('status'), 'Saved');

    const rules = (await tenantApi('/rules')).body.items as Array<Record<string, unknown>>;
    expect(rules).toHaveLength(1);
    const stored = rules[0] as Record<string, unknown>;
    expect(stored.condition).toEqual(expected);
    expect(stored).toMatchObject({
      name: 'Big spenders',
      event_types: ['purchase'],
      quantity: 1,
      caps: [{ scope: 'customer', max: 2, window: 'week' }],
      active: true,
      version: 1,
    });
    expect(page.url()).toContain(`/console/rules/${stored.id}`);
  });

  it('shows a conflict when the rule changed elsewhere, then pauses and deletes it', async () => {
    const id = ((await tenantApi('/rules')).body.items[0] as { id: string }).id;
    const moved = await tenantApi(`/rules/${id}`, 'PATCH', { priority: 5 });
    expect(moved.body.version).toBe(2);
    await page.getByLabel('Name', { exact: true }).fill('Big spenders (edited)');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await textOf(page.getByRole('alert'), 'this rule was changed elsewhere');
    await page.getByRole('button', { name: 'Reload the rule' }).click();
    // The form starts again from the stored version 2 (the conflict's own message names it too).
    await page.locator('.conflict').waitFor({ state: 'detached' });
    await textOf(page.getByRole('main'), 'active version 2');
    expect(await page.getByLabel('Priority', { exact: true }).inputValue()).toBe('5');

    await page.getByRole('button', { name: 'Pause rule' }).click();
    await page.getByRole('button', { name: 'Activate rule' }).waitFor();
    expect((await tenantApi(`/rules/${id}`)).body.active).toBe(false);

    await page.getByRole('link', { name: '← All rules' }).click();
    const row = page.getByRole('row', { name: /Big spenders/ });
    await textOf(row, 'inactive');
    await textOf(row, 'Cake voucher');
    await textOf(row, 'purchase');
    await expectAccessible(page, 'the rules list');
    await screenshot(page, 'setup-rules-list');

    await row.getByRole('link').click();
    await page.getByRole('button', { name: 'Delete rule' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await textOf(page.getByRole('main'), 'No rules yet');
    expect((await tenantApi('/rules')).body.items).toHaveLength(0);
  });

  it('shows a viewer every set-up screen without a way to change it', async () => {
    // A rule for the viewer to open.
    const rewards = (await tenantApi('/rewards')).body.items as Array<{ id: string }>;
    const created = await tenantApi('/rules', 'POST', {
      name: 'Every visit',
      event_types: ['visit'],
      reward_id: rewards[0]?.id,
    });
    expect(created.status).toBe(201);
    const viewer = await world.page();
    await world.signIn(viewer, world.keys.viewer);
    const edits = /^(New|Edit|Activate|Deactivate|Top up|Pause|End|Upload|Create|Save|Delete|Add a cap)/;
    for (const screen of ['Rewards', 'Budgets', 'Campaigns', 'Rules']) {
      await viewer.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: screen }).click();
      await viewer.getByRole('heading', { name: screen, exact: true, level: 1 }).waitFor();
      await viewer.getByRole('table').waitFor();
      expect(await viewer.getByRole('button', { name: edits }).count(), screen).toBe(0);
      expect(await viewer.getByRole('link', { name: 'New rule' }).count()).toBe(0);
    }
    await viewer.getByRole('link', { name: 'Every visit' }).click();
    await viewer.getByRole('heading', { name: 'Every visit' }).waitFor();
    expect(await viewer.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: edits }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Try it' }).count()).toBe(0);
    await expectAccessible(viewer, 'the rule as a viewer sees it');
    await viewer.context().close();
  });
});
