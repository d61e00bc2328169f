/**
 * The storage adapters are optional peer dependencies of `@laas/server`: installing the server
 * installs neither native driver (`better-sqlite3`, `pg`). Each adapter is imported only when a
 * database URL of its kind is opened, and a missing one is reported by name with the command that
 * installs it.
 */

/** The kinds of database a `LAAS_DATABASE_URL` can name. */
export type DatabaseKind = 'postgres' | 'sqlite';

/** The adapter package of each kind of database, and the driver it needs. */
export const ADAPTER_PACKAGES: Readonly<
  Record<DatabaseKind, { adapter: string; driver: string; database: string; url: string }>
> = {
  postgres: {
    adapter: '@laas/adapters-pg',
    driver: 'pg',
    database: 'PostgreSQL',
    url: 'a postgres:// database URL',
  },
  sqlite: {
    adapter: '@laas/adapters-sqlite',
    driver: 'better-sqlite3',
    database: 'SQLite',
    url: 'a SQLite database path',
  },
};

/**
 * A storage adapter (or its driver) is not installed. `message` names the package and the command
 * that installs it; no stack trace is worth showing.
 */
export class AdapterMissingError extends Error {
  /** The package that could not be loaded: the adapter, its driver, or one of theirs. */
  readonly packageName: string;
  readonly kind: DatabaseKind;

  constructor(kind: DatabaseKind, packageName: string, options?: { cause?: unknown }) {
    const { adapter, database, url } = ADAPTER_PACKAGES[kind];
    const needs =
      packageName === adapter
        ? `the package ${adapter}, which is not installed`
        : `the package ${packageName} (used by ${adapter}), which is not installed`;
    super(`${database} support (${url}) needs ${needs}. Install it: npm install ${packageName}`, options);
    this.name = 'AdapterMissingError';
    this.kind = kind;
    this.packageName = packageName;
  }
}

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * The package a module-not-found error names (`Cannot find package 'x' imported from ...` from
 * `import`, `Cannot find module 'x'` from `require`), reduced to its package name; undefined when
 * `error` is not a module-not-found error.
 */
export function missingPackageOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !NOT_FOUND_CODES.has(code)) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  const named = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  if (named === undefined) return '';
  // A file of an installed package (a broken install) is not a package name: the caller decides.
  if (named.startsWith('.') || named.startsWith('/') || /^[a-z]:[\\/]/i.test(named)) return '';
  const parts = named.split('/');
  return named.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? named);
}

/**
 * Imports the adapter of `kind` with `importer` (`() => import('@laas/adapters-pg')`); a module
 * that cannot be found becomes an {@link AdapterMissingError} naming it (the adapter itself when
 * the error does not say which), any other failure is rethrown as it is.
 */
export async function importAdapter<T>(kind: DatabaseKind, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const missing = missingPackageOf(error);
    if (missing === undefined) throw error;
    throw new AdapterMissingError(kind, missing === '' ? ADAPTER_PACKAGES[kind].adapter : missing, {
      cause: error,
    });
  }
}
