import { defineConfig } from 'vitest/config';

// One config for the whole workspace. Tests import the packages' TypeScript sources through the
// "@laas/source" export condition; the few that spawn built code get it from vitest.build.ts.
export default defineConfig({
  resolve: { conditions: ['@laas/source'] },
  ssr: { resolve: { conditions: ['@laas/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./vitest.build.ts', './vitest.postgres.ts'],
  },
});
