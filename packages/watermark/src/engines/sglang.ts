// SGLang Aaronson-Gumbel watermark (open PR #37577, python/sglang/srt/sampling/watermarking):
// Murmur3 over (key lo, key hi, context hash, token), context = last h tokens of prompt +
// completion (variable length), dual key routed by a keyed coin.
import { fsum } from './fsum.js';
import { glibcLog1p } from './libm.js';
import { fmix32 } from '../fmix32.js';
import { murmur3Words } from './murmur3.js';
import { sglangLogGammaSurvival } from './stats.js';
import { wordsOf, type U64Words } from './u64.js';

export const SGLANG_MAX_CONTEXTS = 4096;

/** SGLang key: 1..16 hex digits, optional 0x; parsed as u64 (stored signed; only the words matter). */
export function parseSglangKey(hex: string): U64Words {
  const m = /^(?:0x)?([0-9a-fA-F]{1,16})$/.exec(hex.trim());
  if (!m) throw new RangeError(`SGLang watermark key must be 1..16 hex digits, optional 0x (got ${JSON.stringify(hex)})`);
  return wordsOf(BigInt('0x' + m[1]!));
}

export function sglangContextHash(context: ArrayLike<number>): number {
  return murmur3Words(context);
}

export function sglangHash(key: U64Words, contextHash: number, token: number): number {
  return murmur3Words([key.lo, key.hi, contextHash, token >>> 0]);
}

export function sglangUniform(hash: number): number {
  return (hash + 0.5) / 4294967296;
}

/** Detector score -log1p(-(H + 0.5) / 2^32) in double (CPython math.log1p = glibc). */
export function sglangScore(hash: number): number {
  return -glibcLog1p(-sglangUniform(hash));
}

/** Dual key routing coin: murmur(lo A, hi A, lo B, hi B, ctx hash); key A iff coin < floor(mixing 2^32). */
export function sglangCoin(a: U64Words, b: U64Words, contextHash: number): number {
  return murmur3Words([a.lo, a.hi, b.lo, b.hi, contextHash]);
}

export function sglangMixingThreshold(mixing: number): number {
  return Math.floor(mixing * 4294967296);
}

export type SglangStatus = 'scored' | 'repeated_context' | 'skipped_initial';

export interface SglangPosition {
  readonly completionIndex: number;
  readonly token: number;
  readonly status: SglangStatus;
  readonly context?: number[];
  readonly contextHash?: number;
  readonly hashA?: number;
  readonly scoreA?: number;
  readonly hashB?: number;
  readonly scoreB?: number;
  readonly coin?: number;
  readonly partition?: 'a' | 'b';
}

export interface SglangTest {
  readonly numContexts: number;
  readonly score: number;
  readonly zScore: number;
  readonly pValue: number;
  readonly logPValue: number;
}

export interface SglangDetection {
  readonly positions: SglangPosition[];
  readonly combined: SglangTest;
  readonly keyAAllPositions: SglangTest;
  readonly keyBAllPositions: SglangTest | null;
  readonly keyAPartition: SglangTest | null;
  readonly keyBPartition: SglangTest | null;
  readonly prefixLimitReached: boolean;
  readonly tokensExamined: number;
  readonly repeatedContexts: number;
  readonly skippedInitialTokens: number;
}

export interface SglangOptions {
  readonly keyHex: string;
  readonly keyBHex?: string | null;
  readonly mixingProbability?: number;
  readonly contextWindow?: number;
  /** Prompt ids; absent or empty: the first h completion tokens are skipped. */
  readonly promptTokenIds?: readonly number[];
  readonly maxContexts?: number;
}

/** SGLang's statistic: S = fsum, z = (S - n)/sqrt n, log p = log P[Gamma(n,1) >= S]. */
export function sglangTest(scores: readonly number[]): SglangTest {
  const n = scores.length;
  if (n === 0) return { numContexts: 0, score: 0, zScore: 0, pValue: 1, logPValue: 0 };
  const s = fsum(scores);
  const logP = sglangLogGammaSurvival(s, n);
  return { numContexts: n, score: s, zScore: (s - n) / Math.sqrt(n), pValue: Math.exp(logP), logPValue: logP };
}

export function sglangDetect(tokens: readonly number[], o: SglangOptions): SglangDetection {
  const h = o.contextWindow ?? 4;
  if (!Number.isInteger(h) || h < 1 || h > 64) throw new RangeError(`context window must be in 1..64 (got ${h})`);
  const keyA = parseSglangKey(o.keyHex);
  const keyB = o.keyBHex ? parseSglangKey(o.keyBHex) : null;
  const threshold = keyB ? sglangMixingThreshold(o.mixingProbability ?? 0.5) : 0;
  const prompt = o.promptTokenIds ?? [];
  const max = o.maxContexts ?? SGLANG_MAX_CONTEXTS;
  const full = [...prompt, ...tokens];
  const seen = new Set<string>();
  const positions: SglangPosition[] = [];
  const sA: number[] = [];
  const sB: number[] = [];
  const partA: number[] = [];
  const partB: number[] = [];
  const combined: number[] = [];
  let limit = false;
  let repeated = 0;
  let skipped = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (seen.size >= max) {
      limit = true;
      break;
    }
    const token = tokens[i]!;
    if (prompt.length === 0 && i < h) {
      positions.push({ completionIndex: i, token, status: 'skipped_initial' });
      skipped++;
      continue;
    }
    const end = prompt.length + i;
    const context = full.slice(Math.max(0, end - h), end);
    const k = context.join(',');
    if (seen.has(k)) {
      positions.push({ completionIndex: i, token, status: 'repeated_context', context });
      repeated++;
      continue;
    }
    seen.add(k);
    const contextHash = sglangContextHash(context);
    const hashA = sglangHash(keyA, contextHash, token);
    const scoreA = sglangScore(hashA);
    sA.push(scoreA);
    if (!keyB) {
      combined.push(scoreA);
      positions.push({ completionIndex: i, token, status: 'scored', context, contextHash, hashA, scoreA });
      continue;
    }
    const hashB = sglangHash(keyB, contextHash, token);
    const scoreB = sglangScore(hashB);
    sB.push(scoreB);
    const coin = sglangCoin(keyA, keyB, contextHash);
    const partition = coin < threshold ? 'a' : 'b';
    (partition === 'a' ? partA : partB).push(partition === 'a' ? scoreA : scoreB);
    combined.push(partition === 'a' ? scoreA : scoreB);
    positions.push({ completionIndex: i, token, status: 'scored', context, contextHash, hashA, scoreA, hashB, scoreB, coin, partition });
  }
  return {
    positions,
    combined: sglangTest(combined),
    keyAAllPositions: sglangTest(sA),
    keyBAllPositions: keyB ? sglangTest(sB) : null,
    keyAPartition: keyB ? sglangTest(partA) : null,
    keyBPartition: keyB ? sglangTest(partB) : null,
    prefixLimitReached: limit,
    tokensExamined: positions.length,
    repeatedContexts: repeated,
    skippedInitialTokens: skipped,
  };
}

// ---- Fast path: sglangDetect's values and tests in typed arrays (same bits) ----

/** status codes of SglangFast.status; NOT_EXAMINED = after the context cap was reached. */
export const SGLANG_SCORED = 0;
export const SGLANG_REPEATED = 1;
export const SGLANG_SKIPPED = 2;
export const SGLANG_NOT_EXAMINED = 3;

export interface SglangFast extends Omit<SglangDetection, 'positions'> {
  readonly status: Uint8Array;
  readonly contextHash: Uint32Array;
  readonly hashA: Uint32Array;
  readonly scoreA: Float64Array;
  /** Dual key only (zeros otherwise); partitionA: 1 = scored under key A. */
  readonly hashB: Uint32Array;
  readonly scoreB: Float64Array;
  readonly coin: Uint32Array;
  readonly partitionA: Uint8Array;
}

function mix(h: number, word: number): number {
  let k = Math.imul(word >>> 0, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function sglangDetectFast(tokens: readonly number[], o: SglangOptions): SglangFast {
  const h = o.contextWindow ?? 4;
  if (!Number.isInteger(h) || h < 1 || h > 64) throw new RangeError(`context window must be in 1..64 (got ${h})`);
  const keyA = parseSglangKey(o.keyHex);
  const keyB = o.keyBHex ? parseSglangKey(o.keyBHex) : null;
  const threshold = keyB ? sglangMixingThreshold(o.mixingProbability ?? 0.5) : 0;
  const prompt = o.promptTokenIds ?? [];
  const max = o.maxContexts ?? SGLANG_MAX_CONTEXTS;
  const n = tokens.length;
  const full = new Float64Array(prompt.length + n);
  full.set(prompt, 0);
  for (let i = 0; i < n; i++) full[prompt.length + i] = tokens[i]!;
  const status = new Uint8Array(n).fill(SGLANG_NOT_EXAMINED);
  const ctxHash = new Uint32Array(n);
  const hashA = new Uint32Array(n);
  const scoreA = new Float64Array(n);
  const hashB = new Uint32Array(n);
  const scoreB = new Float64Array(n);
  const coin = new Uint32Array(n);
  const partitionA = new Uint8Array(n);
  const sA: number[] = [];
  const sB: number[] = [];
  const partA: number[] = [];
  const partB: number[] = [];
  const combined: number[] = [];
  // exact context set: slots hold the completion index whose context was first seen there
  let cap = 16;
  while (cap < 2 * n) cap <<= 1;
  const table = new Int32Array(cap).fill(-1);
  let seen = 0;
  let limit = false;
  let repeated = 0;
  let skipped = 0;
  let examined = 0;
  for (let i = 0; i < n; i++) {
    if (seen >= max) {
      limit = true;
      break;
    }
    examined++;
    if (prompt.length === 0 && i < h) {
      status[i] = SGLANG_SKIPPED;
      skipped++;
      continue;
    }
    const end = prompt.length + i;
    const start = Math.max(0, end - h);
    let ch = 0;
    let th = 0x811c9dc5;
    for (let j = start; j < end; j++) {
      ch = mix(ch, full[j]!);
      th = Math.imul(th ^ (full[j]! | 0), 0x01000193);
    }
    th = Math.imul(th ^ (end - start), 0x01000193);
    let slot = (th ^ (th >>> 15)) & (cap - 1);
    let isNew = false;
    for (;;) {
      const s0 = table[slot]!;
      if (s0 < 0) {
        table[slot] = i;
        isNew = true;
        break;
      }
      const e2 = prompt.length + s0;
      const b2 = Math.max(0, e2 - h);
      let same = e2 - b2 === end - start;
      for (let j = 0; same && j < end - start; j++) same = full[b2 + j] === full[start + j];
      if (same) break;
      slot = (slot + 1) & (cap - 1);
    }
    if (!isNew) {
      status[i] = SGLANG_REPEATED;
      repeated++;
      continue;
    }
    seen++;
    status[i] = SGLANG_SCORED;
    const cHash = fmix32((ch ^ (4 * (end - start))) >>> 0);
    ctxHash[i] = cHash;
    const token = tokens[i]!;
    const hA = fmix32((mix(mix(mix(mix(0, keyA.lo), keyA.hi), cHash), token >>> 0) ^ 16) >>> 0);
    hashA[i] = hA;
    scoreA[i] = sglangScore(hA);
    sA.push(scoreA[i]!);
    if (!keyB) {
      combined.push(scoreA[i]!);
      continue;
    }
    const hB = fmix32((mix(mix(mix(mix(0, keyB.lo), keyB.hi), cHash), token >>> 0) ^ 16) >>> 0);
    hashB[i] = hB;
    scoreB[i] = sglangScore(hB);
    sB.push(scoreB[i]!);
    const c = fmix32((mix(mix(mix(mix(mix(0, keyA.lo), keyA.hi), keyB.lo), keyB.hi), cHash) ^ 20) >>> 0);
    coin[i] = c;
    const inA = c < threshold;
    partitionA[i] = inA ? 1 : 0;
    (inA ? partA : partB).push(inA ? scoreA[i]! : scoreB[i]!);
    combined.push(inA ? scoreA[i]! : scoreB[i]!);
  }
  return {
    status,
    contextHash: ctxHash,
    hashA,
    scoreA,
    hashB,
    scoreB,
    coin,
    partitionA,
    combined: sglangTest(combined),
    keyAAllPositions: sglangTest(sA),
    keyBAllPositions: keyB ? sglangTest(sB) : null,
    keyAPartition: keyB ? sglangTest(partA) : null,
    keyBPartition: keyB ? sglangTest(partB) : null,
    prefixLimitReached: limit,
    tokensExamined: examined,
    repeatedContexts: repeated,
    skippedInitialTokens: skipped,
  };
}
