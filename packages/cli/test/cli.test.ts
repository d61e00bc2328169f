import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, laas, ROOT, serve } from './helpers.js';

const COMMANDS = ['validate', 'explain', 'dry-run', 'test', 'diff'];

describe('laas: help and exit codes', async () => {
  it.each(COMMANDS)('%s --help shows usage and an example, exit 0', async (command) => {
    const r = await laas([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: laas ${command}`);
    expect(r.stdout).toMatch(/Examples?:\n\s+\$ laas /);
    expect(r.stdout).toContain('Exit codes');
  });

  it('explain --help says where the variables a rule can read are documented', async () => {
    const r = await laas(['explain', '--help']);
    expect(r.stdout).toContain('docs/rule-context.md');
  });

  it('push --help documents --no-strict', async () => {
    const r = await laas(['push', '--help']);
    expect(r.stdout).toContain('--no-strict');
  });

  it('lists every command in the top-level help', async () => {
    const r = await laas(['--help']);
    expect(r.code).toBe(0);
    for (const c of [...COMMANDS, 'serve']) expect(r.stdout).toContain(c);
  });

  it('--version and -v print the version of @laas/cli, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const r = await laas([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
    expect((await laas(['--help'])).stdout).toContain('-v, --version');
  });

  it('exits 2 on usage errors: unknown command, missing option, bad choice, missing file', async () => {
    expect((await laas(['frobnicate'])).code).toBe(2);
    const missing = await laas(['dry-run', '--rules', 'examples/coffee-shop']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--events <file>'");
    expect((await laas(['dry-run', '--rules', 'x', '--events', 'y', '--store', 'disk'])).code).toBe(2);
    expect((await laas(['validate', 'no/such/dir'])).code).toBe(2);
    expect((await laas(['dry-run', '--rules', 'examples/coffee-shop', '--events', 'nope.jsonl'])).code).toBe(
      2,
    );
  });
});

describe('laas serve', () => {
  it('listens on $PORT when --port is not given', async () => {
    const port = await freePort();
    const db = join(mkdtempSync(join(tmpdir(), 'laas-port-')), 'laas.sqlite');
    const server = await serve(['--db', db], {
      env: { PORT: String(port), LAAS_ADMIN_TOKEN: 'admin-token' },
    });
    try {
      expect(server.port).toBe(port);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('laas validate', async () => {
  it('accepts the coffee-shop project (rules, rewards, budgets; JSON and YAML)', async () => {
    const r = await laas(['validate', 'examples/coffee-shop']);
    expect(r.stdout).toContain('0 error(s), 0 warning(s)');
    expect(r.stdout).toMatch(/2 rule\(s\), 2 reward\(s\), 1 budget\(s\)/);
    expect(r.code).toBe(0);
  });

  it('locates every error and warning by file, line, name and JSON path; exit 1; --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-validate-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'name: Typo rule',
        'event_types: [purchase]',
        'reward_id: 0192f1a0-0000-7000-8000-000000000001',
        'condition:',
        '  and:',
        '    - { ">": [{ var: event.ammount }, 100] }',
        '    - { frobnicate: [1] }',
        'caps:',
        '  - { scope: customer, max: 0, window: day }',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    const r = await laas(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad\.yaml:9:\d+: rule "Typo rule": error at caps\[0\]\.max: /);
    expect(r.stdout).toMatch(/bad\.yaml:7:\d+: rule "Typo rule": error at condition\.and\[1\]\.frobnicate/);
    expect(r.stdout).toMatch(
      /bad\.yaml:6:\d+: rule "Typo rule": warning at condition\.and\[0\]\[">"\]\[0\]\.var: .*did you mean event\.amount/,
    );
    expect(r.stdout).toMatch(/broken\.json: error at \$: not valid JSON/);
    const json = await laas(['validate', dir, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.files).toBe(2);
    expect(report.errors.map((e: { path: string }) => e.path)).toContain('caps[0].max');
    expect(report.warnings[0]).toMatchObject({
      kind: 'rule',
      name: 'Typo rule',
      line: 6,
      severity: 'warning',
    });
  });

  it('checks references between files of a project', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-refs-'));
    const rules = join(dir, 'rules');
    const rewards = join(dir, 'rewards');
    for (const d of [rules, rewards]) mkdirSync(d);
    writeFileSync(
      join(rewards, 'r.json'),
      JSON.stringify({ id: '0192f1a0-0000-7000-8000-00000000aaaa', name: 'Coffee', type: 'item' }),
    );
    writeFileSync(
      join(rules, 'r.json'),
      JSON.stringify({
        id: '0192f1a0-0000-7000-8000-00000000bbbb',
        name: 'R',
        event_types: ['visit'],
        reward_id: '0192f1a0-0000-7000-8000-00000000cccc',
      }),
    );
    const r = await laas(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'error at reward_id: no reward in the project has the id 0192f1a0-0000-7000-8000-00000000cccc',
    );
  });
});

describe('laas explain', async () => {
  it('prints the evaluation tree with each value; no colour when not a terminal', async () => {
    const r = await laas([
      'explain',
      '--rule',
      'examples/coffee-shop/rules/stamp-card.json',
      '--context',
      'examples/coffee-shop/contexts/fifth-visit.json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).toContain('Rule "Stamp card: every 5th visit earns a free coffee": matches');
    expect(r.stdout).toContain('✓ == = true');
    expect(r.stdout).toContain('├─   % = 0');
    expect(r.stdout).toContain('var "customer.stats.counts.visit" = 5');
  });

  it('--json gives the tree; a bare JsonLogic expression works; short-circuited branches are marked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laas-explain-'));
    writeFileSync(
      join(dir, 'expr.json'),
      JSON.stringify({ or: [{ '>': [{ var: 'event.amount' }, 100] }, { '==': [1, 1] }] }),
    );
    writeFileSync(join(dir, 'ctx.yaml'), 'event:\n  amount: 500\n  occurred_at: 2025-01-01T10:00:00Z\n');
    const r = await laas([
      'explain',
      '--rule',
      join(dir, 'expr.json'),
      '--context',
      join(dir, 'ctx.yaml'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rules[0].condition.matched).toBe(true);
    expect(out.rules[0].condition.tree.op).toBe('or');
    expect(out.rules[0].condition.tree.args[1].skipped).toBe(true);
    const text = await laas([
      'explain',
      '--rule',
      join(dir, 'expr.json'),
      '--context',
      join(dir, 'ctx.yaml'),
    ]);
    expect(text.stdout).toContain('skipped');
  });

  it('exit 1 when the context cannot be read', async () => {
    const r = await laas([
      'explain',
      '--rule',
      'examples/coffee-shop/rules/stamp-card.json',
      '--context',
      'package.json.nope',
    ]);
    expect(r.code).toBe(1);
  });
});
