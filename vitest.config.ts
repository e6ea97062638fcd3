import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against TypeScript sources: each @tracemark/<dir> package maps to
// packages/<dir>/src/index.ts (the same target as its "source" export condition),
// and each subpath export (e.g. @tracemark/lm/testing) to its own "source" file,
// so no build is needed before `vitest run`. Anchored regexes: a string alias
// '@tracemark/lm' would also capture '@tracemark/lm/testing'.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const subpathExports = (dir: string): [string, string][] => {
  let exp: Record<string, { source?: string }> = {};
  try {
    exp = JSON.parse(readFileSync(`${packagesDir}${dir}/package.json`, 'utf8')).exports ?? {};
  } catch {
    /* not a package */
  }
  return Object.entries(exp).flatMap(([sub, t]) =>
    sub !== '.' && typeof t?.source === 'string' ? [[sub.slice(1), `${packagesDir}${dir}/${t.source.replace(/^\.\//, '')}`]] : [],
  );
};
const alias = readdirSync(packagesDir).flatMap((dir) => [
  ...subpathExports(dir).map(([sub, file]) => ({ find: new RegExp(`^@tracemark/${dir}${sub}$`), replacement: file })),
  { find: new RegExp(`^@tracemark/${dir}$`), replacement: `${packagesDir}${dir}/src/index.ts` },
]);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['packages/lm/test/cache-setup.ts'], // the suite's model cache: <repo>/.cache/tracemark, warmed once
    // vitest's default is one fork per core minus one: a single fork on a 2-core box.
    // The test files are CPU-bound (the CLI tests run in-process, see
    // packages/cli/test/helpers/cli.ts), so one fork per core.
    maxWorkers: availableParallelism(),
  },
});
