import { RULE_CONTEXT_VARIABLES } from '@laas/core';
import { describe, expect, it } from 'vitest';
import { RULE_CONTEXT_VARIABLES as CONSOLE_COPY } from '../src/lib/rule-context.js';

describe("the console's copy of the rule context", () => {
  it('is the list core validates against (run `pnpm --filter @laas/console rule-context` when it fails)', () => {
    expect(CONSOLE_COPY).toEqual(
      RULE_CONTEXT_VARIABLES.map((v) => ({
        path: v.path,
        type: v.type,
        meaning: v.meaning,
        example: v.example,
      })),
    );
  });
});
