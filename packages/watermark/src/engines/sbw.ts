// vLLM `sbw` (Stateless Bernoulli watermark, open PR #56859): Jenkins-hashed seeds into its
// own Philox (not the 1.3 PRF). Seeds need 64-bit wrap products, hence BigInt here.
import { jenkinsHash } from './jenkins.js';
import { sbwWasm } from '../kernel/engine-kernel.js';
import { philox4x32 } from './philox.js';
import { normalSf } from './stats.js';
import { checkRange, i64FromBigInt, i64FromInt32, i64ToBigInt, lt64, mul64, toBigInt, type I64 } from './u64.js';
import { vllmContexts, type VllmPositionContext } from './vllm-context.js';
import { vllmPadded, vllmScoredFlags } from './vllm-prf.js';

export type SbwSeeding = 'selfhash' | 'lefthash';

const MAX_I63 = (1n << 63n) - 1n;

/** SBW keys: the config takes 0..2^64-1 but torch.tensor(key, int64) overflows at 2^63. */
export function sbwKey(key: bigint | number | string): bigint {
  return checkRange(toBigInt(key), 0n, MAX_I63, 'SBW key (keys >= 2^63 crash the engine)');
}

/** selfhash seed: signed min over j = 1..w-1 of K h(ctx_j) h(v), and K h(v)^2 (ctx_0 is never used). */
export function sbwSelfhashSeed(key: bigint, context: ArrayLike<number>, token: number): bigint {
  return i64ToBigInt(sbwSelfhashSeedWords(i64FromBigInt(key), context, token));
}

/** The same in u32-pair arithmetic (the hot path). */
export function sbwSelfhashSeedWords(key: I64, context: ArrayLike<number>, token: number): I64 {
  const kv = mul64(key, i64FromInt32(jenkinsHash(token)));
  let seed = mul64(kv, i64FromInt32(jenkinsHash(token)));
  for (let j = 1; j < context.length; j++) {
    const s = mul64(kv, i64FromInt32(jenkinsHash(context[j]!)));
    if (lt64(s, seed)) seed = s;
  }
  return seed;
}

/** lefthash seed as the detector computes it: K * sum h(ctx_j). */
export function sbwLefthashDetectorSeed(key: bigint, context: ArrayLike<number>): bigint {
  let sum = 0; // |h| < 2^31, width <= 64: exact in a double
  for (let j = 0; j < context.length; j++) sum += jenkinsHash(context[j]!);
  return BigInt.asIntN(64, key * BigInt(sum));
}

/** lefthash seed as the generator computes it (PR bug): K * sum of raw token ids. */
export function sbwLefthashGeneratorSeed(key: bigint, context: ArrayLike<number>): bigint {
  let sum = 0;
  for (let j = 0; j < context.length; j++) sum += context[j]!;
  return BigInt.asIntN(64, key * BigInt(sum));
}

const out = new Uint32Array(4);

/** Word v mod 4 of Philox((v div 4, 0, 0, 0), (lo(seed), lo(seed >> 32))). */
export function sbwWord(seed: bigint, token: number): number {
  return sbwWordOf(i64FromBigInt(seed), token);
}

export function sbwWordOf(seed: I64, token: number): number {
  philox4x32(Math.floor(token / 4), 0, 0, 0, seed.lo, seed.hi, out);
  return out[token & 3]!;
}

export function sbwGammaInt(gamma: number): number {
  return Math.floor(gamma * 0x7fffffff);
}

export function sbwIsGreen(word: number, gamma: number): boolean {
  return (word & 0x7fffffff) < sbwGammaInt(gamma);
}

export interface SbwPosition extends VllmPositionContext {
  readonly seed: bigint;
  readonly word: number;
  readonly green: boolean;
}

export interface SbwOptions {
  readonly key: bigint | number | string;
  readonly seeding: SbwSeeding;
  readonly contextWidth?: number;
  readonly gamma?: number;
  readonly deduplicateContexts?: boolean;
  /** lefthash only: seed as the generator does (reads the engine's own output); default: as its detector. */
  readonly lefthashRule?: 'detector' | 'generator';
}

export function sbwPositions(tokens: ArrayLike<number>, o: SbwOptions): SbwPosition[] {
  const key = sbwKey(o.key);
  const keyWords = i64FromBigInt(key);
  const gamma = o.gamma ?? 0.5;
  const width = o.contextWidth ?? (o.seeding === 'lefthash' ? 1 : 4);
  return vllmContexts(tokens, width, o.deduplicateContexts ?? true).map((p) => {
    const words =
      o.seeding === 'selfhash'
        ? sbwSelfhashSeedWords(keyWords, p.context, p.token)
        : i64FromBigInt(o.lefthashRule === 'generator' ? sbwLefthashGeneratorSeed(key, p.context) : sbwLefthashDetectorSeed(key, p.context));
    const seed = i64ToBigInt(words);
    const word = sbwWordOf(words, p.token);
    return { ...p, seed, word, green: sbwIsGreen(word, gamma) };
  });
}

export interface SbwDetection {
  readonly greenCount: number;
  readonly numScored: number;
  readonly z: number | null;
  readonly pValue: number;
  readonly isWatermarked: boolean;
}

/** SBW detector: z = (G - n gamma) / sqrt(n gamma (1 - gamma)), p = erfc(z / sqrt 2) / 2. */
export function sbwDetect(positions: readonly SbwPosition[], gamma = 0.5, threshold = 0.01): SbwDetection {
  let g = 0;
  let n = 0;
  for (const p of positions) if (p.scored) (g += p.green ? 1 : 0), n++;
  if (n === 0) return { greenCount: 0, numScored: 0, z: null, pValue: 1, isWatermarked: false };
  const z = (g - n * gamma) / Math.sqrt(n * gamma * (1 - gamma));
  const p = normalSf(z);
  return { greenCount: g, numScored: n, z, pValue: p, isWatermarked: p <= threshold };
}

// ---- Fast path: a whole text into typed arrays (same seeds, words, flags, statistic) ----

export interface SbwFast {
  readonly scored: Uint8Array;
  /** The seed of every position as u32 words (two's complement of the signed seed). */
  readonly seedHi: Uint32Array;
  readonly seedLo: Uint32Array;
  readonly words: Uint32Array;
  readonly green: Uint8Array;
  readonly detection: SbwDetection;
}

export function sbwDetectFast(tokens: ArrayLike<number>, o: SbwOptions, threshold = 0.01): SbwFast {
  const key = i64FromBigInt(sbwKey(o.key));
  const gamma = o.gamma ?? 0.5;
  const gInt = sbwGammaInt(gamma);
  const width = o.contextWidth ?? (o.seeding === 'lefthash' ? 1 : 4);
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`context_width must be a positive integer (got ${width})`);
  const n = tokens.length;
  const scored = o.deduplicateContexts ?? true ? vllmScoredFlags(vllmPadded(tokens, width), n, width, true) : new Uint8Array(n).fill(1);
  const seedHi = new Uint32Array(n);
  const seedLo = new Uint32Array(n);
  const words = new Uint32Array(n);
  const green = new Uint8Array(n);
  // seeds and words in the WebAssembly kernel (sbwPositions is the reference)
  const mode = o.seeding === 'selfhash' ? 'selfhash' : o.lefthashRule === 'generator' ? 'lefthash-generator' : 'lefthash-detector';
  sbwWasm(key, tokens, width, mode, seedHi, seedLo, words);
  let g = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    green[i] = (words[i]! & 0x7fffffff) < gInt ? 1 : 0;
    if (scored[i]) (g += green[i]!), m++;
  }
  if (m === 0) return { scored, seedHi, seedLo, words, green, detection: { greenCount: 0, numScored: 0, z: null, pValue: 1, isWatermarked: false } };
  const z = (g - m * gamma) / Math.sqrt(m * gamma * (1 - gamma));
  const p = normalSf(z);
  return { scored, seedHi, seedLo, words, green, detection: { greenCount: g, numScored: m, z, pValue: p, isWatermarked: p <= threshold } };
}
