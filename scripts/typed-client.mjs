#!/usr/bin/env node
// The typed client check (run by .ci/run after the build): writes the server's OpenAPI document
// (from the built @laas/server, over an in-memory store), generates TypeScript types from it with
// openapi-typescript, and compiles scripts/typed-client/example.ts, an openapi-fetch client,
// under `tsc --strict`. Fails when the document cannot be typed or the example stops compiling.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'scripts', 'typed-client');
const generated = join(dir, 'generated');
const load = (pkg) => import(pathToFileURL(join(root, 'packages', pkg, 'dist', 'index.js')).href);

const { createEngine, memoryStore } = await load('core');
const { createServer } = await load('server');
const { default: pino } = await import(
  pathToFileURL(join(root, 'packages', 'server', 'node_modules', 'pino', 'pino.js')).href
);
const store = memoryStore();
const app = createServer({
  engine: createEngine({ store }),
  store,
  config: { logger: pino({ level: 'silent' }) },
});
const document = await (await app.request('/openapi.json')).json();
await store.close();

const { default: openapiTS, astToString } = await import('openapi-typescript');
const types = astToString(await openapiTS(document));
mkdirSync(generated, { recursive: true });
writeFileSync(join(generated, 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
writeFileSync(join(generated, 'laas-api.d.ts'), types);
const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
console.log(`typed client: ${operations} operations, ${types.split('\n').length} lines of types`);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
console.log('typed client: scripts/typed-client/example.ts compiles under tsc --strict');
