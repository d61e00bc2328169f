/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { api, ROOT, type Served, serve } from './helpers.js';

/**
 * What the console's end-to-end tests share: `laas serve` on a fresh SQLite file with a known
 * platform token, a headless Chromium (the apt one, driven by playwright-core), a tenant with one
 * key per role, an accessibility check (axe-core) and screenshots into test-output/console/.
 */
export const CHROMIUM = process.env.LAAS_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
/** Under CI (the global setup's LAAS_TEST_REQUIRED) a missing Chromium fails instead of skipping. */
export const chromiumRequired = process.env.LAAS_TEST_REQUIRED === '1';
if (!chromiumAvailable && !chromiumRequired) {
  console.warn(`skipping the console browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
/** `describe` for browser tests: skipped (with the warning above) only where Chromium is missing and CI is not. */
export const describeInBrowser: ReturnType<typeof describe.skipIf> = describe.skipIf(
  !chromiumAvailable && !chromiumRequired,
);
export const SCREENSHOTS = join(ROOT, 'test-output/console');
export const ADMIN_TOKEN = 'console-e2e-admin-token-0123456789abcdef';

export type Role = 'admin' | 'manager' | 'pos' | 'viewer';

/** A call to the tenant's API (`/v1/tenants/<id><path>`) with one role's key. */
export type TenantApi = (
  path: string,
  method?: string,
  body?: unknown,
  headers?: Record<string, string>,
) => ReturnType<typeof api>;

export interface ConsoleWorld {
  server: Served;
  browser: Browser;
  tenantId: string;
  keys: Record<Role, string>;
  /** The tenant's API with `role`'s key, for what a test sets up or checks behind the page. */
  as(role: Role): TenantApi;
  /** A fresh page at 1280×800 (or `mobile`: 390×844, a phone) with CSP bypassed for axe only. */
  page(options?: { mobile?: boolean }): Promise<Page>;
  /** Opens /console/, signs in with `token` and waits for the shell. */
  signIn(page: Page, token: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(
  tenant: { name: string; timezone: string; currency: string } = {
    name: 'Kofi Coffee',
    timezone: 'Africa/Accra',
    currency: 'GHS',
  },
): Promise<ConsoleWorld> {
  expect(chromiumAvailable, `Chromium is required under CI but missing at ${CHROMIUM}`).toBe(true);
  const dir = mkdtempSync(join(tmpdir(), 'laas-console-'));
  const server = await serve(['--db', join(dir, 'laas.sqlite'), '--port', '0'], {
    env: { LAAS_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  const created = await api(`${server.url}/v1/tenants`, ADMIN_TOKEN, 'POST', {
    name: tenant.name,
    timezone: tenant.timezone,
    settings: { currency: tenant.currency },
  });
  const tenantId = created.body.id as string;
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'manager', 'pos', 'viewer'] as const) {
    const k = await api(`${server.url}/v1/tenants/${tenantId}/api-keys`, ADMIN_TOKEN, 'POST', {
      name: `${role} key`,
      role,
    });
    keys[role] = k.body.key;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    server,
    browser,
    tenantId,
    keys,
    as:
      (role) =>
      (path, method = 'GET', body, headers) =>
        api(`${server.url}/v1/tenants/${tenantId}${path}`, keys[role], method, body, headers),
    async page(options = {}) {
      const context = await browser.newContext({
        viewport: options.mobile ? { width: 390, height: 844 } : { width: 1280, height: 800 },
        // axe-core is injected as a script; the console's own CSP would refuse it.
        bypassCSP: true,
      });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (error) => {
        throw error;
      });
      return page;
    },
    async signIn(page, token) {
      await page.goto(`${server.url}/console/`);
      await page.getByLabel('API key or platform admin token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    async close() {
      await browser.close();
      await server.stop();
    },
  };
}

/**
 * The README's tour, made through the API: a free coffee every 2nd visit, and a points reward (10
 * a unit) issued for each purchase by the rule named `pointsRule`.
 */
export async function addCoffeeProgramme(admin: TenantApi, pointsRule: string): Promise<void> {
  const coffee = await admin('/rewards', 'POST', { name: 'Free coffee', type: 'item' });
  await admin('/rules', 'POST', {
    name: 'Every 2nd visit',
    event_types: ['visit'],
    reward_id: coffee.body.id,
    condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 2] }, 0] },
  });
  const points = await admin('/rewards', 'POST', { name: 'Coffee points', type: 'points', value: 10 });
  await admin('/rules', 'POST', { name: pointsRule, event_types: ['purchase'], reward_id: points.body.id });
}

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Runs axe-core (WCAG 2 A and AA rules) on the page as it is now and fails with each violation's
 * rule, impact and the elements it names.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.addScriptTag({ path: axeSource });
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is the injected global
    const axe = (window as any).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations.map(
      (v: { id: string; impact: string; help: string; nodes: { target: string[] }[] }) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }),
    );
  });
  expect(violations, `accessibility violations on ${what}`).toEqual([]);
}

/** Saves a full-page screenshot as test-output/console/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The text of `locator` once it contains `text` (playwright-core has no `expect`: this polls, up to
 * the page's timeout, and fails with what the element said last).
 */
export async function textOf(locator: Locator, text: string | RegExp): Promise<string> {
  let last = '';
  await expect
    .poll(
      async () => {
        last =
          (await locator
            .first()
            .textContent({ timeout: 1000 })
            .catch(() => null)) ?? '';
        return typeof text === 'string' ? last.includes(text) : text.test(last);
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(true);
  return last;
}
