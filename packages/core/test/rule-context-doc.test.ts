import { readFileSync } from 'node:fs';
import { createRulesEngine } from '@laas/rules';
import { describe, expect, it } from 'vitest';
import { RULE_CONTEXT_SCHEMA, RULE_CONTEXT_VARIABLES, ruleContextMarkdown } from '../src/index.js';

const DOC = new URL('../../../docs/rule-context.md', import.meta.url);

describe('docs/rule-context.md', () => {
  it('is what RULE_CONTEXT_VARIABLES renders (regenerate with `pnpm docs:rule-context`)', () => {
    const committed = readFileSync(DOC, 'utf8');
    expect(
      committed === ruleContextMarkdown(),
      'docs/rule-context.md is stale: run `pnpm docs:rule-context` and commit the file',
    ).toBe(true);
  });

  it("lists every variable of the validator's schema, and each example validates without a warning", () => {
    const logic = createRulesEngine();
    const doc = ruleContextMarkdown();
    for (const v of RULE_CONTEXT_VARIABLES) {
      expect(doc).toContain(`| \`${v.path}`);
      const result = logic.validate(JSON.parse(v.example), { contextSchema: RULE_CONTEXT_SCHEMA });
      expect(result, `${v.path}: ${v.example}`).toEqual({ errors: [], warnings: [] });
    }
  });

  it('the schema built from the list checks what it checked before', () => {
    const logic = createRulesEngine();
    const warnings = (path: string) =>
      logic.validate({ var: path }, { contextSchema: RULE_CONTEXT_SCHEMA }).warnings;
    for (const ok of [
      'now.dow',
      'customer.stats.counts.visit',
      'customer.attributes.tier',
      'tenant.settings.currency',
    ])
      expect(warnings(ok), ok).toEqual([]);
    expect(warnings('event.ammount')).toEqual([expect.objectContaining({ suggestion: 'event.amount' })]);
    expect(warnings('customer.stats.total_spnd')).toEqual([
      expect.objectContaining({ suggestion: 'customer.stats.total_spend' }),
    ]);
    expect(warnings('now.weekday')[0]?.code).toBe('unknown_path');
    expect(Object.keys(RULE_CONTEXT_SCHEMA)).toEqual(['event', 'customer', 'tenant', 'now', 'referral']);
  });
});
