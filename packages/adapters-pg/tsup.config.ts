import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // The package tsconfig is a composite project (for `tsc --build`); the declaration bundler needs
  // a plain one, or it rejects every module that the entry imports.
  dts: { compilerOptions: { composite: false } },
  clean: true,
  target: 'node20',
  // pg is a peer dependency and kysely a dependency: never bundled.
  external: ['pg', 'kysely', '@laas/core'],
});
