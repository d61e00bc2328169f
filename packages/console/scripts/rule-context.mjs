// Writes src/lib/rule-context.ts: the variables a rule can read (core's RULE_CONTEXT_VARIABLES, the
// list docs/rule-context.md is generated from) for the rule editor's picker. The console cannot
// import @laas/core in the browser bundle, so it gets a copy; test/rule-context.test.ts fails when
// the copy is stale. Run: pnpm --filter @laas/console rule-context (after building @laas/core).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULE_CONTEXT_VARIABLES } from '@laas/core';

export function ruleContextModule(variables) {
  const rows = variables.map(
    (v) => `  ${JSON.stringify({ path: v.path, type: v.type, meaning: v.meaning, example: v.example })},`,
  );
  return [
    '// Generated from RULE_CONTEXT_VARIABLES (packages/core/src/engine/rule-context-schema.ts) by',
    '// packages/console/scripts/rule-context.mjs. Do not edit by hand: test/rule-context.test.ts fails when stale.',
    '',
    '/** One variable a rule can read (docs/rule-context.md). A type starting with `object` accepts any key below. */',
    'export interface RuleContextVariable {',
    '  path: string;',
    '  type: string;',
    '  meaning: string;',
    '  example: string;',
    '}',
    '',
    'export const RULE_CONTEXT_VARIABLES: readonly RuleContextVariable[] = [',
    ...rows,
    '];',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(dirname(fileURLToPath(import.meta.url)), '../src/lib/rule-context.ts');
  writeFileSync(out, ruleContextModule(RULE_CONTEXT_VARIABLES));
  console.log(`wrote ${out} (${RULE_CONTEXT_VARIABLES.length} variables)`);
}
