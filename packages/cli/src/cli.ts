import { Command } from 'commander';
// Inlined by the build: the binary reports the version it was built as.
import packageJson from '../package.json' with { type: 'json' };
import { registerAdminCommands } from './commands/admin.js';
import { registerBackupCommand } from './commands/backup.js';
import { registerDiffCommand } from './commands/diff.js';
import { registerDryRunCommand } from './commands/dry-run.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerServeCommand } from './commands/serve.js';
import { registerPullCommand, registerPushCommand } from './commands/sync.js';
import { registerTestCommand } from './commands/test.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerWorkerCommand } from './commands/worker.js';
import { UsageError } from './usage.js';

/** Exit codes: 0 success, 1 the input has errors (findings, failures), 2 the command was used wrongly. */
export function createCli(): Command {
  const program = new Command('laas')
    .description('LaaS: the loyalty rules engine on the command line')
    .version(packageJson.version, '-v, --version', 'print the version of laas')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 findings or failures, 2 usage. Colour only on a terminal (never with NO_COLOR).\n\nExamples:\n  $ laas validate examples/coffee-shop\n  $ laas dry-run --rules examples/coffee-shop --events examples/coffee-shop/events/january.jsonl\n  $ laas test examples/coffee-shop\n  $ laas serve --demo\n  $ laas push --server http://localhost:8787 --tenant $TID --key $KEY examples/coffee-shop\n',
    );
  program.configureHelp({ sortSubcommands: false });

  registerValidateCommand(program);
  registerExplainCommand(program);
  registerDryRunCommand(program);
  registerTestCommand(program);
  registerDiffCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerAdminCommands(program);
  registerBackupCommand(program);
  registerPushCommand(program);
  registerPullCommand(program);
  // Sub-commands (and theirs: `tenant create`) inherit the program's error handling: usage errors exit 2.
  const inherit = (parent: Command) => {
    for (const command of parent.commands) {
      command.exitOverride().showHelpAfterError();
      inherit(command);
    }
  };
  inherit(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = createCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    if (typeof code === 'number') return code === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      process.stderr.write(`laas: ${error.message}\n`);
      return 2;
    }
    // A bad environment, or a storage adapter that is not installed, is the user's to fix: the
    // message names every variable (or the package to install), a stack adds nothing.
    if (error instanceof Error && (error.name === 'ConfigError' || error.name === 'AdapterMissingError')) {
      process.stderr.write(`laas: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`laas: ${(error as Error).stack ?? (error as Error).message}\n`);
    return 1;
  }
}
