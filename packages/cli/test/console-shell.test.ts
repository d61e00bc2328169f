/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type ConsoleWorld,
  describeInBrowser,
  expectAccessible,
  screenshot,
  startConsole,
  textOf,
} from './console-harness.js';

describeInBrowser('console: sign-in, roles, the platform admin', () => {
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await startConsole();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is served by the server itself: index.html with a strict CSP, hashed assets cached, no CDN', async () => {
    const redirect = await fetch(`${world.server.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    const index = await fetch(`${world.server.url}/console/customers/anything`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(0);
    for (const url of assets) {
      if (url.startsWith('data:')) continue;
      expect(url.startsWith('/console/assets/'), url).toBe(true);
      const asset = await fetch(`${world.server.url}${url}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
    }
    expect((await fetch(`${world.server.url}/console/assets/missing.js`)).status).toBe(404);
  });

  it('refuses a wrong key with the API message and keeps the key out of the URL and localStorage', async () => {
    const page = await world.page();
    await page.goto(`${world.server.url}/console/`);
    await expectAccessible(page, 'the sign-in screen');
    await page.getByLabel('API key or platform admin token').fill('laas_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.getByRole('alert'), 'AUTHENTICATION_ERROR');
    await screenshot(page, 'sign-in-refused');
    await page.getByLabel('API key or platform admin token').fill(world.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(page.url()).not.toContain(world.keys.admin);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('laas_');
    expect(await page.evaluate(() => sessionStorage.getItem('laas.console.session'))).toContain(
      world.keys.admin,
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.context().close();
  });

  it('shows each role the screens its key may use', async () => {
    const menus: Record<string, string[]> = {};
    for (const role of ['admin', 'manager', 'pos', 'viewer'] as const) {
      const page = await world.page();
      await world.signIn(page, world.keys[role]);
      menus[role] = await page
        .getByRole('navigation', { name: 'Console' })
        .getByRole('link')
        .allTextContents();
      await page.context().close();
    }
    expect(menus.admin).toEqual([
      'Performance',
      'Counter',
      'Customers',
      'Rewards',
      'Budgets',
      'Campaigns',
      'Rules',
      'Webhooks',
    ]);
    expect(menus.manager).toEqual(['Performance', 'Customers', 'Rewards', 'Budgets', 'Campaigns', 'Rules']);
    expect(menus.pos).toEqual(['Counter', 'Customers']);
    expect(menus.viewer).toEqual(['Performance', 'Customers', 'Rewards', 'Budgets', 'Campaigns', 'Rules']);
  });

  it('lets the platform admin create a tenant with its first key, then sign in with that key', async () => {
    const page = await world.page();
    await world.signIn(page, ADMIN_TOKEN);
    await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();
    await expectAccessible(page, 'the tenants screen');
    await page.getByLabel('Name').fill('Ama Bakery');
    await page.getByLabel('Time zone').fill('Not/AZone');
    await page.getByLabel('Currency').fill('GHS');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    // The API's message appears at its field.
    await page.locator('input[aria-invalid="true"]').waitFor();
    expect(await page.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Time zone').fill('Africa/Accra');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const key = (await page.getByTestId('new-key').textContent()) ?? '';
    expect(key).toMatch(/^laas_/);
    await screenshot(page, 'tenants');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await world.signIn(page, key);
    await textOf(page.getByRole('banner'), 'Ama Bakery');
    await textOf(page.getByRole('banner'), 'admin key');
    await page.context().close();
  });
});
