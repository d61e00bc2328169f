import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  createBudgetSchema,
  createCampaignSchema,
  createRewardSchema,
  createRuleSchema,
  updateBudgetSchema,
  updateCampaignSchema,
  updateRewardSchema,
  updateRuleSchema,
} from '@laas/core';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { colours } from '../output.js';
import {
  type Entity,
  type FileProblem,
  formatProblem,
  isProjectDir,
  KIND_DIRS,
  loadProject,
} from '../project.js';
import { UsageError } from '../usage.js';

/** What push and pull synchronise, in dependency order (a rule names a reward, a budget, a campaign). */
export const SYNC_KINDS = ['budget', 'campaign', 'reward', 'rule'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

const API_PATHS: Record<SyncKind, string> = {
  budget: 'budgets',
  campaign: 'campaigns',
  reward: 'rewards',
  rule: 'rules',
};

interface Schema {
  shape: Record<string, unknown>;
  safeParse(
    value: unknown,
  ):
    | { success: true; data: unknown }
    | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

const CREATE: Record<SyncKind, Schema> = {
  budget: createBudgetSchema as unknown as Schema,
  campaign: createCampaignSchema as unknown as Schema,
  reward: createRewardSchema as unknown as Schema,
  rule: createRuleSchema as unknown as Schema,
};

/** Fields PATCH can change; campaign `status` changes through activate / pause / end. */
const UPDATABLE: Record<SyncKind, Set<string>> = {
  budget: new Set(Object.keys(updateBudgetSchema.shape)),
  campaign: new Set([...Object.keys(updateCampaignSchema.shape), 'status']),
  reward: new Set(Object.keys(updateRewardSchema.shape)),
  rule: new Set(Object.keys(updateRuleSchema.shape).filter((k) => k !== 'version')),
};

export type Definition = Record<string, unknown> & { id: string; name: string };

/**
 * An entity in its canonical file form: exactly the create schema's fields, in the schema's order,
 * defaults filled in. A file's content and the server's answer both come out the same when they
 * describe the same entity, which is what makes push and pull symmetric.
 */
export function canonical(kind: SyncKind, value: Record<string, unknown>): Definition {
  const schema = CREATE[kind];
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) if (value[key] !== undefined) picked[key] = value[key];
  const parsed = schema.safeParse(picked);
  const data = (parsed.success ? parsed.data : picked) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) if (data[key] !== undefined) out[key] = data[key];
  return out as Definition;
}

/** JSON with sorted keys: equality that ignores key order. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// --- the HTTP client -------------------------------------------------------------------------

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    const err = (body as { error?: { code?: string; message?: string; details?: { issues?: unknown[] } } })
      ?.error;
    const list = err?.details?.issues;
    const issues = Array.isArray(list)
      ? ` ${(list as Array<{ path?: string; message?: string }>).map((i) => `[${i.path}: ${i.message}]`).join(' ')}`
      : '';
    super(
      `${what}: ${status} ${err?.code ?? ''} ${err?.message ?? JSON.stringify(body)}${issues}`.replace(
        /\s+/g,
        ' ',
      ),
    );
  }
}

export interface RemoteOptions {
  server: string;
  tenant: string;
  key: string;
}

/** A tiny client of the tenant routes (global fetch). */
export class Remote {
  readonly base: string;
  constructor(private readonly options: RemoteOptions) {
    this.base = `${options.server.replace(/\/+$/, '')}/v1/tenants/${encodeURIComponent(options.tenant)}`;
  }

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new Error(`cannot reach ${this.options.server}: ${cause ?? (error as Error).message}`);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = text;
    }
    if (!response.ok) throw new ApiError(response.status, json, what);
    return json;
  }

  /** Every item of a list route, following the cursors. */
  async list(path: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    do {
      const page = (await this.request(
        'GET',
        `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )) as { items: Array<Record<string, unknown>>; next_cursor: string | null };
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  /** The server's rules, rewards, budgets and campaigns, canonical, by id. */
  async definitions(): Promise<Record<SyncKind, Map<string, Definition>>> {
    const out = {} as Record<SyncKind, Map<string, Definition>>;
    for (const kind of SYNC_KINDS) {
      const items = await this.list(`/${API_PATHS[kind]}`);
      // Oldest first: files and diffs read in creation order.
      items.reverse();
      out[kind] = new Map(items.map((item) => [item.id as string, canonical(kind, item)]));
    }
    return out;
  }
}

// --- push ------------------------------------------------------------------------------------

export interface Change {
  kind: SyncKind;
  id: string;
  name: string;
  action: 'create' | 'update' | 'unchanged' | 'remote-only' | 'delete';
  /** For updates: the fields that change. */
  fields?: string[];
  /** Where the local definition is. */
  file?: string;
}

export interface PushPlan {
  changes: Change[];
  errors: string[];
  local: Record<SyncKind, Map<string, Definition>>;
}

export function planPush(
  local: Record<SyncKind, Map<string, Definition>>,
  remote: Record<SyncKind, Map<string, Definition>>,
  options: { prune: boolean; files?: Map<string, string> },
): PushPlan {
  const changes: Change[] = [];
  const errors: string[] = [];
  for (const kind of SYNC_KINDS) {
    for (const [id, def] of local[kind]) {
      const file = options.files?.get(id);
      const base = { kind, id, name: def.name, ...(file ? { file } : {}) };
      const there = remote[kind].get(id);
      if (there === undefined) {
        changes.push({ ...base, action: 'create' });
        continue;
      }
      const keys = new Set([...Object.keys(def), ...Object.keys(there)]);
      const fields = [...keys].filter((k) => k !== 'id' && stable(def[k]) !== stable(there[k]));
      if (fields.length === 0) {
        changes.push({ ...base, action: 'unchanged' });
        continue;
      }
      for (const f of fields) {
        if (!UPDATABLE[kind].has(f)) {
          errors.push(
            `${kind} "${def.name}" (${id}): "${f}" cannot change once created (${JSON.stringify(there[f])} on the server, ${JSON.stringify(def[f])} here); give the new one a new id`,
          );
        } else if (kind === 'campaign' && f === 'status' && def.status === 'draft') {
          errors.push(`campaign "${def.name}" (${id}): a campaign cannot go back to draft`);
        }
      }
      changes.push({ ...base, action: 'update', fields });
    }
    for (const [id, def] of remote[kind]) {
      if (local[kind].has(id)) continue;
      changes.push({
        kind,
        id,
        name: def.name,
        action: options.prune && kind === 'rule' ? 'delete' : 'remote-only',
      });
    }
  }
  return { changes, errors, local };
}

/** A warning the server answered for a rule it saved (`laas push --no-strict`). */
export interface ServerWarning {
  rule: string;
  id: string;
  path: string;
  message: string;
  suggestion?: string;
}

function warningsOf(change: Change, answer: unknown): ServerWarning[] {
  const list = (answer as { warnings?: unknown } | null)?.warnings;
  if (!Array.isArray(list)) return [];
  return (list as Array<{ path: string; message: string; suggestion?: string }>).map((w) => ({
    rule: change.name,
    id: change.id,
    path: w.path,
    message: w.message,
    ...(w.suggestion === undefined ? {} : { suggestion: w.suggestion }),
  }));
}

async function applyPush(
  remote: Remote,
  plan: PushPlan,
  strict: boolean,
): Promise<{ created: number; updated: number; deleted: number; warnings: ServerWarning[] }> {
  const done = { created: 0, updated: 0, deleted: 0, warnings: [] as ServerWarning[] };
  // Rules go with ?strict=true unless --no-strict: the server refuses one whose logic has warnings.
  const query = (kind: SyncKind) => (kind === 'rule' && strict ? '?strict=true' : '');
  for (const kind of SYNC_KINDS) {
    for (const change of plan.changes) {
      if (change.kind !== kind) continue;
      const def = plan.local[kind].get(change.id);
      const path = `/${API_PATHS[kind]}`;
      if (change.action === 'create' && def) {
        done.warnings.push(...warningsOf(change, await remote.request('POST', `${path}${query(kind)}`, def)));
        done.created++;
      } else if (change.action === 'update' && def) {
        const patch: Record<string, unknown> = {};
        for (const f of change.fields ?? [])
          if (!(kind === 'campaign' && f === 'status')) patch[f] = def[f] ?? null;
        if (Object.keys(patch).length > 0) {
          const answer = await remote.request('PATCH', `${path}/${change.id}${query(kind)}`, patch);
          done.warnings.push(...warningsOf(change, answer));
        }
        if (kind === 'campaign' && change.fields?.includes('status')) {
          const action = { active: 'activate', paused: 'pause', ended: 'end' }[def.status as string];
          if (action) await remote.request('POST', `${path}/${change.id}/${action}`);
        }
        done.updated++;
      }
    }
  }
  for (const change of plan.changes) {
    if (change.action === 'delete') {
      await remote.request('DELETE', `/rules/${change.id}`);
      done.deleted++;
    }
  }
  return done;
}

/** The project's rules, rewards, budgets and campaigns, canonical, by id, and where each is. */
function readLocal(dir: string): {
  local: Record<SyncKind, Map<string, Definition>>;
  files: Map<string, string>;
  errors: FileProblem[];
  warnings: FileProblem[];
} {
  const project = loadProject(isProjectDir(dir) ? { root: dir } : { rules: [dir] });
  const local = {} as Record<SyncKind, Map<string, Definition>>;
  const files = new Map<string, string>();
  const errors = [...project.errors];
  for (const kind of SYNC_KINDS) {
    local[kind] = new Map();
    for (const e of project[`${kind}s`] as Entity<unknown>[]) {
      if (e.id === undefined) {
        errors.push({
          file: e.doc.shown,
          kind,
          name: e.name,
          severity: 'error',
          path: 'id',
          message: 'push needs an "id" (a UUID) on every definition, to match it with the server\'s',
        });
        continue;
      }
      local[kind].set(e.id, canonical(kind, e.raw as Record<string, unknown>));
      files.set(e.id, e.doc.shown);
    }
  }
  return { local, files, errors, warnings: project.warnings };
}

const ACTION_TEXT: Record<Change['action'], string> = {
  create: 'create',
  update: 'update',
  unchanged: 'unchanged',
  'remote-only': 'only on the server (kept; --prune deletes rules)',
  delete: 'delete (--prune)',
};

function printPlan(plan: PushPlan): void {
  const c = colours(process.stdout);
  const colour = (a: Change['action']) =>
    a === 'create' ? c.green : a === 'update' ? c.yellow : a === 'delete' ? c.red : c.dim;
  const width = Math.max(0, ...plan.changes.map((ch) => ch.name.length + 2));
  for (const ch of plan.changes) {
    const what = `${ACTION_TEXT[ch.action]}${ch.fields ? `: ${ch.fields.join(', ')}` : ''}`;
    process.stdout.write(
      `  ${ch.kind.padEnd(8)}  ${`"${ch.name}"`.padEnd(width)}  ${colour(ch.action)(what)}\n`,
    );
  }
  const count = (a: Change['action']) => plan.changes.filter((ch) => ch.action === a).length;
  process.stdout.write(
    `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged, ${count('remote-only')} only on the server\n`,
  );
}

interface SyncOptions {
  server: string;
  tenant: string;
  key: string;
  json?: boolean;
}

function remoteOf(opts: SyncOptions): Remote {
  if (!/^https?:\/\//i.test(opts.server))
    throw new UsageError(`--server must be an http(s) URL, not ${opts.server}`);
  return new Remote(opts);
}

function connectionOptions(command: Command): Command {
  return command
    .requiredOption('--server <url>', 'the LaaS server (default: $LAAS_SERVER)', process.env.LAAS_SERVER)
    .requiredOption('--tenant <id>', 'the tenant id (default: $LAAS_TENANT)', process.env.LAAS_TENANT)
    .requiredOption(
      '--key <key>',
      'an API key of the tenant: admin or manager (default: $LAAS_API_KEY)',
      process.env.LAAS_API_KEY,
    )
    .option('--json', 'print the result as JSON');
}

export function registerPushCommand(program: Command): void {
  connectionOptions(
    program
      .command('push')
      .description(
        "Validate a rules project and synchronise the server with it: create what is missing (with the files' ids), update what changed",
      )
      .argument('<dir>', 'a project directory (rules/, rewards/, budgets/, campaigns/)'),
  )
    .option('--dry-run', 'show what would change and send nothing')
    .option(
      '--prune',
      'delete rules the server has and the project does not (never rewards, budgets, campaigns)',
    )
    .option(
      '--no-strict',
      "push rules whose condition or quantity has warnings (an unknown variable such as event.ammount), printing the server's warnings",
    )
    .addHelpText(
      'after',
      [
        '',
        'The project is validated first (nothing is sent when it has errors, nor, unless --no-strict, when a',
        "rule's condition or quantity has warnings: a variable outside the rule context, see docs/rule-context.md;",
        'rules are sent with ?strict=true so that the server refuses them too). Then every rule, reward,',
        'budget and campaign is compared by id with the server: create / update (and which fields) /',
        'unchanged. Budgets, campaigns and rewards are applied before the rules that name them.',
        'Customers and voucher codes of the project are not pushed.',
        '',
        'Exit codes: 0 ok, 1 the project has errors or the server refused, 2 usage.',
        '',
        'Examples:',
        '  $ laas push --server http://localhost:8787 --tenant $TID --key $KEY examples/coffee-shop --dry-run',
        '  $ laas push --server http://localhost:8787 --tenant $TID --key $KEY examples/coffee-shop',
        '',
      ].join('\n'),
    )
    .action(
      async (dir: string, opts: SyncOptions & { dryRun?: boolean; prune?: boolean; strict: boolean }) => {
        if (!existsSync(dir) || !statSync(dir).isDirectory())
          throw new UsageError(`no such directory: ${dir}`);
        const remote = remoteOf(opts);
        const { local, files, errors: invalid, warnings } = readLocal(dir);
        const c = colours(process.stdout);
        // Strict: a rule that reads an unknown variable would save and then never match; refuse it
        // here, before anything is sent, rather than half-way through the push.
        const logicWarnings = opts.strict ? warnings.filter(isLogicWarning) : [];
        const errors = [...invalid, ...logicWarnings.map((w) => ({ ...w, severity: 'error' as const }))];
        if (errors.length > 0) {
          if (opts.json)
            process.stdout.write(`${JSON.stringify({ errors, warnings, applied: false }, null, 2)}\n`);
          else {
            for (const p of errors) process.stdout.write(`${formatProblem(p, c.red('error'))}\n`);
            if (logicWarnings.length > 0)
              process.stdout.write(
                `push is strict: a rule's unknown variables are errors (see docs/rule-context.md); --no-strict pushes them anyway\n`,
              );
            process.stdout.write(`${c.red(`${errors.length} error(s): nothing was sent`)}\n`);
          }
          process.exitCode = 1;
          return;
        }
        try {
          const plan = planPush(local, await remote.definitions(), { prune: opts.prune === true, files });
          if (!opts.json) {
            process.stdout.write(`push ${dir} → ${remote.base}\n`);
            printPlan(plan);
          }
          if (plan.errors.length > 0) {
            if (opts.json)
              process.stdout.write(
                `${JSON.stringify({ changes: plan.changes, errors: plan.errors, applied: false }, null, 2)}\n`,
              );
            else {
              for (const e of plan.errors) process.stdout.write(`${c.red('error')}: ${e}\n`);
              process.stdout.write(`${c.red('nothing was sent')}\n`);
            }
            process.exitCode = 1;
            return;
          }
          const pending = plan.changes.some(
            (ch) => ch.action === 'create' || ch.action === 'update' || ch.action === 'delete',
          );
          let done = { created: 0, updated: 0, deleted: 0, warnings: [] as ServerWarning[] };
          if (!opts.dryRun && pending) done = await applyPush(remote, plan, opts.strict);
          if (!opts.json) {
            for (const w of done.warnings) {
              const hint = w.suggestion === undefined ? '' : ` (did you mean ${w.suggestion}?)`;
              process.stdout.write(
                `${c.yellow('warning')}: rule "${w.rule}" (${w.id}) at ${w.path}: ${w.message}${hint}\n`,
              );
            }
          }
          if (opts.json) {
            process.stdout.write(
              `${JSON.stringify({ changes: plan.changes, applied: !opts.dryRun, ...done }, null, 2)}\n`,
            );
          } else if (opts.dryRun) {
            process.stdout.write('dry run: nothing was sent\n');
          } else {
            process.stdout.write(
              c.green(`applied: ${done.created} created, ${done.updated} updated, ${done.deleted} deleted\n`),
            );
          }
          process.exitCode = 0;
        } catch (error) {
          process.stderr.write(`laas push: ${(error as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );
}

/** A warning of a rule's condition or quantity (an unknown variable), not of its file or name. */
function isLogicWarning(p: FileProblem): boolean {
  return p.kind === 'rule' && /^(condition|quantity)([.[]|$)/.test(p.path);
}

// --- pull ------------------------------------------------------------------------------------

/** `Stamp card: every 5th visit!` → `stamp-card-every-5th-visit`. */
export function slug(name: string, fallback: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s === '' ? fallback : s;
}

export interface PulledFile {
  kind: SyncKind;
  id: string;
  name: string;
  file: string;
  status: 'created' | 'updated' | 'unchanged';
}

function render(def: Definition, file: string): string {
  const ext = extname(file).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? toYaml(def) : `${JSON.stringify(def, null, 2)}\n`;
}

export function registerPullCommand(program: Command): void {
  connectionOptions(
    program
      .command('pull')
      .description(
        "Write the server's rules, rewards, budgets and campaigns into a project directory, one file each",
      )
      .argument('<dir>', 'the project directory (created when missing)'),
  )
    .option('--format <json|yaml>', 'the format of new files (default json)', 'json')
    .addHelpText(
      'after',
      [
        '',
        'Each definition goes to <dir>/<rules|rewards|budgets|campaigns>/<slug of its name>.json, in the',
        "API's create schema with its id and every field. A definition already in a file of its own in",
        'the project (same id) is rewritten in place; files of definitions the server lacks are left alone.',
        '',
        'Exit codes: 0 ok, 1 the server refused, 2 usage.',
        '',
        'Examples:',
        '  $ laas pull --server http://localhost:8787 --tenant $TID --key $KEY ./my-shop',
        '  $ laas pull --server http://localhost:8787 --tenant $TID --key $KEY ./my-shop --format yaml',
        '',
      ].join('\n'),
    )
    .action(async (dir: string, opts: SyncOptions & { format: string }) => {
      if (opts.format !== 'json' && opts.format !== 'yaml') throw new UsageError('--format is json or yaml');
      if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`not a directory: ${dir}`);
      const remote = remoteOf(opts);
      try {
        const definitions = await remote.definitions();
        // Where the project already keeps each id (a file holding just that definition).
        const existing = new Map<string, string>();
        const taken = new Set<string>();
        if (existsSync(dir)) {
          const project = loadProject({ root: dir });
          for (const kind of SYNC_KINDS) {
            for (const e of project[`${kind}s`] as Entity<unknown>[]) {
              taken.add(e.doc.file);
              if (e.id !== undefined && e.at.length === 0) existing.set(e.id, e.doc.file);
            }
          }
        }
        const written: PulledFile[] = [];
        for (const kind of SYNC_KINDS) {
          const sub = join(dir, KIND_DIRS[kind]);
          for (const [id, def] of definitions[kind]) {
            let file = existing.get(id);
            if (file === undefined) {
              const ext = opts.format === 'yaml' ? '.yaml' : '.json';
              const base = slug(def.name, kind);
              file = join(sub, `${base}${ext}`);
              if (taken.has(file) || existsSync(file)) file = join(sub, `${base}-${id.slice(-12)}${ext}`);
            }
            taken.add(file);
            const text = render(def, file);
            let status: PulledFile['status'] = 'created';
            if (existsSync(file)) {
              status = readFileSync(file, 'utf8') === text ? 'unchanged' : 'updated';
            }
            if (status !== 'unchanged') {
              mkdirSync(sub, { recursive: true });
              writeFileSync(file, text);
            }
            written.push({ kind, id, name: def.name, file, status });
          }
        }
        if (opts.json) process.stdout.write(`${JSON.stringify({ files: written }, null, 2)}\n`);
        else {
          for (const w of written) process.stdout.write(`  ${w.status.padEnd(9)}  ${w.file}\n`);
          const n = (s: PulledFile['status']) => written.filter((w) => w.status === s).length;
          process.stdout.write(
            `pulled ${written.length} definition(s) from ${remote.base}: ${n('created')} new, ${n('updated')} updated, ${n('unchanged')} unchanged file(s)\n`,
          );
        }
        process.exitCode = 0;
      } catch (error) {
        process.stderr.write(`laas pull: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
