import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { laas } from './helpers.js';

/**
 * `@laas/adapters-pg` is an optional peer dependency of the CLI and the server. Here the built
 * `laas` runs with a module hook that makes it unresolvable, as in an install without it (Node's
 * own error: ERR_MODULE_NOT_FOUND, "Cannot find package ..."). scripts/check-packages.mjs checks
 * the same from real npm installs of the packed tarballs.
 */
const dir = mkdtempSync(join(tmpdir(), 'laas-no-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'hooks.mjs'),
  `export async function resolve(specifier, context, next) {
  if (specifier === '@laas/adapters-pg' || specifier.startsWith('@laas/adapters-pg/')) {
    const error = new Error(\`Cannot find package '\${specifier}' imported from \${context.parentURL}\`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
);
const withoutPg = ['--import', join(dir, 'register.mjs')];
const MESSAGE =
  'PostgreSQL support (a postgres:// database URL) needs the package @laas/adapters-pg, which is not installed. Install it: npm install @laas/adapters-pg';
const URL = 'postgres://laas@127.0.0.1:1/laas';

describe('laas without @laas/adapters-pg installed', () => {
  it('laas serve on a postgres:// URL exits 1 with one line naming the package', async () => {
    const run = await laas(['serve', '--port', '0', '--db', URL], {
      nodeArgs: withoutPg,
      env: { LAAS_ADMIN_TOKEN: 'a'.repeat(32), LAAS_WORKER: 'off' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`laas: ${MESSAGE}`);
  });

  it('laas migrate on a postgres:// URL exits 1 naming the package', async () => {
    const run = await laas(['migrate', '--db', URL], { nodeArgs: withoutPg });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(MESSAGE);
  });

  it('a SQLite database still opens (laas migrate): the PostgreSQL adapter is never loaded for it', async () => {
    // --version would not open a store; `migrate` on a SQLite file does, through the server's openStore.
    const db = join(dir, 'laas.sqlite');
    const run = await laas(['migrate', '--db', db], { nodeArgs: withoutPg });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`migrated ${db}`);
  });
});
