/**
 * Short human prompts: the first few words of sentences from the held-out split,
 * so a language model trained on the 'train' split has never seen them.
 */
import { humanText } from './split.js';
import type { Split } from './types.js';

export interface PromptSetOptions {
  /** Words per prompt are drawn uniformly from [minWords, maxWords] (defaults 4 and 10). */
  minWords?: number;
  maxWords?: number;
  /** Default 'heldout'. */
  split?: Split;
}

/** mulberry32: a small seeded generator so the package needs no dependency for sampling. */
function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// Sentences usable as prompt sources: start with a capital letter, mostly words.
const cachedPool = new Map<Split, string[][]>();
function pool(split: Split): string[][] {
  let p = cachedPool.get(split);
  if (!p) {
    p = [];
    for (const doc of humanText({ split })) {
      for (const s of doc.sentences) {
        if (!/^[A-Z][a-z]/.test(s)) continue;
        const words = s.split(' ');
        if (words.length >= 8 && words.every((w) => w.length <= 30)) p.push(words);
      }
    }
    cachedPool.set(split, p);
  }
  return p;
}

/**
 * n distinct sentence starts, deterministic in (n, seed, options). Each prompt is a
 * sentence's first k words (k uniform in [minWords, maxWords], always leaving at
 * least two words of the sentence out), without trailing punctuation.
 */
export function promptSet(n: number, seed: number, opts: PromptSetOptions = {}): string[] {
  const minWords = opts.minWords ?? 4;
  const maxWords = opts.maxWords ?? 10;
  if (!Number.isInteger(n) || n < 0) throw new Error(`promptSet: n must be a non-negative integer (got ${n})`);
  if (!Number.isInteger(seed)) throw new Error(`promptSet: seed must be an integer (got ${seed})`);
  if (!Number.isInteger(minWords) || !Number.isInteger(maxWords) || minWords < 1 || maxWords < minWords || maxWords > 30) {
    throw new Error(`promptSet: need integers 1 ≤ minWords ≤ maxWords ≤ 30 (got ${minWords}, ${maxWords})`);
  }
  const sentences = pool(opts.split ?? 'heldout');
  if (n > sentences.length) {
    throw new Error(`promptSet: asked for ${n} prompts but the split has only ${sentences.length} usable sentences`);
  }
  const rand = rng32(seed);
  // Partial Fisher–Yates over indices: n distinct sentences without copying the pool.
  const picked = new Map<number, number>();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (sentences.length - i));
    const idx = picked.get(j) ?? j;
    picked.set(j, picked.get(i) ?? i);
    const words = sentences[idx]!;
    const k = Math.min(minWords + Math.floor(rand() * (maxWords - minWords + 1)), words.length - 2);
    out.push(words.slice(0, k).join(' ').replace(/[\s,;:(\-"']+$/, ''));
  }
  return out;
}
