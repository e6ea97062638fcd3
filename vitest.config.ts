import { defineConfig } from 'vitest/config';

// Tests run against TypeScript sources: the "source" export condition maps
// each @tracemark/* package to its src/index.ts, so no build is needed first.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
