import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The CommonJS build of `@laas/core/testing` must use the CommonJS build of `@laas/core`, not a
 * copy of it bundled in: with a copy, an error thrown by the engine is not `instanceof` the
 * `LaasError` a test imports from `@laas/core`. The dist is built by vitest's global setup
 * (vitest.build.ts) when it is missing or stale.
 */
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

/**
 * Runs in a plain `node` (vitest's workers resolve `@laas/*` to the TypeScript sources through the
 * "@laas/source" condition, a published install does not). Vitest refuses to be require()d (its
 * CommonJS entry throws by design), so the testing entry's `require("vitest")` gets a stand-in:
 * what is checked is which core the entry is wired to.
 */
const SCRIPT = `
const Module = require('node:module');
const vitestPath = require.resolve('vitest', { paths: [${JSON.stringify(dist('testing'))}] });
const stub = new Module(vitestPath);
stub.filename = vitestPath;
stub.loaded = true;
stub.exports = new Proxy({}, { get: (_t, name) => (name === '__esModule' ? undefined : () => {}) });
require.cache[vitestPath] = stub;
const core = require(${JSON.stringify(dist('index.cjs'))});
const testing = require(${JSON.stringify(dist('testing/index.cjs'))});
// setup() makes its engine with the testing entry's createEngine: a tenant in a time zone that
// does not exist is refused by that engine with a ValidationError.
testing.setup(core.memoryStore(), { timezone: 'Not/A_Zone' }).then(
  () => console.log(JSON.stringify({ thrown: false })),
  (error) => console.log(JSON.stringify({
    thrown: true,
    name: error.name,
    code: error.code,
    laasError: error instanceof core.LaasError,
    validationError: error instanceof core.ValidationError,
    conformance: typeof testing.runStoreConformance,
  })),
);
`;

describe('the CommonJS build of @laas/core/testing', () => {
  it('throws errors that are instanceof the LaasError of dist/index.cjs', () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const out = execFileSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8', env });
    expect(JSON.parse(out)).toEqual({
      thrown: true,
      name: 'ValidationError',
      code: 'VALIDATION_ERROR',
      laasError: true,
      validationError: true,
      conformance: 'function',
    });
  });

  it('defines no error class of the core itself, and requires the shared chunk', () => {
    const source = readFileSync(dist('testing/index.cjs'), 'utf8');
    for (const name of ['LaasError', 'ValidationError', 'NotFoundError', 'StateConflictError']) {
      expect(source).not.toMatch(new RegExp(`\\b(?:var|let|const|class) ${name}\\b`));
    }
    expect(source).toMatch(/require\((["'])\.\.\/chunk-[^"']+\.cjs\1\)/);
  });
});
