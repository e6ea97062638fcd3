// Test helpers for the engine samplers: a fixed synthetic next-token model (Zipf-like,
// depending on the previous token), generation loops with and without a watermark, and
// simple statistics (chi-square, binomial bands).
import { seededRng } from '../../src/sampling/rng.js';
import type { Rng } from '../../src/sampling/types.js';
import { drawIndex, type EngineDistribution, type EngineSampler } from '../../src/engines/embed/index.js';

/**
 * p(v | prev) ∝ (rank(v) + 1)^-s with rank(v) = (a v + b) mod V, a odd and b derived from
 * prev (V a power of two, so v → rank is a bijection). `k` keeps the k most likely tokens
 * (candidate ids in rank order, i.e. not sorted by id).
 */
export class ZipfModel {
  readonly weights: Float64Array;
  constructor(
    readonly V = 4096,
    readonly s = 1.1,
  ) {
    if ((V & (V - 1)) !== 0) throw new Error('V must be a power of two');
    this.weights = Float64Array.from({ length: V }, (_, r) => (r + 1) ** -s);
  }

  private affine(prev: number): { a: number; b: number } {
    let h = Math.imul((prev + 0x9e3779b9) | 0, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return { a: ((h >>> 0) % this.V) | 1, b: (h >>> 12) % this.V };
  }

  /** The k most likely tokens after `prev` with their (renormalised) probabilities. */
  next(prev: number, k = this.V): { ids: Int32Array; probs: Float64Array } {
    const { a, b } = this.affine(prev);
    const V = this.V;
    // inverse of a modulo V (Newton: x ← x (2 − a x))
    let inv = a;
    for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(a, inv)) & (V - 1);
    const ids = new Int32Array(k);
    const probs = new Float64Array(k);
    let z = 0;
    for (let r = 0; r < k; r++) {
      ids[r] = Math.imul((r - b + V) & (V - 1), inv) & (V - 1);
      z += probs[r] = this.weights[r]!;
    }
    for (let r = 0; r < k; r++) probs[r]! /= z;
    return { ids, probs };
  }
}

export interface GenerateOptions {
  readonly length: number;
  readonly seed: number | string;
  readonly k?: number;
  /** First "previous" token (the prompt's last token); default 1. */
  readonly start?: number;
  /** Pass logits (ln p) instead of probabilities. */
  readonly asLogits?: boolean;
}

/** A sequence from `model` through `sampler` (or ordinary draws when sampler is null). */
export function generate(model: ZipfModel, sampler: EngineSampler | null, o: GenerateOptions): { tokens: number[]; watermarked: number } {
  const rng: Rng = seededRng(o.seed);
  let prev = o.start ?? 1;
  const tokens: number[] = [];
  let watermarked = 0;
  for (let i = 0; i < o.length; i++) {
    const { ids, probs } = model.next(prev, o.k);
    let token: number;
    if (sampler) {
      const d: EngineDistribution = o.asLogits ? { ids, logits: Array.from(probs, Math.log) } : { ids, probs };
      const r = sampler.step(d, rng);
      token = r.token;
      watermarked += r.watermarked ? 1 : 0;
    } else token = ids[drawIndex(probs, rng)]!;
    tokens.push(token);
    prev = token;
  }
  return { tokens, watermarked };
}

/** Pearson chi-square of observed counts against expected probabilities. */
export function chiSquare(counts: ArrayLike<number>, probs: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i]!;
  let x = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = n * probs[i]!;
    x += (counts[i]! - e) ** 2 / e;
  }
  return x;
}

/** 99.9% quantile of chi-square with 7 degrees of freedom (8 categories). */
export const CHI2_DF7_Q999 = 24.32;

/**
 * Two-sided band for the number of successes of Binomial(n, p) at about ±4 standard
 * deviations: a correct sampler leaves it with probability < 1e-4.
 */
export function binomialBand(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - 4 * sd, n * p + 4 * sd];
}
