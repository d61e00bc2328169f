import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // The package tsconfig is a composite project (for `tsc --build`); the declaration bundler needs
  // a plain one, or it rejects every module that the entry imports.
  dts: { compilerOptions: { composite: false } },
  clean: true,
  target: 'node20',
  // better-sqlite3 is a peer dependency, kysely and @laas/core dependencies: never bundled.
  external: ['better-sqlite3', 'kysely', '@laas/core'],
});
