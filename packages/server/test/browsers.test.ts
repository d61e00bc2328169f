/**
 * What a browser meets: CORS (off by default; LAAS_CORS_ORIGINS lists the origins), and the API
 * reference at /docs rendered in headless Chromium with every request kept on the server's origin.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** A blank page on its own origin (another port of 127.0.0.1), from which a browser calls LaaS. */
async function startPageServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>shop</title><p>shop front</p>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

const launch = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

describe.skipIf(!chromiumAvailable && !chromiumRequired)('CORS in headless Chromium', () => {
  const env: NodeJS.ProcessEnv = {};
  let listed: Awaited<ReturnType<typeof startPageServer>>;
  let unlisted: Awaited<ReturnType<typeof startPageServer>>;
  let browser: Browser | undefined;
  beforeAll(async () => {
    listed = await startPageServer();
    unlisted = await startPageServer();
    // Read by useServer's own beforeAll, which runs after this one.
    env.LAAS_CORS_ORIGINS = listed.origin;
  });
  const server = useServer('sqlite', {}, [], env);
  afterAll(async () => {
    await browser?.close();
    await listed?.close();
    await unlisted?.close();
  });

  it('a page of a listed origin calls the API with its key and reads the answers; another origin cannot', async () => {
    expect(chromiumAvailable, `Chromium is required under CI but missing at ${CHROMIUM}`).toBe(true);
    const { id: tid, key } = await server.tenant();
    browser = await launch();
    const call = async (origin: string, token: string | null) => {
      const page = await browser!.newPage();
      await page.goto(`${origin}/`);
      return page.evaluate(
        async ({ url, token }) => {
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'idempotency-key': 'browser-1',
          };
          if (token !== null) headers.authorization = `Bearer ${token}`;
          const send = () =>
            fetch(url, { method: 'POST', headers, body: JSON.stringify({ phone: '+263771000009' }) });
          try {
            const first = await send();
            const again = await send();
            return {
              statuses: [first.status, again.status],
              requestId: first.headers.get('x-request-id'),
              replayed: again.headers.get('idempotent-replayed'),
              challenge: first.headers.get('www-authenticate'),
              body: await first.json(),
            };
          } catch (error) {
            return { failed: String(error) };
          }
        },
        { url: `${server.url}/v1/tenants/${tid}/customers`, token },
      );
    };
    const ok = await call(listed.origin, key);
    // The stored answer is replayed as it was (201), saying so in a header the page may read.
    expect(ok).toMatchObject({ statuses: [201, 201], replayed: 'true', body: { phone: '+263771000009' } });
    expect((ok as { requestId: string }).requestId).toMatch(/.+/);
    const refused = await call(listed.origin, null);
    expect(refused).toMatchObject({ statuses: [401, 401], challenge: 'Bearer realm="laas"' });
    // The browser itself refuses to hand another origin the answer (no Access-Control-Allow-Origin).
    expect(await call(unlisted.origin, key)).toEqual({ failed: 'TypeError: Failed to fetch' });
  }, 60_000);
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
      const browser = await launch();
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
