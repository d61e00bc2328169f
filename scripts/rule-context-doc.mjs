// Writes docs/rule-context.md from the rule context the validator uses (@laas/core's
// RULE_CONTEXT_VARIABLES). Run through `pnpm docs:rule-context`, which builds @laas/core first.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleContextMarkdown } from '../packages/core/dist/index.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'rule-context.md');
writeFileSync(file, ruleContextMarkdown());
process.stdout.write(`wrote ${file}\n`);
