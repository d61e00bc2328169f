import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRuleSchema, RULE_CONTEXT_SCHEMA } from '@laas/core';
import { createRulesEngine, type RuleProblem } from '@laas/rules';

export interface FileProblem {
  file: string;
  rule: string;
  severity: 'error' | 'warning';
  path: string;
  message: string;
  suggestion?: string;
}

export interface ValidateReport {
  files: number;
  rules: number;
  errors: FileProblem[];
  warnings: FileProblem[];
}

/** The JSON files under `target` (a file or a directory, searched recursively), sorted. */
export function ruleFiles(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .map((name) => join(target, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

/**
 * Validates rule files: each holds one rule or an array of rules in the API's JSON shape
 * (`POST /v1/tenants/:tid/rules`). Schema errors and JsonLogic errors are errors; `var` paths a
 * rule cannot read are warnings with a suggestion.
 */
export function validateRuleFiles(targets: string[], cwd = process.cwd()): ValidateReport {
  const logic = createRulesEngine();
  const report: ValidateReport = { files: 0, rules: 0, errors: [], warnings: [] };
  for (const file of targets.flatMap(ruleFiles)) {
    report.files++;
    const shown = relative(cwd, file) || file;
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      report.errors.push({
        file: shown,
        rule: '-',
        severity: 'error',
        path: '$',
        message: `not valid JSON: ${(error as Error).message}`,
      });
      continue;
    }
    const rules = Array.isArray(content) ? content : [content];
    rules.forEach((rule, index) => {
      report.rules++;
      const name =
        typeof rule === 'object' && rule !== null && typeof (rule as { name?: unknown }).name === 'string'
          ? (rule as { name: string }).name
          : `#${index + 1}`;
      const parsed = createRuleSchema.safeParse(rule);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          report.errors.push({
            file: shown,
            rule: name,
            severity: 'error',
            path: issue.path.join('.') || '$',
            message: issue.message,
          });
        }
      }
      const record = (typeof rule === 'object' && rule !== null ? rule : {}) as Record<string, unknown>;
      for (const field of ['condition', 'quantity'] as const) {
        if (record[field] === undefined) continue;
        const result = logic.validate(record[field], { contextSchema: RULE_CONTEXT_SCHEMA });
        const located =
          (severity: 'error' | 'warning') =>
          (p: RuleProblem): FileProblem => ({
            file: shown,
            rule: name,
            severity,
            path: `${field}${p.path.replace(/^\$/, '')}`,
            message: p.message,
            ...(p.suggestion === undefined ? {} : { suggestion: p.suggestion }),
          });
        report.errors.push(...result.errors.map(located('error')));
        report.warnings.push(...result.warnings.map(located('warning')));
      }
    });
  }
  return report;
}
