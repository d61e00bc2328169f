import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { AppEnv } from './app.js';

/**
 * `GET /docs`: the API reference, rendered in the browser by Swagger UI from `/openapi.json`.
 * Every file comes from this server: the script and style sheet of the npm package
 * `swagger-ui-dist` (found beside this package at start-up, read once), and a small start script.
 * Nothing is fetched from elsewhere (no CDN, no web font, no validator badge); the page's
 * Content-Security-Policy says so to the browser as well.
 */

/** The Content-Security-Policy of the page: its own origin only (Swagger UI sets inline styles). */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LaaS API reference</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
`;

// The document lives beside /docs (a reverse proxy may mount the server under a prefix).
const START = `(function () {
  var base = window.location.pathname.replace(/\\/docs\\/?$/, '');
  window.ui = SwaggerUIBundle({
    url: base + '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayOperationId: true,
    docExpansion: 'list',
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
})();
`;

interface Asset {
  readonly type: string;
  readonly body: () => string | Uint8Array;
}

/** The directory of the installed `swagger-ui-dist`, or null (then `/docs` answers 503). */
function swaggerUiDir(logger: Logger): string | null {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve('swagger-ui-dist/package.json'));
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'swagger-ui-dist is not installed: /docs is unavailable',
    );
    return null;
  }
}

function once<T>(read: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= read();
    return value;
  };
}

/** Mounts `/docs` and its four files (not API operations: they are not in `/openapi.json`). */
export function docsRoutes(app: OpenAPIHono<AppEnv>, logger: Logger): void {
  const dir = swaggerUiDir(logger);
  const fromPackage = (file: string) => once(() => readFileSync(join(dir ?? '', file), 'utf8'));
  const assets: Record<string, Asset> = {
    'swagger-ui.css': { type: 'text/css; charset=utf-8', body: fromPackage('swagger-ui.css') },
    'swagger-ui-bundle.js': {
      type: 'text/javascript; charset=utf-8',
      // The source map is not served: drop the comment that would make a browser's tools ask for it.
      body: once(() =>
        fromPackage('swagger-ui-bundle.js')().replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
      ),
    },
    'start.js': { type: 'text/javascript; charset=utf-8', body: () => START },
    'favicon-32x32.png': {
      type: 'image/png',
      body: once(() => new Uint8Array(readFileSync(join(dir ?? '', 'favicon-32x32.png')))),
    },
  };
  const unavailable = () =>
    new Response('The API reference needs the npm package swagger-ui-dist, which is not installed.\n', {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });

  app.get('/docs', (c) => {
    c.set('route', '/docs');
    if (dir === null) return unavailable();
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('Cache-Control', 'no-cache');
    // Relative links (docs/...): they resolve the same behind a reverse proxy's path prefix.
    return c.html(PAGE);
  });
  for (const [file, asset] of Object.entries(assets)) {
    app.get(`/docs/${file}`, (c) => {
      c.set('route', `/docs/${file}`);
      if (dir === null) return unavailable();
      return new Response(asset.body() as ConstructorParameters<typeof Response>[0], {
        headers: { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' },
      });
    });
  }
}
