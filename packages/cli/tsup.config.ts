import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  target: 'node20',
  // @laas/adapters-pg is an optional peer dependency, imported for postgres:// URLs: never bundled.
  external: ['@laas/adapters-pg', '@laas/adapters-sqlite'],
  // In the CommonJS build an adapter is require()d (its CommonJS build, on the same CommonJS
  // @laas/core as this one), not import()ed: one copy of the core's error classes per process.
  esbuildOptions(options, context) {
    if (context.format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
  },
});
