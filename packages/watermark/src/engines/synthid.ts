// SynthID-Text in its two incompatible flavours, sharing an LCG step
// h = wrap64((h + x) * 6364136223846793005 + 1) (64-bit wrap, so BigInt):
// - HF transformers SynthIDTextWatermarkLogitsProcessor: h starts at 1, g = a fixed
//   torch-MT table of bits indexed by h_l mod table size;
// - google-deepmind/synthid-text (addb4a15): h starts at a SHA-256 IV of the keys, g from
//   12 more LCG rounds with arithmetic shifts.
import { sha256 } from '@noble/hashes/sha2.js';
import { synthidWasm } from '../kernel/engine-kernel.js';
import { torchRandint } from './mt19937.js';
import { HashRing } from './synthid-ring.js';
import { add64, i64, i64FromBigInt, i64FromInt32, i64ToBigInt, mul64, sar64, type I64 } from './u64.js';

const A = i64(0x5851f42d, 0x4c957f2d); // 6364136223846793005
const ONE = i64(0, 1);

/** One LCG step on u32 pairs (the hot path; see u64.ts for why not BigInt). */
export function lcgStepWords(h: I64, x: I64): I64 {
  return add64(mul64(add64(h, x), A), ONE);
}

export function lcgStep(h: bigint, x: bigint): bigint {
  return i64ToBigInt(lcgStepWords(i64FromBigInt(h), i64FromBigInt(x)));
}

function accumulate(h: I64, tokens: ArrayLike<number>): I64 {
  for (let i = 0; i < tokens.length; i++) h = lcgStepWords(h, i64FromInt32(tokens[i]!));
  return h;
}

/** HF sampling table: `size` values mt() mod 2 from a CPU generator seeded with `seed`. */
const tables = new Map<string, Uint32Array>();
export function hfSynthidTable(size = 65536, seed = 0): Uint32Array {
  const k = `${size}:${seed}`;
  let t = tables.get(k);
  if (!t) tables.set(k, (t = torchRandint(2, size, seed)));
  return t;
}

export interface SynthidWindowReading {
  readonly contextHash: bigint;
  readonly ngramKeys: bigint[];
  readonly gValues: number[];
}

export interface SynthidFlavour {
  /** Reading of one full window (n-1 context tokens, then the token). */
  read(context: ArrayLike<number>, token: number): SynthidWindowReading & { readonly tableIndex?: number[] };
  /** What synthidScoreFast needs (set by hfSynthid / deepmindSynthid). */
  readonly fast?: SynthidFastParams;
}

export interface SynthidFastParams {
  /** LCG start (1 for HF, the IV for synthid-text) and keys, as u32 words. */
  readonly start: I64;
  readonly keysHi: Uint32Array;
  readonly keysLo: Uint32Array;
  /** HF: the sampling table (g = table[key & (size - 1)]); synthid-text: null (12-round g). */
  readonly table: Uint32Array | null;
}

function fastParams(start: I64, keys: readonly I64[], table: Uint32Array | null): SynthidFastParams {
  return { start, keysHi: Uint32Array.from(keys, (k) => k.hi), keysLo: Uint32Array.from(keys, (k) => k.lo), table };
}

export function hfSynthid(keys: readonly number[], tableSize = 65536, tableSeed = 0): SynthidFlavour {
  const table = hfSynthidTable(tableSize, tableSeed);
  if (!Number.isInteger(Math.log2(tableSize))) throw new RangeError(`sampling_table_size must be a power of two (got ${tableSize})`);
  const wordKeys = keys.map((k) => i64FromBigInt(BigInt(k)));
  return {
    fast: fastParams(ONE, wordKeys, table),
    read(context, token) {
      const ctx = accumulate(ONE, context);
      const h = lcgStepWords(ctx, i64FromInt32(token));
      const keyed = wordKeys.map((k) => lcgStepWords(h, k));
      // floor mod by a power of two = the low bits, for negative keys too
      const tableIndex = keyed.map((x) => x.lo & (tableSize - 1));
      return {
        contextHash: i64ToBigInt(ctx),
        ngramKeys: keyed.map(i64ToBigInt),
        tableIndex,
        gValues: tableIndex.map((i) => table[i]!),
      };
    },
  };
}

/** IV = int.from_bytes(SHA-256(keys as int64 little-endian), 'big') mod (2^63 - 1). */
export function synthidTextIv(keys: readonly number[]): bigint {
  const bytes = new Uint8Array(8 * keys.length);
  const dv = new DataView(bytes.buffer);
  keys.forEach((k, i) => dv.setBigInt64(8 * i, BigInt(k), true));
  let v = 0n;
  for (const b of sha256(bytes)) v = (v << 8n) | BigInt(b);
  return v % ((1n << 63n) - 1n);
}

export function synthidTextG(ngramKey: bigint): number {
  return synthidTextGWords(i64FromBigInt(ngramKey));
}

/** synthidTextG on u32 pairs (the hot path). */
export function synthidTextGWords(ngramKey: I64): number {
  let h = ngramKey;
  for (let i = 0; i < 12; i++) h = sar64(lcgStepWords(h, ONE), 5);
  return (h.lo >>> 30) & 1;
}

export function deepmindSynthid(keys: readonly number[]): SynthidFlavour & { readonly iv: bigint } {
  const iv = synthidTextIv(keys);
  const ivWords = i64FromBigInt(iv);
  const wordKeys = keys.map((k) => i64FromBigInt(BigInt(k)));
  return {
    iv,
    fast: fastParams(ivWords, wordKeys, null),
    read(context, token) {
      const ctx = accumulate(ivWords, context);
      const h = lcgStepWords(ctx, i64FromInt32(token));
      const keyed = wordKeys.map((k) => lcgStepWords(h, k));
      return { contextHash: i64ToBigInt(ctx), ngramKeys: keyed.map(i64ToBigInt), gValues: keyed.map(synthidTextGWords) };
    },
  };
}

export interface SynthidScores {
  readonly gValues: number[][];
  readonly contextRepetitionMask: number[];
  readonly eosMask: number[];
  readonly combinedMask: number[];
  readonly meanScore: number;
  readonly weightedMeanScore: number;
}

/**
 * g-values of every full window of the generated text, the repetition mask (a context hash
 * already among the last `historySize` windows' hashes -- a ring that starts full of 0 -- is
 * masked), the EOS mask (nothing from the first EOS on), and synthid-text's mean and
 * weighted-mean scores (weights linspace(10, 1, L) rescaled to sum L) over unmasked windows.
 */
export function synthidScore(
  flavour: SynthidFlavour,
  tokens: readonly number[],
  ngramLen: number,
  eosTokenId: number | null,
  historySize = 1024,
): SynthidScores {
  const gValues: number[][] = [];
  const rep: number[] = [];
  const eos: number[] = [];
  const ring: bigint[] = new Array(historySize).fill(0n);
  let ringAt = 0;
  let eosSeen = false;
  for (let i = 0; i < ngramLen - 1 && i < tokens.length; i++) if (tokens[i] === eosTokenId) eosSeen = true;
  for (let i = ngramLen - 1; i < tokens.length; i++) {
    const r = flavour.read(tokens.slice(i - ngramLen + 1, i), tokens[i]!);
    gValues.push(r.gValues);
    rep.push(ring.includes(r.contextHash) ? 0 : 1);
    ring[ringAt] = r.contextHash;
    ringAt = (ringAt + 1) % historySize;
    if (tokens[i] === eosTokenId) eosSeen = true;
    eos.push(eosSeen ? 0 : 1);
  }
  const combined = rep.map((m, j) => m * eos[j]!);
  const depth = gValues[0]?.length ?? 0;
  const raw = Array.from({ length: depth }, (_, l) => 10 - (9 * l) / Math.max(depth - 1, 1));
  const rawSum = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => (w * depth) / rawSum);
  let count = 0;
  let plain = 0;
  let weighted = 0;
  gValues.forEach((g, j) => {
    if (!combined[j]) return;
    count++;
    for (let l = 0; l < depth; l++) {
      plain += g[l]!;
      weighted += g[l]! * weights[l]!;
    }
  });
  return {
    gValues,
    contextRepetitionMask: rep,
    eosMask: eos,
    combinedMask: combined,
    meanScore: plain / (depth * count),
    weightedMeanScore: weighted / (depth * count),
  };
}

// ---- Fast path: synthidScore over typed arrays, the LCGs in the WebAssembly kernel ----

export interface SynthidScoresFast {
  /** Window j's g-values at gValues[j * depth + l]. */
  readonly gValues: Uint8Array;
  readonly depth: number;
  /** Context hash of window j as u32 words (two's complement of the signed value). */
  readonly contextHashHi: Uint32Array;
  readonly contextHashLo: Uint32Array;
  readonly contextRepetitionMask: Uint8Array;
  readonly eosMask: Uint8Array;
  readonly combinedMask: Uint8Array;
  readonly meanScore: number;
  readonly weightedMeanScore: number;
}

/** synthidScore (same masks, g-values and scores, bit for bit) for flavours from hfSynthid / deepmindSynthid. */
export function synthidScoreFast(
  flavour: SynthidFlavour,
  tokens: ArrayLike<number>,
  ngramLen: number,
  eosTokenId: number | null,
  historySize = 1024,
): SynthidScoresFast {
  const f = flavour.fast;
  if (!f) throw new TypeError('synthidScoreFast needs a flavour made by hfSynthid or deepmindSynthid');
  const depth = f.keysHi.length;
  const n = tokens.length;
  const c = ngramLen - 1;
  const windows = Math.max(0, n - c);
  // every position's context hash and g-values from the WebAssembly kernel; window j is position j + c
  const allHi = new Int32Array(n);
  const allLo = new Int32Array(n);
  const layers = new Uint8Array(n * depth);
  if (windows > 0) synthidWasm(f, tokens, c, allHi, allLo, new Float64Array(n), layers);
  const gValues = layers.subarray(c * depth, (c + windows) * depth);
  const ctxHi = new Uint32Array(allHi.buffer, 4 * Math.min(c, n), windows);
  const ctxLo = new Uint32Array(allLo.buffer, 4 * Math.min(c, n), windows);
  const rep = new Uint8Array(windows);
  const eos = new Uint8Array(windows);
  const combined = new Uint8Array(windows);
  const ring = new HashRing(historySize);
  let eosSeen = false;
  for (let i = 0; i < ngramLen - 1 && i < n; i++) if (tokens[i] === eosTokenId) eosSeen = true;
  for (let j = 0; j < windows; j++) {
    const hh = ctxHi[j]!, hl = ctxLo[j]!;
    rep[j] = ring.has(hh, hl) ? 0 : 1;
    ring.push(hh, hl);
    if (tokens[j + c] === eosTokenId) eosSeen = true;
    eos[j] = eosSeen ? 0 : 1;
    combined[j] = rep[j]! * eos[j]!;
  }
  const d = windows > 0 ? depth : 0;
  const raw = Array.from({ length: d }, (_, l) => 10 - (9 * l) / Math.max(d - 1, 1));
  const rawSum = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => (w * d) / rawSum);
  let count = 0;
  let plain = 0;
  let weighted = 0;
  for (let j = 0; j < windows; j++) {
    if (!combined[j]) continue;
    count++;
    for (let l = 0; l < d; l++) {
      const g = gValues[j * depth + l]!;
      plain += g;
      weighted += g * weights[l]!;
    }
  }
  return {
    gValues,
    depth,
    contextHashHi: ctxHi,
    contextHashLo: ctxLo,
    contextRepetitionMask: rep,
    eosMask: eos,
    combinedMask: combined,
    meanScore: plain / (d * count),
    weightedMeanScore: weighted / (d * count),
  };
}
