// vLLM's watermarked sampling (vllm/v1/watermarking: gumbel.py, red_green.py, synthid.py,
// sbw.py; gpu_sampler.py for the context and the generation-side dedup), on the step's final
// candidate distribution. Greedy requests (temperature 0) are never watermarked by vLLM:
// do not route them here.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Rng } from '../../sampling/types.js';
import { sbwIsGreen, sbwKey, sbwLefthashGeneratorSeed, sbwSelfhashSeedWords, sbwWordOf, type SbwSeeding } from '../sbw.js';
import { checkRange, i64FromBigInt, toBigInt, wordsOf, type U64Words } from '../u64.js';
import { deriveVllmKey, redGreenIsGreen } from '../vllm.js';
import { absorbContext, hmacKeyBytes, philoxBlockWords, philoxLegacyWord, vllmUniform, type VllmPrfName } from '../vllm-prf.js';
import {
  argmaxById,
  biasedProbs,
  engineCandidates,
  drawIndex,
  tournamentReweightWords,
  truncateTopKTopP,
  type Candidates,
  type EngineDistribution,
  type EngineSampler,
  type EngineStep,
} from './common.js';
import { philoxManyWasm } from '../../kernel/engine-kernel.js';
import { VllmHistory, type VllmDedupMode } from './vllm-history.js';

const MAX_U64 = (1n << 64n) - 1n;
const FLT_MIN = 2 ** -126;

/** A vLLM key prepared for one PRF. */
export interface VllmPrfKey {
  readonly prf: VllmPrfName;
  readonly words: U64Words;
  readonly hmacKey: Uint8Array | null;
}

export function vllmPrfKey(prf: VllmPrfName, key: bigint | number | string): VllmPrfKey {
  const k = toBigInt(key);
  if (prf === 'hmac_sha256') return { prf, words: { lo: 0, hi: 0 }, hmacKey: hmacKeyBytes(k) };
  return { prf, words: wordsOf(checkRange(k, 0n, MAX_U64, 'vLLM key')), hmacKey: null };
}

const HMAC_TAG = new TextEncoder().encode('vllm-watermark-hmac-sha256-v1\0');

function putI64(dv: DataView, off: number, x: number): void {
  dv.setUint32(off, x >>> 0, true);
  dv.setInt32(off + 4, x < 0 ? -1 : Math.floor(x / 4294967296), true);
}

/**
 * The PRF word of every candidate after `context` (stream 0): the context is absorbed once,
 * Philox blocks of 4 tokens are shared, HMAC reuses the keyed prefix state.
 */
export function vllmCandidateWords(k: VllmPrfKey, context: ArrayLike<number>, ids: Int32Array, out = new Uint32Array(ids.length)): Uint32Array {
  if (k.hmacKey) {
    const prefix = new Uint8Array(HMAC_TAG.length + 4 + 8 * context.length);
    prefix.set(HMAC_TAG, 0);
    const dv = new DataView(prefix.buffer);
    dv.setUint32(HMAC_TAG.length, context.length, true);
    for (let i = 0; i < context.length; i++) putI64(dv, HMAC_TAG.length + 4 + 8 * i, context[i]!);
    const base = hmac.create(sha256, k.hmacKey).update(prefix);
    const tok = new Uint8Array(8);
    const tdv = new DataView(tok.buffer);
    for (let i = 0; i < ids.length; i++) {
      putI64(tdv, 0, ids[i]!);
      const d = base.clone().update(tok).digest();
      out[i] = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
    }
    return out;
  }
  const state = absorbContext(k.words, context);
  if (ids.length >= 64 && philoxBatch(k, state, ids, out)) return out;
  if (k.prf === 'philox_legacy') {
    for (let i = 0; i < ids.length; i++) out[i] = philoxLegacyWord(k.words, state, ids[i]!);
    return out;
  }
  const block = new Uint32Array(4);
  let at = -1;
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]! >>> 0;
    if (t >>> 2 !== at) philoxBlockWords(k.words, state, (at = t >>> 2), block);
    out[i] = block[t & 3]!;
  }
  return out;
}

/** "WMTK", the token tag of vLLM's Philox key word (vllm-prf.ts). */
const VLLM_TOKEN_TAG = 0x574d544b;

/**
 * vllmCandidateWords' Philox layouts in one WebAssembly call (kernel/engine-kernel.ts):
 * the blocks of 4 ids between the smallest and largest candidate (when there are no
 * more of them than candidates), or one counter per id (legacy). False when WebAssembly
 * is unavailable or the ids are too sparse: the caller computes them in JavaScript.
 */
function philoxBatch(k: VllmPrfKey, state: Uint32Array, ids: Int32Array, out: Uint32Array): boolean {
  const k0 = (k.words.lo ^ state[3]!) >>> 0;
  const k1 = (k.words.hi ^ VLLM_TOKEN_TAG) >>> 0;
  try {
    if (k.prf === 'philox_legacy') {
      const w = philoxManyWasm(ids, ids.length, state[0]!, state[1]!, state[2]!, k0, k1);
      for (let i = 0; i < ids.length; i++) out[i] = w[4 * i]!;
      return true;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < ids.length; i++) {
      const b = ids[i]! >>> 2;
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    const nb = hi - lo + 1;
    if (nb > ids.length) return false;
    const blocks = new Uint32Array(nb);
    for (let b = 0; b < nb; b++) blocks[b] = lo + b;
    const w = philoxManyWasm(blocks, nb, state[0]!, state[1]!, state[2]!, k0, k1);
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i]! >>> 0;
      out[i] = w[4 * ((t >>> 2) - lo) + (t & 3)]!;
    }
    return true;
  } catch {
    return false; // no WebAssembly here (a browser page whose CSP refuses it)
  }
}

/** vLLM's f32 Gumbel noise −ln(−ln(max(u, FLT_MIN))) of a PRF word, as torch computes it. */
function vllmNoise(word: number): number {
  const u = Math.max(vllmUniform(word), FLT_MIN);
  return -Math.fround(Math.log(Math.fround(-Math.fround(Math.log(u)))));
}

/** Half-nat levels of f32 logit depth below the largest (the last holds everything deeper). */
const LEVELS = 64;

/**
 * vLLM's Gumbel-max choice, float32 as torch computes it: argmax(logit − ln(−ln(max(u, FLT_MIN))))
 * with ties to the lowest id, evaluated lazily with the same result. The noise grows with
 * the word (u = (word >>> 8) + 1 over 2^24 + 1), so with the best score S so far a
 * candidate whose f32 logit is at depth level k (≤ M − k/2) can only reach S if its noise
 * is ≥ S − M + k/2; below a per-level threshold on word >>> 8 (widened by a margin far
 * above f32 rounding) its score is certainly < S and its two logarithms are skipped.
 */
export function vllmGumbelIndex(c: Candidates, words: Uint32Array): number {
  const { n, ids, logits } = c;
  let M = -Infinity;
  for (let i = 0; i < n; i++) M = Math.max(M, Math.fround(logits[i]!));
  const thr = new Float64Array(LEVELS); // skip when (word >>> 8) < thr[level]
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < n; i++) {
    const lf = Math.fround(logits[i]!);
    const d = (M - lf) * 2;
    const k = d >= LEVELS - 1 ? LEVELS - 1 : d | 0; // NaN (−∞ logits): level 0, never skipped
    if (words[i]! >>> 8 < thr[k]!) continue;
    const score = Math.fround(lf + vllmNoise(words[i]!));
    if (score > bestScore || (score === bestScore && ids[i]! < ids[best]!) || i === 0) {
      const improved = score > bestScore;
      best = i;
      bestScore = score;
      if (improved && bestScore > -Infinity) {
        const slack = 1e-3 + 1e-6 * (Math.abs(bestScore) + Math.abs(M));
        for (let j = 0; j < LEVELS; j++) {
          // noise < τ ⇔ u < exp(−exp(−τ)); thresholds one below, with a relative margin
          const tau = bestScore - M + j / 2 - slack;
          thr[j] = Math.floor(Math.exp(-Math.exp(-tau)) * (1 - 1e-6) * 16777217) - 1;
        }
      }
    }
  }
  return best;
}

/**
 * The candidates that can still win vLLM's Gumbel-max. The f32 noise −ln(−ln u) of a vLLM
 * uniform lies in [−2.8116, 16.6356] (u in [f32(1/(2^24+1)), 1 − 2^-24]), so a logit more
 * than 19.4473 (+ a rounding margin) below the largest never wins: skipping it changes no
 * token and saves its PRF call. null when every candidate is a contender.
 */
export function gumbelContenders(c: Candidates): Int32Array | null {
  let m = -Infinity;
  for (let i = 0; i < c.n; i++) if (c.logits[i]! > m) m = c.logits[i]!;
  const cut = Math.fround(m) - 19.4473 - (0.01 + 1e-6 * Math.abs(m));
  let live = 0;
  for (let i = 0; i < c.n; i++) if (Math.fround(c.logits[i]!) >= cut) live++;
  if (live === c.n) return null;
  const out = new Int32Array(live);
  for (let i = 0, j = 0; i < c.n; i++) if (Math.fround(c.logits[i]!) >= cut) out[j++] = i;
  return out;
}

/** vLLM's Gumbel-max token index under one key, computing the PRF for contenders only. */
export function vllmGumbelChoose(c: Candidates, k: VllmPrfKey, context: ArrayLike<number>): number {
  const live = gumbelContenders(c);
  if (!live) return vllmGumbelIndex(c, vllmCandidateWords(k, context, c.ids));
  const sub: Candidates = {
    n: live.length,
    ids: Int32Array.from(live, (i) => c.ids[i]!),
    logits: Float64Array.from(live, (i) => c.logits[i]!),
    probs: Float64Array.from(live, (i) => c.probs[i]!),
  };
  return live[vllmGumbelIndex(sub, vllmCandidateWords(k, context, sub.ids))]!;
}

export type VllmAlgorithm = 'gumbel' | 'dual_key_gumbel' | 'red_green' | 'synthid' | 'sbw';

export interface VllmEmbedOptions {
  readonly algorithm: VllmAlgorithm;
  /** The engine's integer key (0..2^64-1; HMAC: 0..2^256-1; SBW: < 2^63). */
  readonly key: bigint | number | string;
  /** gumbel only (dual key, red_green and synthid run on Philox; SBW has its own). Default philox. */
  readonly prf?: VllmPrfName;
  /** Default 4 (SBW lefthash: 1). */
  readonly contextWidth?: number;
  /** Generation-side dedup, default "single_turn". */
  readonly dedup?: VllmDedupMode;
  readonly maxHistory?: number | null;
  /** Prompt ids, searched by dedup "all" only. */
  readonly prompt?: readonly number[];
  /** dual_key_gumbel: probability of key B (default 0.1). */
  readonly alpha?: number;
  /** red_green (0.25, 2.0), sbw (0.5, 2.0). */
  readonly gamma?: number;
  readonly delta?: number;
  /** synthid depth 1..32 (default 32). */
  readonly depth?: number;
  /** sbw seeding (default selfhash); lefthash seeds as the PR's generator does (K · Σ ctx). */
  readonly seeding?: SbwSeeding;
  /**
   * sbw only: SBW biases before top-k / top-p. Pass the tempered, untruncated distribution
   * and the request's top-k / top-p here to reproduce that order; without them the bias
   * acts on the distribution given (already truncated).
   */
  readonly topK?: number;
  readonly topP?: number;
}

type Choose = (c: Candidates, context: number[], rng: Rng) => number;

function chooser(o: VllmEmbedOptions): { width: number; choose: Choose; plain: (c: Candidates, rng: Rng) => number } {
  const plain = (c: Candidates, rng: Rng): number => drawIndex(c.probs, rng);
  const philox = (key: bigint | number | string): VllmPrfKey => vllmPrfKey('philox', key);
  switch (o.algorithm) {
    case 'gumbel': {
      const k = vllmPrfKey(o.prf ?? 'philox', o.key);
      return { width: o.contextWidth ?? 4, plain, choose: (c, ctx) => vllmGumbelChoose(c, k, ctx) };
    }
    case 'dual_key_gumbel': {
      const alpha = o.alpha ?? 0.1;
      if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be between 0 and 1 (got ${alpha})`);
      const ka = philox(deriveVllmKey(o.key, 'key_a'));
      const kb = philox(deriveVllmKey(o.key, 'key_b'));
      return {
        width: o.contextWidth ?? 4,
        plain,
        choose: (c, ctx, rng) => {
          const useB = alpha === 1 || (alpha > 0 && rng() < alpha);
          return vllmGumbelChoose(c, useB ? kb : ka, ctx);
        },
      };
    }
    case 'red_green': {
      const k = philox(o.key);
      const gamma = o.gamma ?? 0.25;
      const delta = o.delta ?? 2;
      return {
        width: o.contextWidth ?? 4,
        plain,
        choose: (c, ctx, rng) => {
          const w = vllmCandidateWords(k, ctx, c.ids);
          const green = new Uint8Array(c.n);
          for (let i = 0; i < c.n; i++) green[i] = redGreenIsGreen(vllmUniform(w[i]!), gamma) ? 1 : 0;
          return drawIndex(biasedProbs(c, green, delta), rng);
        },
      };
    }
    case 'synthid': {
      const k = philox(o.key);
      const depth = o.depth ?? 32;
      if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new RangeError(`SynthID depth must be between 1 and 32 (got ${depth})`);
      return {
        width: o.contextWidth ?? 4,
        plain,
        choose: (c, ctx, rng) => {
          const w = vllmCandidateWords(k, ctx, c.ids);
          return drawIndex(tournamentReweightWords(c.probs, depth, w), rng);
        },
      };
    }
    case 'sbw': {
      const seeding = o.seeding ?? 'selfhash';
      const key = sbwKey(o.key);
      const keyWords = i64FromBigInt(key);
      const gamma = o.gamma ?? 0.5;
      const delta = o.delta ?? 2;
      const trunc = (c: Candidates, p: Float64Array): Float64Array =>
        o.topK || (o.topP !== undefined && o.topP < 1) ? truncateTopKTopP(p, c.ids, o.topK ?? 0, o.topP ?? 1) : p;
      return {
        width: o.contextWidth ?? (seeding === 'lefthash' ? 1 : 4),
        plain: (c, rng) => drawIndex(trunc(c, c.probs), rng),
        choose: (c, ctx, rng) => {
          const green = sbwGreen(seeding, keyWords, key, ctx, c.ids, gamma);
          return drawIndex(trunc(c, biasedProbs(c, green, delta)), rng);
        },
      };
    }
    default:
      throw new RangeError(`unknown vLLM watermark algorithm ${JSON.stringify((o as { algorithm: unknown }).algorithm)}`);
  }
}

/** SBW green flags of the candidates as the PR's generator computes them. */
export function sbwGreen(
  seeding: SbwSeeding,
  keyWords: ReturnType<typeof i64FromBigInt>,
  key: bigint,
  context: readonly number[],
  ids: Int32Array,
  gamma: number,
): Uint8Array {
  const green = new Uint8Array(ids.length);
  const left = seeding === 'lefthash' ? i64FromBigInt(sbwLefthashGeneratorSeed(key, context)) : null;
  for (let i = 0; i < ids.length; i++) {
    const seed = left ?? sbwSelfhashSeedWords(keyWords, context, ids[i]!);
    green[i] = sbwIsGreen(sbwWordOf(seed, ids[i]!), gamma) ? 1 : 0;
  }
  return green;
}

export interface VllmSampler extends EngineSampler {
  /** Whether the next position will be sampled without the watermark (generation-side dedup). */
  nextIsRepeated(): boolean;
}

/** A per-request vLLM sampler: vLLM contexts (generated tokens only, -1 pads) and dedup. */
export function createVllmSampler(o: VllmEmbedOptions): VllmSampler {
  const { width, choose, plain } = chooser(o);
  const hist = new VllmHistory({ contextWidth: width, dedup: o.dedup, maxHistory: o.maxHistory, prompt: o.prompt });
  return {
    get generated() {
      return hist.generated;
    },
    nextIsRepeated: () => hist.repeated(),
    step(d: EngineDistribution, rng: Rng): EngineStep {
      const c = engineCandidates(d);
      const ctx = hist.context();
      const skip = hist.repeated(ctx);
      const token = c.ids[skip ? plain(c, rng) : choose(c, ctx, rng)]!;
      hist.append(token);
      return { token, watermarked: !skip };
    },
  };
}
