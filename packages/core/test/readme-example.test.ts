import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, memoryStore } from '../src/index.js';

describe('README example', () => {
  it('runs as written and issues on the 5th visit', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(code).toContain('createEngine');
    const body = code
      .replace(/^import .*$/m, '')
      .replace('console.log(result.decisions[0].outcome);', 'return result;');
    const run = new Function('createEngine', 'memoryStore', `return (async () => { ${body} })();`) as (
      ...args: unknown[]
    ) => Promise<{ decisions: Array<{ outcome: string }> }>;
    const result = await run(createEngine, memoryStore);
    expect(result.decisions[0]?.outcome).toBe('issued');
  });
});
