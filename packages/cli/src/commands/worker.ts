import { startWorker } from '@laas/server';
import type { Command } from 'commander';

/**
 * Registers `laas worker`: the background worker alone (webhook deliveries, expiry, scheduled
 * events), without the HTTP server. It migrates the database, ticks until SIGTERM / SIGINT, then
 * finishes the running tick and closes the database.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run the background worker alone: webhook deliveries, expiry and the daily scheduled events')
    .option(
      '--db <url|path>',
      'a postgres:// URL or a SQLite file path (default: $LAAS_DATABASE_URL or ./data/laas.sqlite)',
    )
    .addHelpText(
      'after',
      [
        '',
        'Several workers may run against one PostgreSQL (they share the work, nothing is done twice).',
        'On SQLite run one: `laas serve` runs a worker too unless LAAS_WORKER=off.',
        '',
        'Environment: LAAS_DATABASE_URL, LAAS_MIGRATE_DATABASE_URL, LAAS_PG_SCHEMA, LAAS_LOG_LEVEL,',
        'LAAS_WORKER_INTERVAL_MS (pause between ticks, default 1000), LAAS_WEBHOOK_TIMEOUT_MS (default 15000).',
        'A worker alone serves no /metrics: the backlog gauges of any `laas serve` show whether workers keep up.',
        '',
        'Example:',
        '  $ LAAS_WORKER=off laas serve --db postgres://... &   # the API only',
        '  $ laas worker --db postgres://...                     # as many as you like',
        '',
      ].join('\n'),
    )
    .action(async (opts: { db?: string }) => {
      await startWorker(opts.db === undefined ? {} : { databaseUrl: opts.db });
    });
}
