import { localNow, RULE_CONTEXT_SCHEMA } from '@laas/core';
import { createRulesEngine, type ExplainNode, isTruthy } from '@laas/rules';
import type { Command } from 'commander';
import { readDoc } from '../files.js';
import { colours } from '../output.js';
import { UsageError } from '../usage.js';

export interface ExplainedRule {
  name: string;
  id: string | null;
  condition: { matched: boolean; value: unknown; tree: ExplainNode };
  quantity: { value: unknown; tree: ExplainNode } | null;
}

type Colours = ReturnType<typeof colours>;

function show(value: unknown, max = 60): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function label(node: ExplainNode, c: Colours): string {
  if (node.skipped) return c.dim(`${node.op === 'literal' ? 'value' : node.op} (skipped: not evaluated)`);
  if (node.op === 'literal') return show(node.value);
  if (node.op === 'var' || node.op === 'missing' || node.op === 'missing_some') {
    const args = (node.args ?? []).map((a) => (a.op === 'literal' ? show(a.value, 80) : '…')).join(', ');
    return `${c.cyan(node.op)} ${args} ${c.dim('=')} ${colourValue(node.value, c)}`;
  }
  return `${c.cyan(node.op === 'array' ? '[…]' : node.op)} ${c.dim('=')} ${colourValue(node.value, c)}`;
}

function colourValue(value: unknown, c: Colours): string {
  if (value === true) return c.green('true');
  if (value === false) return c.red('false');
  return c.bold(show(value));
}

function mark(node: ExplainNode, c: Colours): string {
  if (node.skipped) return c.dim('·');
  if (node.value === true) return c.green('✓');
  if (node.value === false) return c.red('✗');
  return ' ';
}

/** The evaluation tree as indented lines: each sub-expression with its value. */
export function renderTree(root: ExplainNode, c: Colours): string[] {
  const lines: string[] = [];
  const walk = (node: ExplainNode, prefix: string, branch: string, last: boolean) => {
    lines.push(`${prefix}${branch}${mark(node, c)} ${label(node, c)}`);
    const inline = node.op === 'var' || node.op === 'missing' || node.op === 'missing_some';
    const kids = inline ? (node.args ?? []).filter((a) => a.op !== 'literal') : (node.args ?? []);
    const childPrefix = prefix + (branch === '' ? '' : last ? '   ' : '│  ');
    kids.forEach((kid, i) => {
      walk(kid, childPrefix, i === kids.length - 1 ? '└─ ' : '├─ ', i === kids.length - 1);
    });
  };
  walk(root, '', '', true);
  return lines;
}

function buildContext(
  raw: unknown,
  timezone: string | undefined,
): { context: Record<string, unknown>; env: { now: Date; timeZone: string } } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError('the context file must hold an object { event, customer, tenant, now }');
  }
  const context = { ...(raw as Record<string, unknown>) };
  const tenant = (context.tenant ?? {}) as Record<string, unknown>;
  const timeZone = timezone ?? (typeof tenant.timezone === 'string' ? tenant.timezone : 'UTC');
  context.tenant = { ...tenant, timezone: timeZone };
  const event = (context.event ?? {}) as Record<string, unknown>;
  let iso: string;
  const now = context.now as Record<string, unknown> | undefined;
  if (now !== undefined && typeof now.iso === 'string') iso = new Date(now.iso).toISOString();
  else if (typeof event.occurred_at === 'string') iso = new Date(event.occurred_at).toISOString();
  else iso = new Date().toISOString();
  if (Number.isNaN(Date.parse(iso)))
    throw new UsageError('the context has an invalid now.iso / event.occurred_at');
  if (now === undefined) context.now = localNow(iso, timeZone);
  return { context, env: { now: new Date(iso), timeZone } };
}

export function explainFile(
  ruleFile: string,
  contextFile: string,
  options: { name?: string; timezone?: string } = {},
): ExplainedRule[] {
  const ruleDoc = readDoc(ruleFile);
  if (!ruleDoc.ok) throw new UsageError(`${ruleDoc.shown}: ${ruleDoc.message}`);
  const ctxDoc = readDoc(contextFile);
  if (!ctxDoc.ok) throw new UsageError(`${ctxDoc.shown}: ${ctxDoc.message}`);
  const { context, env } = buildContext(ctxDoc.doc.content, options.timezone);
  const content = ruleDoc.doc.content;
  const items = (Array.isArray(content) ? content : [content]) as unknown[];
  const rules = items.map((item, i) => {
    const isRule = typeof item === 'object' && item !== null && !Array.isArray(item) && 'condition' in item;
    const r = (isRule ? item : { name: `expression`, condition: item }) as Record<string, unknown>;
    return {
      name: typeof r.name === 'string' ? r.name : `#${i + 1}`,
      id: typeof r.id === 'string' ? r.id : null,
      condition: r.condition ?? true,
      quantity: isRule ? (r.quantity ?? null) : null,
    };
  });
  const chosen =
    options.name === undefined
      ? rules
      : rules.filter((r) => r.name === options.name || r.id === options.name);
  if (chosen.length === 0) {
    throw new UsageError(
      `no rule named "${options.name}" in ${ruleDoc.doc.shown} (it has: ${rules.map((r) => r.name).join(', ')})`,
    );
  }
  const logic = createRulesEngine();
  return chosen.map((r) => {
    const problems = logic.validate(r.condition, { contextSchema: RULE_CONTEXT_SCHEMA });
    if (problems.errors.length > 0) {
      const first = problems.errors[0];
      throw new UsageError(
        `rule "${r.name}": the condition is invalid at ${first?.path}: ${first?.message} (run laas validate)`,
      );
    }
    const tree = logic.compile(r.condition).explain(context, env);
    const quantityTree = r.quantity === null ? null : logic.compile(r.quantity).explain(context, env);
    return {
      name: r.name,
      id: r.id,
      condition: { matched: isTruthy(tree.value), value: tree.value, tree },
      quantity: quantityTree === null ? null : { value: quantityTree.value, tree: quantityTree },
    };
  });
}

export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description("Evaluate a rule's condition against a context and show every sub-expression with its value")
    .requiredOption(
      '--rule <file>',
      'a rule file (JSON or YAML; one rule, an array of rules, or a bare JsonLogic expression)',
    )
    .requiredOption(
      '--context <file>',
      'the rule context { event, customer, tenant, now } as JSON or YAML; now is derived from event.occurred_at when absent',
    )
    .option('--name <name>', 'explain only the rule with this name or id (for files holding several)')
    .option(
      '--timezone <zone>',
      'IANA time zone for now and the time operators (default: tenant.timezone, else UTC)',
    )
    .option('--json', 'print the evaluation trees as JSON')
    .addHelpText(
      'after',
      '\nThe variables a rule can read (event.*, customer.*, customer.stats.*, tenant.*, now.*), with their types and\nmeanings: docs/rule-context.md in the LaaS repository (also in the server\'s /openapi.json, tag "rules").\n\nExit codes: 0 explained, 1 the rule or context could not be read, 2 usage.\n\nExample:\n  $ laas explain --rule examples/coffee-shop/rules/stamp-card.json --context examples/coffee-shop/contexts/fifth-visit.json\n',
    )
    .action((opts: { rule: string; context: string; name?: string; timezone?: string; json?: boolean }) => {
      let explained: ExplainedRule[];
      try {
        explained = explainFile(opts.rule, opts.context, {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.timezone === undefined ? {} : { timezone: opts.timezone }),
        });
      } catch (error) {
        process.stderr.write(`laas explain: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ rules: explained }, null, 2)}\n`);
        return;
      }
      const c = colours(process.stdout);
      const out: string[] = [];
      for (const r of explained) {
        const verdict = r.condition.matched ? c.green('matches') : c.red('does not match');
        out.push(`${c.bold(`Rule "${r.name}"`)}: ${verdict}`);
        out.push('condition:');
        out.push(...renderTree(r.condition.tree, c).map((l) => `  ${l}`));
        if (r.quantity !== null) {
          out.push(`quantity: ${show(r.quantity.value)}`);
          out.push(...renderTree(r.quantity.tree, c).map((l) => `  ${l}`));
        }
        out.push('');
      }
      process.stdout.write(`${out.join('\n')}`);
    });
}
