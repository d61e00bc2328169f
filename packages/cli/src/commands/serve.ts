import type { Command } from 'commander';

/**
 * Registers `laas serve`. Placeholder until @laas/server lands: it is replaced by the server's
 * own command (the server issue owns this file).
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the LaaS HTTP server (not available yet)')
    .action(() => {
      process.stderr.write('laas serve: the server is not part of this build yet\n');
      process.exitCode = 1;
    });
}
