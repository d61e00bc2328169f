import { Command } from 'commander';
import { registerServeCommand } from './commands/serve.js';
import { validateRuleFiles } from './commands/validate.js';
import { colours } from './output.js';

/** Exit codes: 0 success, 1 the input has errors, 2 the command was used wrongly. */
export function createCli(): Command {
  const program = new Command('laas')
    .description('LaaS: the loyalty rules engine on the command line')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('validate')
    .description('Validate rule files (JSON, one rule or an array per file) and report every problem')
    .argument('<paths...>', 'rule files or directories')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  $ laas validate examples/coffee-shop/rules\n')
    .action((paths: string[], opts: { json?: boolean }) => {
      const report = validateRuleFiles(paths);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const c = colours(process.stdout);
        for (const p of [...report.errors, ...report.warnings]) {
          const tag = p.severity === 'error' ? c.red('error') : c.yellow('warning');
          const hint = p.suggestion ? ` (did you mean ${p.suggestion}?)` : '';
          process.stdout.write(`${p.file}: rule "${p.rule}": ${tag} at ${p.path}: ${p.message}${hint}\n`);
        }
        const summary = `${report.files} file(s), ${report.rules} rule(s): ${report.errors.length} error(s), ${report.warnings.length} warning(s)`;
        process.stdout.write(`${report.errors.length > 0 ? c.red(summary) : c.green(summary)}\n`);
      }
      process.exitCode = report.errors.length > 0 ? 1 : 0;
    });

  registerServeCommand(program);
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
    process.stderr.write(`laas: ${(error as Error).message}\n`);
    return 1;
  }
}
