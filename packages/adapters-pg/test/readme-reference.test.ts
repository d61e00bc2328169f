import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as exported from '../src/index.js';

// The README's Reference section is the package's documented API: an export added without its
// line there fails here.
it('the README reference names every export of the package', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.search(/^#{2,3} Reference$/m);
  expect(start).toBeGreaterThan(-1);
  const rest = readme.slice(readme.indexOf('\n', start));
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const missing = Object.keys(exported).filter((name) => !new RegExp(`\\b${name}\\b`).test(section));
  expect(missing).toEqual([]);
});
