import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_KEY_ROLES, createEngine, type Engine, LaasError, type Store } from '@laas/core';
import { importAdapter, openStore } from '@laas/server';
import { type Command, Option } from 'commander';
import { UsageError } from '../usage.js';

const EXIT_CODES = 'Exit codes: 0 ok, 1 the database refused (not migrated, no such tenant, ...), 2 usage.';

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

function sqliteFile(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/i, '');
}

/** `--db`, else `$LAAS_DATABASE_URL`; a usage error when neither is given. */
function databaseOf(opts: { db?: string }): string {
  const db = opts.db ?? process.env.LAAS_DATABASE_URL;
  if (db === undefined || db === '') {
    throw new UsageError('--db <path|postgres-url> is required (or set LAAS_DATABASE_URL)');
  }
  return db;
}

function schemaOf(opts: { schema?: string }): string | undefined {
  return opts.schema ?? (process.env.LAAS_PG_SCHEMA || undefined);
}

/** Shows a database URL without its password. */
function shownDb(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return db;
  }
}

/** Opens a migrated database (without migrating it) and runs `fn` with an engine on it. */
async function withEngine<T>(
  opts: { db?: string; schema?: string },
  fn: (engine: Engine) => Promise<T>,
): Promise<T> {
  const db = databaseOf(opts);
  if (!isPostgresUrl(db) && sqliteFile(db) !== ':memory:' && !existsSync(resolve(sqliteFile(db)))) {
    throw new LaasCommandError(`no database at ${db}: create it with \`laas migrate --db ${db}\``);
  }
  const schema = schemaOf(opts);
  const { store } = await openStore(db, { migrate: false, ...(schema ? { pgSchema: schema } : {}) });
  try {
    await ping(store, db);
    return await fn(createEngine({ store }));
  } finally {
    await store.close();
  }
}

async function ping(store: Store, db: string): Promise<void> {
  try {
    await store.ping();
  } catch (error) {
    throw new LaasCommandError(
      `the database ${shownDb(db)} is not ready (${(error as Error).message}); run \`laas migrate --db ...\` first`,
    );
  }
}

/** A failure to report in one line with exit code 1. */
class LaasCommandError extends Error {
  override name = 'LaasCommandError';
}

/** Runs an action: a LaasError or LaasCommandError becomes one line on stderr and exit code 1. */
function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (error instanceof LaasCommandError || error instanceof LaasError) {
        const issues = (error as LaasError).details?.issues as
          | Array<{ path: string; message: string }>
          | undefined;
        const more = Array.isArray(issues) ? issues.map((i) => ` (${i.path}: ${i.message})`).join('') : '';
        process.stderr.write(`laas ${name}: ${error.message}${more}\n`);
        process.exitCode = 1;
        return;
      }
      process.stderr.write(`laas ${name}: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  };
}

const dbOption = () =>
  new Option(
    '--db <path|postgres-url>',
    'a SQLite file path or a postgres:// URL (default: $LAAS_DATABASE_URL)',
  );
const schemaOption = () =>
  new Option('--schema <name>', 'PostgreSQL schema (default: $LAAS_PG_SCHEMA or laas)');

export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('Create or upgrade the LaaS tables of a SQLite file or a PostgreSQL schema')
    .addOption(dbOption())
    .addOption(schemaOption())
    .option('--json', 'print { database, kind, schema } as JSON')
    .addHelpText(
      'after',
      [
        '',
        'PostgreSQL: connect as the schema owner; the migrations create the schema and the application',
        'role laas_app (not owner, no BYPASSRLS) that `laas serve` connects as. Migrating twice is a no-op.',
        '',
        EXIT_CODES,
        '',
        'Examples:',
        '  $ laas migrate --db ./data/laas.sqlite',
        '  $ laas migrate --db postgres://postgres@127.0.0.1:5432/laas --schema laas',
        '',
      ].join('\n'),
    )
    .action(
      action('migrate', async (opts: { db?: string; schema?: string; json?: boolean }) => {
        const db = databaseOf(opts);
        const schema = schemaOf(opts);
        let kind: 'sqlite' | 'postgres';
        if (isPostgresUrl(db)) {
          kind = 'postgres';
          // An optional peer dependency: loaded for a postgres:// URL only, named when missing.
          const { migratePg } = await importAdapter('postgres', () => import('@laas/adapters-pg'));
          await migratePg({ connectionString: db, ...(schema ? { schema } : {}) });
        } else {
          kind = 'sqlite';
          if (schema !== undefined && opts.schema !== undefined)
            throw new UsageError('--schema is for PostgreSQL only');
          // openStore creates the file's directory.
          const { store } = await openStore(db, { migrate: true });
          await store.close();
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ database: shownDb(db), kind, ...(kind === 'postgres' ? { schema: schema ?? 'laas' } : {}) })}\n`,
          );
        } else {
          process.stdout.write(
            `migrated ${kind === 'postgres' ? `schema "${schema ?? 'laas'}" of ${shownDb(db)}` : db}\n`,
          );
        }
      }),
    );

  const tenant = program.command('tenant').description('Manage tenants (merchants) directly in the database');
  tenant
    .command('create')
    .description('Create a tenant (a merchant) in a migrated database and print its id')
    .addOption(dbOption())
    .addOption(schemaOption())
    .requiredOption('--name <name>', "the merchant's name")
    .option('--timezone <iana>', 'the time zone calendar windows are computed in (default UTC)')
    .option('--currency <code>', 'ISO 4217 currency of money amounts (default USD)')
    .option('--id <uuid>', 'the tenant id (default: a new UUIDv7)')
    .option('--json', 'print the tenant as JSON')
    .addHelpText(
      'after',
      [
        '',
        EXIT_CODES,
        '',
        'Examples:',
        '  $ laas tenant create --db ./data/laas.sqlite --name "Kofi Coffee" --timezone Africa/Accra',
        '  $ TID=$(laas tenant create --db ./data/laas.sqlite --name "Kofi Coffee" --json | jq -r .id)',
        '',
      ].join('\n'),
    )
    .action(
      action(
        'tenant create',
        async (opts: {
          db?: string;
          schema?: string;
          name: string;
          timezone?: string;
          currency?: string;
          id?: string;
          json?: boolean;
        }) => {
          const created = await withEngine(opts, (engine) =>
            engine.tenants.create({
              name: opts.name,
              ...(opts.id ? { id: opts.id } : {}),
              ...(opts.timezone ? { timezone: opts.timezone } : {}),
              ...(opts.currency ? { settings: { currency: opts.currency } } : {}),
            }),
          );
          if (opts.json) process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
          else
            process.stdout.write(`created tenant "${created.name}" (${created.timezone}): ${created.id}\n`);
        },
      ),
    );

  const key = program.command('key').description('Manage API keys directly in the database');
  key
    .command('create')
    .description('Create an API key for a tenant and print it (once: only its hash is stored)')
    .addOption(dbOption())
    .addOption(schemaOption())
    .requiredOption('--tenant <id>', 'the tenant id')
    .addOption(
      new Option('--role <role>', 'what the key may do').choices([...API_KEY_ROLES]).makeOptionMandatory(),
    )
    .option('--name <name>', 'a name to recognise the key by (default: "<role> key")')
    .option('--json', 'print { api_key, key } as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Roles: admin (everything in the tenant), manager (rules, rewards, budgets, campaigns), pos',
        '(ingest events, redeem), viewer (read only). The key is printed once; store it now.',
        '',
        EXIT_CODES,
        '',
        'Examples:',
        '  $ laas key create --db ./data/laas.sqlite --tenant $TID --role pos --name "till 1"',
        '  $ KEY=$(laas key create --db ./data/laas.sqlite --tenant $TID --role admin --json | jq -r .key)',
        '',
      ].join('\n'),
    )
    .action(
      action(
        'key create',
        async (opts: {
          db?: string;
          schema?: string;
          tenant: string;
          role: (typeof API_KEY_ROLES)[number];
          name?: string;
          json?: boolean;
        }) => {
          const created = await withEngine(opts, async (engine) => {
            await engine.tenants.get(opts.tenant);
            return engine.apiKeys.create(opts.tenant, {
              name: opts.name ?? `${opts.role} key`,
              role: opts.role,
            });
          });
          const { key_hash: _hash, ...apiKey } = created.api_key;
          if (opts.json)
            process.stdout.write(`${JSON.stringify({ api_key: apiKey, key: created.key }, null, 2)}\n`);
          else {
            process.stdout.write(`created ${apiKey.role} key "${apiKey.name}" (${apiKey.id}); shown once:\n`);
            process.stdout.write(`${created.key}\n`);
          }
        },
      ),
    );
}
