import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  type CreateBudgetInput,
  type CreateCampaignInput,
  type CreateCustomerInput,
  type CreateRewardInput,
  type CreateRuleInput,
  type CreateTenantInput,
  createBudgetSchema,
  createCampaignSchema,
  createCustomerSchema,
  createRewardSchema,
  createRuleSchema,
  createTenantSchema,
  RULE_CONTEXT_SCHEMA,
} from '@laas/core';
import { createRulesEngine } from '@laas/rules';
import {
  DOC_EXTENSIONS,
  type Doc,
  docFiles,
  formatPath,
  type JsonPath,
  parseRulePath,
  readDoc,
  shownPath,
} from './files.js';

export type EntityKind = 'rule' | 'reward' | 'budget' | 'campaign' | 'customer' | 'tenant';

/** The sub-directory of a project holding each kind of file. */
export const KIND_DIRS: Record<Exclude<EntityKind, 'tenant'>, string> = {
  rule: 'rules',
  reward: 'rewards',
  budget: 'budgets',
  campaign: 'campaigns',
  customer: 'customers',
};

export interface FileProblem {
  file: string;
  line?: number;
  column?: number;
  kind: EntityKind | 'file';
  /** The rule's (reward's, ...) name, or `#n` for the n-th entry of a file without a name. */
  name: string;
  severity: 'error' | 'warning';
  /** JSON path inside the entity (`caps[0].max`, `condition.and[1].var`), `$` for the whole. */
  path: string;
  message: string;
  suggestion?: string;
}

/** One entity read from a file, exactly in the API's JSON shape. */
export interface Entity<T> {
  kind: EntityKind;
  name: string;
  /** As written in the file. */
  raw: T;
  id: string | undefined;
  doc: Doc;
  /** Where in the file the entity is (`[]` when the file holds just this one). */
  at: JsonPath;
}

export interface Project {
  /** The project directory, when one was given. */
  root: string | undefined;
  files: number;
  tenant: CreateTenantInput | undefined;
  rules: Entity<CreateRuleInput>[];
  rewards: Entity<CreateRewardInput>[];
  budgets: Entity<CreateBudgetInput>[];
  campaigns: Entity<CreateCampaignInput>[];
  customers: Entity<CreateCustomerInput>[];
  /** Voucher codes per reward id, from `codes/<reward id>.txt`. */
  codes: Map<string, string[]>;
  /** Entities read per kind, valid or not. */
  counts: Record<Exclude<EntityKind, 'tenant'>, number>;
  errors: FileProblem[];
  warnings: FileProblem[];
}

export interface ProjectSources {
  /** A project directory (see README): every kind is read from its sub-directory (rules: unless `rules` is given). */
  root?: string;
  rules?: string[];
  rewards?: string[];
  budgets?: string[];
  campaigns?: string[];
  customers?: string[];
}

interface Schema {
  safeParse(
    value: unknown,
  ):
    | { success: true }
    | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

const SCHEMAS: Record<EntityKind, Schema> = {
  rule: createRuleSchema,
  reward: createRewardSchema,
  budget: createBudgetSchema,
  campaign: createCampaignSchema,
  customer: createCustomerSchema,
  tenant: createTenantSchema,
};

/** True when `dir` looks like a project: it has a `rules/` (or another kind's) sub-directory. */
export function isProjectDir(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  return Object.values(KIND_DIRS).some((sub) => existsSync(join(dir, sub)));
}

/** The kind of a file given on its own: by the directory it sits in, else a rule. */
export function kindOfFile(file: string): Exclude<EntityKind, 'tenant'> {
  const parent = basename(dirname(file));
  for (const [kind, dir] of Object.entries(KIND_DIRS)) if (dir === parent) return kind as 'rule';
  return 'rule';
}

function entityName(value: unknown, index: number, kind: EntityKind): string {
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.name === 'string') return v.name;
    if (kind === 'customer') {
      if (typeof v.external_ref === 'string') return v.external_ref;
      if (typeof v.phone === 'string') return v.phone;
    }
  }
  return `#${index + 1}`;
}

/** Reads and validates a project: schemas, JsonLogic, references between files, duplicate ids. */
export function loadProject(sources: ProjectSources, cwd = process.cwd()): Project {
  const project: Project = {
    root: sources.root,
    files: 0,
    tenant: undefined,
    rules: [],
    rewards: [],
    budgets: [],
    campaigns: [],
    customers: [],
    codes: new Map(),
    counts: { rule: 0, reward: 0, budget: 0, campaign: 0, customer: 0 },
    errors: [],
    warnings: [],
  };
  const targets: Array<[Exclude<EntityKind, 'tenant'>, string[]]> = [];
  if (sources.root !== undefined) {
    const root = sources.root;
    for (const [kind, sub] of Object.entries(KIND_DIRS) as Array<[Exclude<EntityKind, 'tenant'>, string]>) {
      // Rule files given explicitly replace the project's own (diff: proposed rules, same rewards).
      if (kind === 'rule' && sources.rules !== undefined && sources.rules.length > 0) continue;
      if (existsSync(join(root, sub))) targets.push([kind, [join(root, sub)]]);
    }
    for (const ext of DOC_EXTENSIONS) {
      const file = join(root, `tenant${ext}`);
      if (existsSync(file)) readTenant(project, file, cwd);
    }
    const codesDir = join(root, 'codes');
    if (existsSync(codesDir)) {
      for (const name of readdirSync(codesDir).sort()) {
        if (extname(name) !== '.txt') continue;
        const codes = readFileSync(join(codesDir, name), 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'));
        project.codes.set(basename(name, '.txt'), codes);
      }
    }
  }
  const explicit: Array<[Exclude<EntityKind, 'tenant'>, string[] | undefined]> = [
    ['rule', sources.rules],
    ['reward', sources.rewards],
    ['budget', sources.budgets],
    ['campaign', sources.campaigns],
    ['customer', sources.customers],
  ];
  for (const [kind, paths] of explicit)
    if (paths !== undefined && paths.length > 0) targets.push([kind, paths]);

  for (const [kind, paths] of targets) {
    for (const file of paths.flatMap((p) => docFiles(p))) readEntities(project, kind, file, cwd);
  }
  checkReferences(project, sources.root !== undefined || targets.some(([k]) => k !== 'rule'));
  return project;
}

function problem(
  doc: Doc | { shown: string; locate?: undefined },
  kind: FileProblem['kind'],
  name: string,
  severity: 'error' | 'warning',
  at: JsonPath,
  inner: JsonPath,
  message: string,
  suggestion?: string,
): FileProblem {
  const pos = doc.locate?.([...at, ...inner]);
  return {
    file: doc.shown,
    ...(pos === undefined ? {} : { line: pos.line, column: pos.col }),
    kind,
    name,
    severity,
    path: formatPath(inner),
    message,
    ...(suggestion === undefined ? {} : { suggestion }),
  };
}

function readTenant(project: Project, file: string, cwd: string): void {
  project.files++;
  const read = readDoc(file, cwd);
  if (!read.ok) {
    project.errors.push(fileError(read));
    return;
  }
  const parsed = createTenantSchema.safeParse(read.doc.content);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      project.errors.push(
        problem(read.doc, 'tenant', 'tenant', 'error', [], issue.path as JsonPath, issue.message),
      );
    }
    return;
  }
  project.tenant = read.doc.content as CreateTenantInput;
}

function fileError(read: { shown: string; message: string; line?: number }): FileProblem {
  return {
    file: read.shown,
    ...(read.line === undefined ? {} : { line: read.line }),
    kind: 'file',
    name: '-',
    severity: 'error',
    path: '$',
    message: read.message,
  };
}

const logic = createRulesEngine();

function readEntities(
  project: Project,
  kind: Exclude<EntityKind, 'tenant'>,
  file: string,
  cwd: string,
): void {
  project.files++;
  const read = readDoc(file, cwd);
  if (!read.ok) {
    project.errors.push(fileError(read));
    return;
  }
  const { doc } = read;
  const content = doc.content;
  const items = Array.isArray(content) ? content : [content];
  items.forEach((raw, index) => {
    const at: JsonPath = Array.isArray(content) ? [index] : [];
    const name = entityName(raw, index, kind);
    project.counts[kind]++;
    const schema = SCHEMAS[kind];
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        project.errors.push(problem(doc, kind, name, 'error', at, issue.path as JsonPath, issue.message));
      }
    }
    const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (kind === 'rule') {
      for (const field of ['condition', 'quantity'] as const) {
        if (record[field] === undefined) continue;
        const result = logic.validate(record[field], { contextSchema: RULE_CONTEXT_SCHEMA });
        for (const [severity, list] of [
          ['error', result.errors],
          ['warning', result.warnings],
        ] as const) {
          for (const p of list) {
            (severity === 'error' ? project.errors : project.warnings).push(
              problem(
                doc,
                kind,
                name,
                severity,
                at,
                [field, ...parseRulePath(p.path)],
                p.message,
                p.suggestion,
              ),
            );
          }
        }
      }
    }
    if (kind !== 'customer' && record.id === undefined && parsed.success) {
      project.warnings.push(
        problem(
          doc,
          kind,
          name,
          'warning',
          at,
          [],
          'has no "id": give it a UUID so that push and pull keep it the same',
        ),
      );
    }
    if (!parsed.success) return;
    const entity = { kind, name, raw, id: typeof record.id === 'string' ? record.id : undefined, doc, at };
    (project[`${kind}s` as 'rules'] as Entity<unknown>[]).push(entity as Entity<CreateRuleInput>);
  });
}

/** Duplicate ids and names; rules naming rewards, budgets or campaigns the project lacks. */
function checkReferences(project: Project, checkRefs: boolean): void {
  const kinds = ['rules', 'rewards', 'budgets', 'campaigns', 'customers'] as const;
  const ids = new Map<string, Entity<unknown>>();
  for (const key of kinds) {
    const names = new Map<string, Entity<unknown>>();
    for (const e of project[key] as Entity<unknown>[]) {
      if (e.id !== undefined) {
        const first = ids.get(e.id);
        if (first !== undefined) {
          project.errors.push(
            problem(
              e.doc,
              e.kind,
              e.name,
              'error',
              e.at,
              ['id'],
              `the id ${e.id} is also used by ${first.kind} "${first.name}" (${first.doc.shown})`,
            ),
          );
        } else ids.set(e.id, e);
      }
      if (key !== 'customers') {
        const other = names.get(e.name);
        if (other !== undefined) {
          project.warnings.push(
            problem(
              e.doc,
              e.kind,
              e.name,
              'warning',
              e.at,
              ['name'],
              `another ${e.kind} is named "${e.name}" too (${other.doc.shown})`,
            ),
          );
        } else names.set(e.name, e);
      }
    }
  }
  if (!checkRefs) return;
  const has = (list: Entity<unknown>[], id: unknown) => list.some((e) => e.id === id);
  for (const rule of project.rules) {
    const r = rule.raw as Record<string, unknown>;
    const refs: Array<[string, Entity<unknown>[], string]> = [
      ['reward_id', project.rewards, 'reward'],
      ['budget_id', project.budgets, 'budget'],
      ['campaign_id', project.campaigns, 'campaign'],
    ];
    for (const [field, list, what] of refs) {
      const value = r[field];
      if (typeof value === 'string' && !has(list, value)) {
        project.errors.push(
          problem(
            rule.doc,
            'rule',
            rule.name,
            'error',
            rule.at,
            [field],
            `no ${what} in the project has the id ${value}`,
          ),
        );
      }
    }
  }
  for (const campaign of project.campaigns) {
    const value = (campaign.raw as Record<string, unknown>).budget_id;
    if (typeof value === 'string' && !has(project.budgets, value)) {
      project.errors.push(
        problem(
          campaign.doc,
          'campaign',
          campaign.name,
          'error',
          campaign.at,
          ['budget_id'],
          `no budget in the project has the id ${value}`,
        ),
      );
    }
  }
  for (const rewardId of project.codes.keys()) {
    if (!has(project.rewards, rewardId)) {
      project.warnings.push({
        file: shownPath(join(project.root ?? '.', 'codes', `${rewardId}.txt`)),
        kind: 'file',
        name: rewardId,
        severity: 'warning',
        path: '$',
        message: 'codes for a reward id that no reward file has',
      });
    }
  }
}

/** `file:line:col: rule "name": error at path: message (did you mean x?)` */
export function formatProblem(p: FileProblem, tag: string): string {
  const where = `${p.file}${p.line === undefined ? '' : `:${p.line}${p.column === undefined ? '' : `:${p.column}`}`}`;
  const what = p.kind === 'file' ? '' : ` ${p.kind} "${p.name}":`;
  const hint = p.suggestion ? ` (did you mean ${p.suggestion}?)` : '';
  return `${where}:${what} ${tag} at ${p.path}: ${p.message}${hint}`;
}
