import { undocumentedExports } from '@laas/core/testing';
import { expect, it } from 'vitest';
import * as exported from '../src/index.js';

// The README's Reference section is the package's documented API: an export added without its
// line there fails here.
it('the README reference names every export of the package', () => {
  expect(undocumentedExports(new URL('../README.md', import.meta.url), Object.keys(exported))).toEqual([]);
});
