/**
 * What a browser meets: CORS (off by default; LAAS_CORS_ORIGINS lists the origins), and the API
 * reference at /docs rendered in headless Chromium with every request kept on the server's origin.
 */
import { existsSync } from 'node:fs';
import { chromium, type Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { API_ROUTES, ConfigError, parseEnv } from '../src/index.js';
import { useServer } from './harness.js';

const CHROMIUM = process.env.LAAS_CHROMIUM ?? '/usr/bin/chromium';
const chromiumAvailable = existsSync(CHROMIUM);
// Under CI (the global setup's LAAS_TEST_REQUIRED) a missing Chromium fails instead of skipping.
const chromiumRequired = process.env.LAAS_TEST_REQUIRED === '1';
if (!chromiumAvailable && !chromiumRequired) {
  console.warn(`skipping the /docs rendering test: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

const preflight = (origin: string) => ({
  Origin: origin,
  'Access-Control-Request-Method': 'POST',
  'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key',
});

describe('CORS off by default', () => {
  const server = useServer('sqlite');

  it('adds no CORS header and answers no preflight', async () => {
    const pre = await server.request('OPTIONS', '/v1/tenants', {
      token: null,
      headers: preflight('https://shop.example'),
    });
    expect(pre.status).toBe(404);
    const get = await server.request('GET', '/health', {
      token: null,
      headers: { Origin: 'https://shop.example' },
    });
    expect(get.status).toBe(200);
    for (const answer of [pre, get]) {
      expect([...answer.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('CORS with LAAS_CORS_ORIGINS', () => {
  const server = useServer('sqlite', {}, [], {
    LAAS_CORS_ORIGINS: 'https://shop.example, http://localhost:5173',
  });

  it('answers a preflight from a listed origin with 204 and the headers an API call needs', async () => {
    const { id: tid } = await server.tenant();
    const pre = await server.request('OPTIONS', `/v1/tenants/${tid}/events`, {
      token: null,
      headers: preflight('https://shop.example'),
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const allowed = (pre.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-max-age')).toBe('600');
    expect(pre.headers.get('vary')).toContain('Origin');
  });

  it('gives a listed origin the answer (errors too, with WWW-Authenticate readable), an unlisted one nothing', async () => {
    const local = await server.request('GET', '/v1/tenants/0193a000-0000-7000-8000-000000000000', {
      token: null,
      headers: { Origin: 'http://localhost:5173' },
    });
    expect(local.status).toBe(401);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(local.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'null']) {
      const pre = await server.request('OPTIONS', '/v1/tenants', { token: null, headers: preflight(origin) });
      expect(pre.headers.get('access-control-allow-origin'), origin).toBeNull();
      const get = await server.request('GET', '/health', { token: null, headers: { Origin: origin } });
      expect(get.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('refuses a value that is not a list of origins, naming the variable', () => {
    for (const bad of ['https://shop.example/path', 'shop.example', 'ftp://shop.example']) {
      expect(() => parseEnv({ LAAS_CORS_ORIGINS: bad }), bad).toThrow(ConfigError);
      expect(() => parseEnv({ LAAS_CORS_ORIGINS: bad }), bad).toThrow(/LAAS_CORS_ORIGINS/);
    }
    expect(parseEnv({ LAAS_CORS_ORIGINS: '*' }).LAAS_CORS_ORIGINS).toEqual(['*']);
    expect(parseEnv({ LAAS_CORS_ORIGINS: 'https://Shop.example:8443' }).LAAS_CORS_ORIGINS).toEqual([
      'https://shop.example:8443',
    ]);
    expect(parseEnv({}).LAAS_CORS_ORIGINS).toBeUndefined();
  });
});

describe('GET /docs', () => {
  const server = useServer('sqlite');

  it('serves the page with a same-origin Content-Security-Policy, and its files from this server', async () => {
    const page = await server.request('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(sources.sort()).toEqual([
      'docs/favicon-32x32.png',
      'docs/start.js',
      'docs/swagger-ui-bundle.js',
      'docs/swagger-ui.css',
    ]);
    for (const source of sources) {
      const file = await server.request('GET', `/${source}`, { token: null });
      expect(file.status, source).toBe(200);
      expect(file.text.length, source).toBeGreaterThan(/(start\.js|\.png)$/.test(source) ? 100 : 10_000);
    }
  });

  describe.skipIf(!chromiumAvailable && !chromiumRequired)('in headless Chromium', () => {
    it('renders every operation, and no request leaves the server’s origin', async () => {
      expect(chromiumAvailable, `Chromium is required under CI but missing at ${CHROMIUM}`).toBe(true);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const requests: string[] = [];
        page.on('request', (request: Request) => requests.push(request.url()));
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));
        const origin = new URL(server.url).origin;
        await page.goto(`${server.url}/docs`);
        // Swagger UI lists each operation with its operationId once /openapi.json is read.
        await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
        const shown = await page.locator('.opblock-summary-operation-id').allTextContents();
        for (const id of [
          'ingestEvent',
          'createCustomer',
          'redeemIssuance',
          'health',
          ...API_ROUTES.map((r) => r.operationId),
        ]) {
          expect(shown, `${id} is not on the page`).toContain(id);
        }
        expect(await page.locator('.info .title').first().textContent()).toContain('LaaS API');
        const screenshot = process.env.LAAS_DOCS_SCREENSHOT;
        if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
        expect(requests.length).toBeGreaterThanOrEqual(4);
        expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
        expect(requests).toContain(`${origin}/openapi.json`);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 60_000);
  });
});
