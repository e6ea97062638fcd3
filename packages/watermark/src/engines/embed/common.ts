// Shared pieces of the engine samplers: the step's candidate distribution, ordinary draws,
// the engines' argmax tie rule, truncation (for the one engine that biases before it) and
// the SynthID tournament reweighting.
import { prfBatch } from '../../kernel/prf-batch.js';
import type { Rng } from '../../sampling/types.js';

/**
 * One step's final distribution (the project's pipeline: model logits → ÷ temperature →
 * top-k → top-p → [watermark] → draw): the surviving candidates with their logits or
 * probabilities. Dropped tokens are simply absent (an engine holds them at −∞ / 0).
 */
export interface EngineDistribution {
  /** Distinct candidate token ids; absent: the dense vocabulary 0..n-1. */
  readonly ids?: ArrayLike<number>;
  /** Tempered, truncated logits of the candidates (any additive constant). */
  readonly logits?: ArrayLike<number>;
  /** Or their probabilities (normalised here). Give exactly one of logits / probs. */
  readonly probs?: ArrayLike<number>;
}

export interface EngineStep {
  readonly token: number;
  /** False when the engine samples this position without its watermark (dedup, too little context, ...). */
  readonly watermarked: boolean;
}

/** A per-request sampler: keeps the request's generated tokens and the engine's dedup state. */
export interface EngineSampler {
  step(dist: EngineDistribution, rng: Rng): EngineStep;
  /** The tokens generated so far in this request, oldest first. */
  readonly generated: readonly number[];
}

/** Normalised candidates: ids, logits (ln p + c) and probabilities (sum 1). */
export interface Candidates {
  readonly n: number;
  readonly ids: Int32Array;
  readonly logits: Float64Array;
  readonly probs: Float64Array;
}

export function engineCandidates(d: EngineDistribution): Candidates {
  if ((d.logits === undefined) === (d.probs === undefined)) throw new RangeError('give exactly one of logits or probs');
  const src = (d.logits ?? d.probs)!;
  const n = src.length;
  if (n === 0) throw new RangeError('empty candidate distribution');
  if (d.ids && d.ids.length !== n) throw new RangeError(`ids (${d.ids.length}) and ${d.logits ? 'logits' : 'probs'} (${n}) differ in length`);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = d.ids ? d.ids[i]! : i;
  const logits = new Float64Array(n);
  const probs = new Float64Array(n);
  if (d.logits) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (src[i]! > m) m = src[i]!;
    if (!(m > -Infinity) || Number.isNaN(m)) throw new RangeError('logits need one finite maximum');
    let z = 0;
    for (let i = 0; i < n; i++) {
      logits[i] = src[i]!;
      z += probs[i] = Math.exp(src[i]! - m);
    }
    for (let i = 0; i < n; i++) probs[i]! /= z;
  } else {
    let z = 0;
    for (let i = 0; i < n; i++) {
      const p = src[i]!;
      if (!(p >= 0)) throw new RangeError(`probabilities must be >= 0 (got ${p})`);
      z += p;
    }
    if (!(z > 0)) throw new RangeError('probabilities sum to 0');
    for (let i = 0; i < n; i++) {
      probs[i] = src[i]! / z;
      logits[i] = Math.log(probs[i]!);
    }
  }
  return { n, ids, logits, probs };
}

/** Ordinary sampling (inverse CDF with one rng draw): the engines' non-watermarked path. */
export function drawIndex(probs: ArrayLike<number>, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i]!;
  const u = rng() * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! <= 0) continue;
    acc += probs[i]!;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/** Softmax of logits shifted by `bias` on marked candidates, as probabilities. */
export function biasedProbs(c: Candidates, green: Uint8Array, bias: number): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < c.n; i++) m = Math.max(m, c.logits[i]! + (green[i] ? bias : 0));
  const out = new Float64Array(c.n);
  let z = 0;
  for (let i = 0; i < c.n; i++) z += out[i] = Math.exp(c.logits[i]! + (green[i] ? bias : 0) - m);
  for (let i = 0; i < c.n; i++) out[i]! /= z;
  return out;
}

/** Index of the largest score, ties to the lowest token id (torch.argmax over vocabulary order). */
export function argmaxById(ids: Int32Array, scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < ids.length; i++) {
    const s = scores[i]!;
    const b = scores[best]!;
    if (s > b || (s === b && ids[i]! < ids[best]!)) best = i;
  }
  return best;
}

/**
 * The k most probable candidate indexes, by decreasing probability, ties to the lower id
 * (one pass with a small sorted buffer: O(n) for k << n).
 */
export function rankByProb(c: Candidates, k = c.n): number[] {
  const before = (a: number, b: number): boolean => c.probs[a]! > c.probs[b]! || (c.probs[a] === c.probs[b] && c.ids[a]! < c.ids[b]!);
  if (k >= c.n) return Array.from({ length: c.n }, (_, i) => i).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const top: number[] = [];
  for (let i = 0; i < c.n; i++) {
    if (top.length === k && !before(i, top[k - 1]!)) continue;
    let j = top.length === k ? k - 1 : top.length;
    while (j > 0 && before(i, top[j - 1]!)) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  return top;
}

/**
 * Top-k then top-p on probabilities (vLLM's order; top-p keeps the smallest prefix of the
 * sorted list whose mass reaches p, and always the first token). Returns renormalised probs
 * with zeros for dropped candidates.
 */
export function truncateTopKTopP(probs: Float64Array, ids: Int32Array, topK = 0, topP = 1): Float64Array {
  const n = probs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || ids[a]! - ids[b]!);
  const keep = new Uint8Array(n);
  const k = topK > 0 ? Math.min(topK, n) : n;
  let mass = 0;
  for (let r = 0; r < k; r++) mass += probs[order[r]!]!;
  let acc = 0;
  for (let r = 0; r < k; r++) {
    keep[order[r]!] = 1;
    acc += probs[order[r]!]! / mass;
    if (topP < 1 && acc >= topP) break;
  }
  const out = new Float64Array(n);
  let z = 0;
  for (let i = 0; i < n; i++) if (keep[i]) z += out[i] = probs[i]!;
  for (let i = 0; i < n; i++) out[i]! /= z;
  return out;
}

/**
 * SynthID tournament reweighting (vLLM synthid, HF and synthid-text `_update_scores`):
 * for each layer l, p ← p · (1 + g_l − Σ_v g_l(v) p(v)). `g` holds candidate i's bit of
 * layer l at g[i * depth + l]. Given the bits packed as words too, the layers run in
 * WebAssembly (kernel/tournament-module.ts, the same floats) when the runtime has it.
 */
export function tournamentReweight(probs: Float64Array, depth: number, g: Uint8Array, packed?: { lo: Int32Array; hi: Int32Array }): Float64Array {
  // `packed`: the same bits as words (layer l = bit l of hi·2^32 + lo), as the kernel reads them
  const fast = packed && depth <= 64 ? prfBatch().reweight(probs, packed.lo, packed.hi, depth) : null;
  if (fast) return fast;
  const p = Float64Array.from(probs);
  for (let l = 0; l < depth; l++) {
    let mass = 0;
    for (let i = 0, j = l; i < p.length; i++, j += depth) if (g[j]) mass += p[i]!;
    for (let i = 0, j = l; i < p.length; i++, j += depth) p[i]! *= 1 + g[j]! - mass;
  }
  return p;
}

/** The same with layer l's bit of candidate i being bit l of words[i] (vLLM synthid). */
export function tournamentReweightWords(probs: Float64Array, depth: number, words: Uint32Array): Float64Array {
  const fast = depth <= 32 ? prfBatch().reweight(probs, words, null, depth) : null;
  if (fast) return fast;
  const p = Float64Array.from(probs);
  for (let l = 0; l < depth; l++) {
    let mass = 0;
    for (let i = 0; i < p.length; i++) if ((words[i]! >>> l) & 1) mass += p[i]!;
    for (let i = 0; i < p.length; i++) p[i]! *= 1 + ((words[i]! >>> l) & 1) - mass;
  }
  return p;
}
