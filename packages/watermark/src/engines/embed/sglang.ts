// SGLang Aaronson-Gumbel watermarked sampling (PR #37577, srt/sampling/watermarking/core.py:
// select_watermark_tokens_torch and WatermarkState), on the step's final distribution.
// Rows with top_k <= 1 (greedy) are never watermarked by SGLang: do not route them here.
import type { Rng } from '../../sampling/types.js';
import { SGLANG_MAX_CONTEXTS, sglangCoin, sglangContextHash, sglangHash, sglangMixingThreshold } from '../sglang.js';
import type { U64Words } from '../u64.js';
import { argmaxById, engineCandidates, drawIndex, type Candidates, type EngineDistribution, type EngineSampler, type EngineStep } from './common.js';

const TWO32 = 4294967296;

/**
 * The selection score ln(u)/p in float32 as torch computes it: u = (f32(H) + 0.5) / 2^32
 * (so H within 128 of 2^32 gives u = 1 and score 0), log and division in float32.
 * Candidates with p = 0 are never chosen (-inf).
 */
export function sglangSelectionScore(hash: number, prob: number): number {
  const pf = Math.fround(prob);
  if (!(pf > 0)) return -Infinity;
  const u = Math.fround(Math.fround(hash) + 0.5) / TWO32;
  return Math.fround(Math.fround(Math.log(u)) / pf);
}

/** Levels of f32 probability by binary exponent (level k: p < 2^(1-k)); the last holds everything smaller. */
const LEVELS = 160;
const HI_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const pBits = new Float64Array(1);
const pWords = new Int32Array(pBits.buffer);

/**
 * argmax over the candidates of ln(u_v)/p_v under the key chosen for this context (ties to
 * the lowest id), evaluated lazily with the same result: ln(u) < 0, so a candidate with
 * p_v < 2^(1−k) scores < ln(u_v)/2^(1−k), and once the best score is S every candidate
 * with u_v < e^{S·2^(1−k)} (a threshold on its hash per level, widened far beyond f32
 * rounding) scores below S: its logarithm is skipped. Every candidate still gets its hash.
 */
export function sglangSelectIndex(c: Candidates, key: U64Words, contextHash: number): number {
  const { n, ids, probs } = c;
  const thr = new Float64Array(LEVELS); // skip when hash < thr[level]
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < n; i++) {
    const hash = sglangHash(key, contextHash, ids[i]!);
    pBits[0] = probs[i]!;
    const e = (pWords[HI_WORD]! >>> 20) & 0x7ff;
    const k = e >= 1023 ? 0 : 1023 - e >= LEVELS ? LEVELS - 1 : 1023 - e;
    if (hash < thr[k]!) continue;
    const score = sglangSelectionScore(hash, probs[i]!);
    if (i === 0 || score > bestScore || (score === bestScore && ids[i]! < ids[best]!)) {
      const improved = score > bestScore;
      best = i;
      bestScore = score;
      if (improved && bestScore > -Infinity) {
        const a = bestScore * (1 + 1e-5) - 1e-30; // S widened (more negative) past f32 rounding
        for (let j = 0; j < LEVELS; j++) thr[j] = Math.floor(Math.exp(a * 2 ** (1 - j)) * (1 - 1e-6) * TWO32) - 512;
      }
    }
  }
  return best;
}

export interface SglangEmbedOptions {
  /** Key A as SGLang parses it (parseSglangKey). */
  readonly key: U64Words;
  /** Key B for the dual-key variant (keyed routing per context). */
  readonly keyB?: U64Words | null;
  /** Probability of key A in dual-key mode (default 0.5). */
  readonly mixingProbability?: number;
  /** h, default 4 (1..64). */
  readonly contextWindow?: number;
  /** Prompt ids: the first contexts take the prompt tail. */
  readonly prompt?: readonly number[];
  /** Contexts watermarked per request at most (default 4096). */
  readonly maxContexts?: number;
  /** Server's watermark max probability: a step whose top probability exceeds it is not watermarked (default 1). */
  readonly maxProbability?: number;
}

export interface SglangSampler extends EngineSampler {
  /** Context hashes watermarked so far in this request. */
  readonly watermarkedContexts: number;
}

/**
 * A per-request SGLang sampler. A step is watermarked iff its context (the last h tokens
 * of prompt + generated) is non-empty, its 32-bit hash was not watermarked before in this
 * request, fewer than maxContexts contexts were, and max p <= maxProbability; the hash is
 * then recorded. Other steps are ordinary draws.
 */
export function createSglangSampler(o: SglangEmbedOptions): SglangSampler {
  const h = o.contextWindow ?? 4;
  if (!Number.isInteger(h) || h < 1 || h > 64) throw new RangeError(`context window must be in 1..64 (got ${h})`);
  const mixing = o.mixingProbability ?? 0.5;
  if (o.keyB && !(mixing > 0 && mixing < 1)) throw new RangeError(`mixing probability must be strictly between 0 and 1 (got ${mixing})`);
  const threshold = sglangMixingThreshold(mixing);
  const cap = Math.min(o.maxContexts ?? SGLANG_MAX_CONTEXTS, SGLANG_MAX_CONTEXTS);
  const maxP = o.maxProbability ?? 1;
  const tokens: number[] = [...(o.prompt ?? [])];
  const seen = new Set<number>();
  const generated: number[] = [];
  return {
    generated,
    get watermarkedContexts() {
      return seen.size;
    },
    step(d: EngineDistribution, rng: Rng): EngineStep {
      const c = engineCandidates(d);
      const context = tokens.slice(Math.max(0, tokens.length - h));
      let top = 0;
      for (let i = 0; i < c.n; i++) top = Math.max(top, c.probs[i]!);
      const hash = context.length > 0 ? sglangContextHash(context) : 0;
      const eligible = context.length > 0 && !seen.has(hash) && seen.size < cap && Math.fround(top) <= maxP;
      let idx: number;
      if (eligible) {
        const useA = !o.keyB || sglangCoin(o.key, o.keyB, hash) < threshold;
        idx = sglangSelectIndex(c, useA ? o.key : o.keyB!, hash);
        seen.add(hash);
      } else idx = drawIndex(c.probs, rng);
      const token = c.ids[idx]!;
      tokens.push(token);
      generated.push(token);
      return { token, watermarked: eligible };
    },
  };
}
