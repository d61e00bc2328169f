import { copyFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sqliteStore } from '@laas/adapters-sqlite';
import { importAdapter } from '@laas/server';
import type { Command } from 'commander';
import { UsageError } from '../usage.js';

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL without its password (given to pg_dump by PGPASSWORD or ~/.pgpass instead). */
function withoutPassword(url: string): { url: string; hadPassword: boolean } {
  const u = new URL(url);
  const hadPassword = u.password !== '';
  u.password = '';
  return { url: u.toString(), hadPassword };
}

/** Quotes one argument for a POSIX shell, when it needs it. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The pg_dump command of a LaaS schema: custom format (pg_restore picks what to restore), the
 * schema only — its tables, keys, row-level security policies, the platform functions and the
 * grants to the application role. Roles are cluster-wide: pg_dump never dumps them.
 */
export function pgDumpCommand(url: string, schema: string, out: string): string[] {
  return ['pg_dump', '--format=custom', `--schema=${schema}`, `--file=${out}`, url];
}

/**
 * Registers `laas backup`: SQLite: a consistent copy of the live file (SQLite's online backup
 * API, `store.backup`), safe while `laas serve` runs; PostgreSQL: prints the pg_dump command.
 */
export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description(
      'Back the database up: a consistent copy of a live SQLite file, or the pg_dump command for PostgreSQL',
    )
    .option(
      '--db <path|postgres-url>',
      'a SQLite file path or a postgres:// URL (default: $LAAS_MIGRATE_DATABASE_URL for PostgreSQL, else $LAAS_DATABASE_URL)',
    )
    .option('--schema <name>', 'PostgreSQL schema (default: $LAAS_PG_SCHEMA or laas)')
    .requiredOption(
      '--out <file>',
      'where the backup goes (SQLite: a database file; PostgreSQL: a pg_dump archive)',
    )
    .option('--json', 'print what was done (SQLite) or the command as an argument list (PostgreSQL) as JSON')
    .addHelpText(
      'after',
      [
        '',
        'SQLite: safe while `laas serve` and `laas worker` run on the file: the copy is the database as of',
        'one moment between two transactions, written beside --out and renamed over it. It opens on its own.',
        '',
        'PostgreSQL: prints the pg_dump command (this command runs nothing). Run it as a superuser or a',
        'role with BYPASSRLS: the tables force row-level security, so even their owner sees no rows',
        'without a tenant set, and pg_dump refuses rather than dump them empty. See the README, "Backups".',
        '',
        'Exit codes: 0 ok, 1 the backup failed (no such database, ...), 2 usage.',
        '',
        'Examples:',
        '  $ laas backup --db ./data/laas.sqlite --out ./backups/laas-$(date +%F).sqlite',
        '  $ laas backup --db postgres://postgres@db.internal:5432/laas --out laas.dump   # prints pg_dump ...',
        '  $ sh -c "$(laas backup --db postgres://postgres@db.internal/laas --out laas.dump)"',
        '',
      ].join('\n'),
    )
    .action(async (opts: { db?: string; schema?: string; out: string; json?: boolean }) => {
      const fromEnv = process.env.LAAS_MIGRATE_DATABASE_URL || process.env.LAAS_DATABASE_URL;
      const db = opts.db ?? (fromEnv === '' ? undefined : fromEnv);
      if (db === undefined) {
        throw new UsageError('--db <path|postgres-url> is required (or set LAAS_DATABASE_URL)');
      }
      if (isPostgresUrl(db)) {
        // The PostgreSQL adapter is an optional dependency: loaded only for a postgres:// URL.
        const { DEFAULT_APP_ROLE, DEFAULT_SCHEMA } = await importAdapter(
          'postgres',
          () => import('@laas/adapters-pg'),
        );
        const schema = opts.schema ?? (process.env.LAAS_PG_SCHEMA || DEFAULT_SCHEMA);
        const { url, hadPassword } = withoutPassword(db);
        const argv = pgDumpCommand(url, schema, opts.out);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ kind: 'postgres', schema, command: argv })}\n`);
        } else {
          process.stdout.write(`${argv.map(shellQuote).join(' ')}\n`);
          process.stderr.write(
            [
              `# Dumps schema "${schema}" (tables, keys, row-level security, functions, grants to ${DEFAULT_APP_ROLE}).`,
              '# Connect as a superuser or a BYPASSRLS role; roles are not in the dump (create them before restoring).',
              ...(hadPassword
                ? ['# The password was left out of the URL: set PGPASSWORD or use ~/.pgpass.']
                : []),
              '',
            ].join('\n'),
          );
        }
        return;
      }
      if (opts.schema !== undefined) throw new UsageError('--schema is for PostgreSQL only');
      const file = db.replace(/^sqlite:(\/\/)?/i, '');
      if (file === ':memory:' || !existsSync(resolve(file))) {
        process.stderr.write(`laas backup: no database at ${file}\n`);
        process.exitCode = 1;
        return;
      }
      // A connection of its own on the live file: the server in another process keeps writing (WAL).
      const store = sqliteStore({ filename: file });
      try {
        const { pages, bytes } = await store.backup(opts.out);
        // The quick start's key (no LAAS_SECRET_KEY): the secrets in the copy are sealed with it.
        const keyFile = `${file}.secret-key`;
        const secretKey = existsSync(keyFile) ? `${opts.out}.secret-key` : null;
        if (secretKey !== null) copyFileSync(keyFile, secretKey);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ kind: 'sqlite', database: file, out: opts.out, pages, bytes, secretKey })}\n`,
          );
        } else {
          process.stdout.write(`backed up ${file} to ${opts.out} (${bytes} bytes)\n`);
          if (secretKey !== null)
            process.stdout.write(`copied its secret key ${keyFile} to ${secretKey} (keep them together)\n`);
        }
      } catch (error) {
        process.stderr.write(`laas backup: ${(error as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
