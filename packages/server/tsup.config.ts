import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  // import.meta.url in the CommonJS build too (docs.ts finds swagger-ui-dist with createRequire).
  shims: true,
  target: 'node20',
});
