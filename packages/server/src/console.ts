import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, sep } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { AppEnv } from './app.js';

/**
 * `GET /console`: the merchant console, the static files of `@laas/console` (a React app built by
 * Vite). Every file is read once at start-up into memory and served from there: only files that
 * exist in the build can be asked for (no path from the URL ever reaches the file system), and
 * any other path under /console answers index.html so the app's own routes survive a reload.
 * The app talks only to this server's public API; its Content-Security-Policy says so.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

interface File {
  readonly type: string;
  readonly bytes: Uint8Array;
}

/** The built console's files by URL path below /console/, or null when it is not installed or built. */
function loadConsole(logger: Logger): Map<string, File> | null {
  let dir: string;
  try {
    const require = createRequire(import.meta.url);
    dir = (require('@laas/console') as { consoleDir: string }).consoleDir;
    statSync(join(dir, 'index.html'));
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      '@laas/console is not installed or not built: /console is unavailable',
    );
    return null;
  }
  const files = new Map<string, File>();
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    files.set(name.split(sep).join('/'), {
      type: TYPES[extname(name)] ?? 'application/octet-stream',
      bytes: new Uint8Array(readFileSync(path)),
    });
  }
  return files;
}

export function consoleRoutes(app: OpenAPIHono<AppEnv>, logger: Logger): void {
  const files = loadConsole(logger);
  const index = files?.get('index.html');

  app.get('/console', (c) => {
    c.set('route', '/console');
    // Relative asset URLs need the trailing slash (and keep working under a proxy's prefix).
    return c.redirect(`${c.req.path}/`, 308);
  });
  app.get('/console/*', (c) => {
    const name = c.req.path.slice(c.req.path.indexOf('/console/') + '/console/'.length);
    const asset = files?.get(name);
    c.set('route', asset !== undefined && name.startsWith('assets/') ? '/console/assets/*' : '/console/*');
    if (files === null || index === undefined) {
      return c.text(
        'The console needs the npm package @laas/console, built; it is not installed here.\n',
        503,
      );
    }
    if (asset !== undefined && name !== 'index.html') {
      // Vite names assets by content hash: a changed file is a new URL, so they never go stale.
      const cache = name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return new Response(asset.bytes as unknown as ConstructorParameters<typeof Response>[0], {
        headers: { 'Content-Type': asset.type, 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' },
      });
    }
    if (name.startsWith('assets/')) return c.text('Not found\n', 404);
    return new Response(index.bytes as unknown as ConstructorParameters<typeof Response>[0], {
      headers: {
        'Content-Type': index.type,
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': CONSOLE_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      },
    });
  });
}
