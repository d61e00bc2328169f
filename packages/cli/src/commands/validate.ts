import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { colours } from '../output.js';
import {
  type FileProblem,
  formatProblem,
  isProjectDir,
  KIND_DIRS,
  kindOfFile,
  loadProject,
  type ProjectSources,
} from '../project.js';

export type { FileProblem } from '../project.js';

export interface ValidateReport {
  files: number;
  rules: number;
  rewards: number;
  budgets: number;
  campaigns: number;
  customers: number;
  errors: FileProblem[];
  warnings: FileProblem[];
}

/**
 * Validates definition files: a project directory (rules/, rewards/, budgets/, campaigns/,
 * customers/), a directory of rule files, or single files (their kind from the directory they sit
 * in, else rules). Schema errors, JsonLogic errors and broken references are errors; `var` paths
 * a rule cannot read, missing ids and duplicate names are warnings.
 */
export function validateFiles(targets: string[], cwd = process.cwd()): ValidateReport {
  const report: ValidateReport = {
    files: 0,
    rules: 0,
    rewards: 0,
    budgets: 0,
    campaigns: 0,
    customers: 0,
    errors: [],
    warnings: [],
  };
  const loose: Required<Omit<ProjectSources, 'root'>> = {
    rules: [],
    rewards: [],
    budgets: [],
    campaigns: [],
    customers: [],
  };
  const groups: ProjectSources[] = [];
  for (const target of targets) {
    if (isProjectDir(target)) groups.push({ root: target });
    else if (statSync(target).isDirectory()) loose.rules.push(target);
    else loose[KIND_DIRS[kindOfFile(target)] as keyof typeof loose].push(target);
  }
  if (Object.values(loose).some((l) => l.length > 0)) groups.push(loose);
  for (const sources of groups) {
    const project = loadProject(sources, cwd);
    report.files += project.files;
    report.rules += project.counts.rule;
    report.rewards += project.counts.reward;
    report.budgets += project.counts.budget;
    report.campaigns += project.counts.campaign;
    report.customers += project.counts.customer;
    report.errors.push(...project.errors);
    report.warnings.push(...project.warnings);
  }
  return report;
}

/** Kept for callers of the first version: same as {@link validateFiles}. */
export const validateRuleFiles = validateFiles;

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'Validate rule, reward, budget, campaign and customer files (JSON or YAML) and report every problem with its file, line, name and JSON path',
    )
    .argument('<paths...>', 'a project directory, a directory of rule files, or files')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 no errors (warnings allowed), 1 errors, 2 usage.\n\nExamples:\n  $ laas validate examples/coffee-shop\n  $ laas validate examples/coffee-shop/rules/stamp-card.json --json\n',
    )
    .action((paths: string[], opts: { json?: boolean }) => {
      for (const p of paths) {
        try {
          statSync(p);
        } catch {
          process.stderr.write(`laas validate: no such file or directory: ${p}\n`);
          process.exitCode = 2;
          return;
        }
      }
      const report = validateFiles(paths);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const c = colours(process.stdout);
        for (const p of [...report.errors, ...report.warnings]) {
          const tag = p.severity === 'error' ? c.red('error') : c.yellow('warning');
          process.stdout.write(`${formatProblem(p, tag)}\n`);
        }
        const counts = (['rules', 'rewards', 'budgets', 'campaigns', 'customers'] as const)
          .filter((k) => k === 'rules' || report[k] > 0)
          .map((k) => `${report[k]} ${k.slice(0, -1)}(s)`)
          .join(', ');
        const summary = `${report.files} file(s), ${counts}: ${report.errors.length} error(s), ${report.warnings.length} warning(s)`;
        process.stdout.write(`${report.errors.length > 0 ? c.red(summary) : c.green(summary)}\n`);
      }
      process.exitCode = report.errors.length > 0 ? 1 : 0;
    });
}
