/**
 * Where trained models are cached: option `cacheDir`, else env TRACEMARK_CACHE_DIR,
 * else `<repo>/.cache/tracemark` (the nearest ancestor of the working directory
 * with pnpm-workspace.yaml or .git), else `<cwd>/.cache/tracemark`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function defaultCacheDir(): string {
  const env = process.env.TRACEMARK_CACHE_DIR;
  if (env) return resolve(env);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) || existsSync(join(dir, '.git'))) return join(dir, '.cache', 'tracemark');
    if (dirname(dir) === dir) return join(process.cwd(), '.cache', 'tracemark');
  }
}
