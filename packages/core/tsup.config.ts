import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    money: 'src/money.ts',
    'rule-context': 'src/engine/rule-context-schema.ts',
  },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  target: 'node20',
  external: ['vitest', 'fast-check'],
  // One shared chunk for both entries in both formats: without it the CommonJS testing entry
  // bundled a second copy of the core (a second LaasError class, so instanceof failed across them).
  splitting: true,
});
