import { startServer } from '@laas/server';
import { type Command, InvalidArgumentError } from 'commander';
import { demoInstructions, seedDemo } from '../demo.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('a port is an integer from 0 to 65535 (0: any free port)');
  }
  return port;
}

/**
 * Registers `laas serve`: the LaaS HTTP server (@laas/server) on SQLite by default or PostgreSQL.
 * It migrates the database, listens, and stops gracefully on SIGTERM / SIGINT (requests in flight
 * finish, then the database is closed).
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the LaaS HTTP server (SQLite by default, PostgreSQL with a postgres:// URL)')
    .option(
      '--db <url|path>',
      'a postgres:// URL or a SQLite file path (default: $LAAS_DATABASE_URL or ./data/laas.sqlite)',
    )
    .option('--port <n>', 'the port to listen on (default: $PORT or 8787)', parsePort)
    .option('--host <host>', 'the address to listen on (default: $LAAS_HOST or 0.0.0.0)')
    .option(
      '--demo',
      'seed a demo coffee-shop tenant (once per database), create an admin API key for it and print example curl commands',
    )
    .addHelpText(
      'after',
      [
        '',
        'Environment: LAAS_DATABASE_URL, PORT, LAAS_ADMIN_TOKEN (generated and printed once when unset),',
        'LAAS_JWT_SECRET, LAAS_RATE_LIMIT ("300/150" or "off"), LAAS_MIGRATE_DATABASE_URL, LAAS_PG_SCHEMA,',
        'LAAS_LOG_LEVEL, LAAS_METRICS_TOKEN (bearer token /metrics then needs), LAAS_CORS_ORIGINS (browser origins',
        'allowed to call the API). The API reference is at /docs. See the @laas/server README.',
        '',
        'Example:',
        '  $ laas serve --db ./data/laas.sqlite --port 8787',
        '  $ laas serve --demo --db /tmp/demo.sqlite     # a demo tenant, its API key and three curl commands',
        '',
      ].join('\n'),
    )
    .action(async (opts: { db?: string; port?: number; host?: string; demo?: boolean }) => {
      const running = await startServer({
        ...(opts.db === undefined ? {} : { databaseUrl: opts.db }),
        ...(opts.port === undefined ? {} : { port: opts.port }),
        ...(opts.host === undefined ? {} : { host: opts.host }),
      });
      if (opts.demo) {
        try {
          // Seeded through the engine the server runs on: the same database, no HTTP round trips.
          const seed = await seedDemo(running.engine);
          const created = await running.engine.apiKeys.create(seed.tenantId, {
            name: `demo ${new Date().toISOString()}`,
            role: 'admin',
          });
          const lines = demoInstructions(running.url, seed.tenantId, created.key);
          if (!seed.created)
            lines.splice(1, 0, '(the demo tenant was already in this database: nothing duplicated)');
          process.stdout.write(`${lines.join('\n')}\n`);
        } catch (error) {
          process.stderr.write(`laas serve --demo: seeding failed: ${(error as Error).message}\n`);
          await running.close();
          process.exitCode = 1;
        }
      }
    });
}
