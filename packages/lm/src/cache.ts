/**
 * Where trained models are cached: one per-user directory, the same from every
 * working directory. In order: the option `cacheDir` (ReferenceModelOptions), else
 * env TRACEMARK_CACHE_DIR, else `$XDG_CACHE_HOME/tracemark` (when XDG_CACHE_HOME is
 * an absolute path, as the XDG spec requires), else `~/.cache/tracemark`; only when
 * no home directory is known, `<cwd>/.cache/tracemark`.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The variables the cache directory depends on. */
export interface CacheDirEnv {
  TRACEMARK_CACHE_DIR?: string | undefined;
  XDG_CACHE_HOME?: string | undefined;
}

/** The cache directory as a pure function of the environment and the home directory (see the module comment). */
export function resolveCacheDir(env: CacheDirEnv, home: string, explicit?: string): string {
  if (explicit) return explicit;
  if (env.TRACEMARK_CACHE_DIR) return resolve(env.TRACEMARK_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'tracemark');
  if (home) return join(home, '.cache', 'tracemark');
  return resolve('.cache', 'tracemark');
}

function homeOrEmpty(): string {
  try {
    return homedir();
  } catch {
    return ''; // no HOME and no passwd entry
  }
}

/** This process's cache directory: resolveCacheDir(process.env, os.homedir(), explicit). */
export function defaultCacheDir(explicit?: string): string {
  return resolveCacheDir(process.env, homeOrEmpty(), explicit);
}
