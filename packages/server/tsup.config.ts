import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  // import.meta.url in the CommonJS build too (docs.ts finds swagger-ui-dist with createRequire).
  shims: true,
  target: 'node20',
  // Optional peer dependencies, imported when a database of their kind is opened: never bundled.
  external: ['@laas/adapters-pg', '@laas/adapters-sqlite'],
  // In the CommonJS build an adapter is require()d (its CommonJS build, on the same CommonJS
  // @laas/core as this one), not import()ed: one copy of the core's error classes per process.
  esbuildOptions(options, context) {
    if (context.format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
  },
});
