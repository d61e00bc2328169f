import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { colours } from './output.js';
import { formatProblem, isProjectDir, loadProject, type Project, type ProjectSources } from './project.js';
import type { StoreKind } from './scratch.js';
import { UsageError } from './usage.js';

export interface EntityOptions {
  rewards?: string[];
  budgets?: string[];
  campaigns?: string[];
  customers?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--rewards`, `--budgets`, `--campaigns`, `--customers` (each repeatable). */
export function addEntityOptions(command: Command): Command {
  return command
    .option('--rewards <path>', 'reward files or a directory (repeatable)', collect)
    .option('--budgets <path>', 'budget files or a directory (repeatable)', collect)
    .option('--campaigns <path>', 'campaign files or a directory (repeatable)', collect)
    .option(
      '--customers <path>',
      'customer files or a directory: the starting customers (repeatable)',
      collect,
    );
}

function mustExist(paths: string[]): void {
  for (const p of paths) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
}

/** The sources of a rule set: a project directory, or rule files plus the entity options. */
export function sourcesOf(rules: string, options: EntityOptions): ProjectSources {
  const extra = [options.rewards, options.budgets, options.campaigns, options.customers]
    .flat()
    .filter((p) => p !== undefined);
  mustExist([rules, ...(extra as string[])]);
  const base: ProjectSources = isProjectDir(rules) ? { root: rules } : { rules: [rules] };
  return {
    ...base,
    ...(options.rewards ? { rewards: options.rewards } : {}),
    ...(options.budgets ? { budgets: options.budgets } : {}),
    ...(options.campaigns ? { campaigns: options.campaigns } : {}),
    ...(options.customers ? { customers: options.customers } : {}),
  };
}

/**
 * Loads a project and prints its problems on stderr. Returns null (after printing) when it has
 * errors: the caller exits 1.
 */
export function loadOrReport(sources: ProjectSources, command: string): Project | null {
  const project = loadProject(sources);
  const c = colours(process.stderr);
  for (const p of project.errors) process.stderr.write(`${formatProblem(p, c.red('error'))}\n`);
  for (const p of project.warnings) process.stderr.write(`${formatProblem(p, c.yellow('warning'))}\n`);
  if (project.errors.length > 0) {
    process.stderr.write(
      `laas ${command}: ${project.errors.length} error(s) in the definition files; fix them first (laas validate)\n`,
    );
    return null;
  }
  return project;
}

/**
 * The scratch store of a replay. `auto` is the replay store: memory bounded by customers, whatever
 * the size of the events file (`memory` keeps every event; `sqlite` a temporary file).
 */
export function chooseStore(option: string | undefined): StoreKind {
  const choice = option ?? 'auto';
  if (choice === 'auto') return 'replay';
  if (choice === 'replay' || choice === 'memory' || choice === 'sqlite') return choice;
  throw new UsageError(`--store must be auto, replay, memory or sqlite (not "${choice}")`);
}
