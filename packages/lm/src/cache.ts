/**
 * Where trained models are cached: option `cacheDir`, else env TRACEMARK_CACHE_DIR,
 * else `<repo>/.cache/tracemark` (the nearest ancestor of the working directory
 * with pnpm-workspace.yaml or .git), else `<cwd>/.cache/tracemark`.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function defaultCacheDir(): string {
  const env = process.env.TRACEMARK_CACHE_DIR;
  if (env) return resolve(env);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) || existsSync(join(dir, '.git'))) return join(dir, '.cache', 'tracemark');
    if (dirname(dir) === dir) return join(process.cwd(), '.cache', 'tracemark');
  }
}

/**
 * Write a file atomically: a temporary file in the same directory, then rename, so
 * a reader (or a concurrent writer) never sees a half-written model.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
