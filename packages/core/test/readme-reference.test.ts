import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ArgSpec, ENGINE_ARGUMENTS, signatureOf } from '../src/engine/arguments.js';

const table = ENGINE_ARGUMENTS as Readonly<Record<string, readonly ArgSpec[]>>;

describe('README reference', () => {
  it('lists every engine method with its arguments, and no method that does not exist', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = /^## Reference\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
    const listed = [...section.matchAll(/^- `engine\.([a-zA-Z.]+\([^)]*\))`/gm)].map((m) => m[1]);
    const expected = Object.entries(table).map(([path, specs]) => signatureOf(path, specs));
    expect(listed.sort()).toEqual(expected.sort());
  });
});
