import { execFileSync } from 'node:child_process';
import type { PgStoreOptions } from '@laas/adapters-pg';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ADAPTER_PACKAGES,
  AdapterMissingError,
  type DatabaseKind,
  importAdapter,
  missingPackageOf,
} from '../src/adapters.js';
import type { PgPoolOptions } from '../src/index.js';

/**
 * The error this Node gives for a package that is not installed, from `import` or `require` run
 * in a child process (outside vitest's module loader, as in production), with the message's
 * package name replaced by `name`.
 */
function nodeNotFoundError(name: string, via: 'import' | 'require'): Error {
  const probe = '@laas/not-installed-anywhere';
  const code =
    via === 'import'
      ? `import(${JSON.stringify(probe)}).catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`
      : `try { require(${JSON.stringify(probe)}) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`;
  const out = execFileSync(
    process.execPath,
    ['--input-type', via === 'import' ? 'module' : 'commonjs', '-e', code],
    { encoding: 'utf8', cwd: '/' },
  );
  const { code: errorCode, message } = JSON.parse(out) as { code: string; message: string };
  return Object.assign(new Error(message.replaceAll(probe, name)), { code: errorCode });
}

const failingWith = (error: unknown) => () => Promise.reject(error);

describe('importAdapter: the storage adapters are optional peer dependencies', () => {
  for (const via of ['import', 'require'] as const) {
    for (const kind of ['postgres', 'sqlite'] as DatabaseKind[]) {
      const { adapter } = ADAPTER_PACKAGES[kind];
      it(`names ${adapter} and how to install it when ${via} cannot find it`, async () => {
        const cause = nodeNotFoundError(adapter, via);
        expect(missingPackageOf(cause)).toBe(adapter);
        const error = await importAdapter(kind, failingWith(cause)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AdapterMissingError);
        const missing = error as AdapterMissingError;
        expect(missing.name).toBe('AdapterMissingError');
        expect(missing.kind).toBe(kind);
        expect(missing.packageName).toBe(adapter);
        expect(missing.cause).toBe(cause);
        expect(missing.message).toContain(`npm install ${adapter}`);
        expect(missing.message).toContain(kind === 'postgres' ? 'PostgreSQL support' : 'SQLite support');
      });
    }
  }

  it('gives the exact message a PostgreSQL URL without @laas/adapters-pg shows', async () => {
    const error = await importAdapter(
      'postgres',
      failingWith(nodeNotFoundError('@laas/adapters-pg', 'import')),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'PostgreSQL support (a postgres:// database URL) needs the package @laas/adapters-pg, which is not installed. Install it: npm install @laas/adapters-pg',
    );
  });

  it("names the adapter's driver when the adapter is installed but its driver is not", async () => {
    const cause = Object.assign(
      new Error("Cannot find package 'pg' imported from /app/node_modules/@laas/adapters-pg/dist/index.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const error = (await importAdapter('postgres', failingWith(cause)).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(AdapterMissingError);
    expect(error.message).toBe(
      'PostgreSQL support (a postgres:// database URL) needs the package pg (used by @laas/adapters-pg), which is not installed. Install it: npm install pg',
    );
    // A subpath import is reduced to its package.
    const sub = Object.assign(new Error("Cannot find module 'better-sqlite3/lib/database'"), {
      code: 'MODULE_NOT_FOUND',
    });
    expect(missingPackageOf(sub)).toBe('better-sqlite3');
  });

  it('names the adapter when a file of it is missing (a broken install)', async () => {
    const cause = Object.assign(
      new Error(
        "Cannot find module '/app/node_modules/@laas/adapters-sqlite/dist/index.js' imported from /x.js",
      ),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const error = (await importAdapter('sqlite', failingWith(cause)).catch((e: unknown) => e)) as Error;
    expect((error as AdapterMissingError).packageName).toBe('@laas/adapters-sqlite');
  });

  it('rethrows any other failure as it is, and returns the module when it loads', async () => {
    const other = Object.assign(new Error('the native binding could not be loaded'), {
      code: 'ERR_DLOPEN_FAILED',
    });
    await expect(importAdapter('sqlite', failingWith(other))).rejects.toBe(other);
    const plain = new Error('boom');
    await expect(importAdapter('postgres', failingWith(plain))).rejects.toBe(plain);
    const module = { pgStore: () => 'store' };
    await expect(importAdapter('postgres', async () => module)).resolves.toBe(module);
  });

  it('loads the real adapters when they are installed (the workspace has both)', async () => {
    const pg = await importAdapter('postgres', () => import('@laas/adapters-pg'));
    expect(typeof pg.pgStore).toBe('function');
    const sqlite = await importAdapter('sqlite', () => import('@laas/adapters-sqlite'));
    expect(typeof sqlite.sqliteStore).toBe('function');
  });

  it("restates PgStoreOptions' pool and timeout options exactly (checked by tsc)", () => {
    expectTypeOf<PgPoolOptions>().toEqualTypeOf<Omit<PgStoreOptions, 'connectionString' | 'schema'>>();
  });
});
