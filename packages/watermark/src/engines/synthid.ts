// SynthID-Text in its two incompatible flavours, sharing an LCG step
// h = wrap64((h + x) * 6364136223846793005 + 1) (64-bit wrap, so BigInt):
// - HF transformers SynthIDTextWatermarkLogitsProcessor: h starts at 1, g = a fixed
//   torch-MT table of bits indexed by h_l mod table size;
// - google-deepmind/synthid-text (addb4a15): h starts at a SHA-256 IV of the keys, g from
//   12 more LCG rounds with arithmetic shifts.
import { sha256 } from '@noble/hashes/sha2.js';
import { torchRandint } from './mt19937.js';
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

// ---- Fast path: synthidScore over typed arrays, u32-pair LCG without objects or BigInt ----

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

const AH = 0x5851f42d;
const AL = 0x4c957f2d;
let LH = 0;
let LL = 0;

/** High word of sl * AL (AL = 0x4c95_7f2d) in 16-bit halves; every partial sum stays below 2^32. */
function mulHiAL(sl: number): number {
  const aLo = sl & 0xffff;
  const aHi = sl >>> 16;
  const hiLo = aHi * 0x7f2d;
  const cross = ((aLo * 0x7f2d) >>> 16) + (hiLo & 0xffff) + aLo * 0x4c95;
  return aHi * 0x4c95 + (hiLo >>> 16) + (cross >>> 16);
}

/** LCG step (h + x) * A + 1 mod 2^64 on words, result in LH, LL. */
function lcgTo(hh: number, hl: number, xh: number, xl: number): void {
  const sl = (hl + xl) >>> 0;
  const sh = (hh + xh + (sl < hl ? 1 : 0)) >>> 0;
  const pl = Math.imul(sl, AL) >>> 0;
  const ph = (mulHiAL(sl) + Math.imul(sh, AL) + Math.imul(sl, AH)) >>> 0;
  LL = (pl + 1) >>> 0;
  LH = (ph + (LL === 0 ? 1 : 0)) >>> 0;
}

/** synthid-text's g of an n-gram key: 12 rounds of sar(h + 1) * A + 1, 5), bit 30; locals only. */
function deepmindG(hi: number, lo: number): number {
  let gh = hi;
  let gl = lo;
  for (let r = 0; r < 12; r++) {
    const sl = (gl + 1) >>> 0;
    const sh = (gh + (sl === 0 ? 1 : 0)) >>> 0;
    const mh = mulHiAL(sl);
    const pl = Math.imul(sl, AL) >>> 0;
    const ph = (mh + Math.imul(sh, AL) + Math.imul(sl, AH)) | 0;
    const ll = (pl + 1) >>> 0;
    const lh = (ph + (ll === 0 ? 1 : 0)) | 0;
    gl = ((ll >>> 5) | (lh << 27)) >>> 0;
    gh = lh >> 5;
  }
  return (gl >>> 30) & 1;
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
  const windows = Math.max(0, tokens.length - ngramLen + 1);
  const gValues = new Uint8Array(windows * depth);
  const ctxHi = new Uint32Array(windows);
  const ctxLo = new Uint32Array(windows);
  const rep = new Uint8Array(windows);
  const eos = new Uint8Array(windows);
  const combined = new Uint8Array(windows);
  const ringHi = new Uint32Array(historySize);
  const ringLo = new Uint32Array(historySize);
  const inRing = new Map<string, number>([['0,0', historySize]]);
  const mask = f.table ? f.table.length - 1 : 0;
  let ringAt = 0;
  let eosSeen = false;
  for (let i = 0; i < ngramLen - 1 && i < tokens.length; i++) if (tokens[i] === eosTokenId) eosSeen = true;
  for (let i = ngramLen - 1, j = 0; i < tokens.length; i++, j++) {
    let hh = f.start.hi;
    let hl = f.start.lo;
    for (let c = i - ngramLen + 1; c < i; c++) {
      const t = tokens[c]!;
      lcgTo(hh, hl, t < 0 ? 0xffffffff : 0, t >>> 0);
      hh = LH;
      hl = LL;
    }
    ctxHi[j] = hh;
    ctxLo[j] = hl;
    const t = tokens[i]!;
    lcgTo(hh, hl, t < 0 ? 0xffffffff : 0, t >>> 0);
    const wh = LH;
    const wl = LL;
    for (let l = 0; l < depth; l++) {
      lcgTo(wh, wl, f.keysHi[l]!, f.keysLo[l]!);
      if (f.table) {
        gValues[j * depth + l] = f.table[LL & mask]!;
        continue;
      }
      gValues[j * depth + l] = deepmindG(LH, LL);
    }
    const k = `${hh},${hl}`;
    rep[j] = (inRing.get(k) ?? 0) > 0 ? 0 : 1;
    const old = `${ringHi[ringAt]},${ringLo[ringAt]}`;
    inRing.set(old, inRing.get(old)! - 1);
    inRing.set(k, (inRing.get(k) ?? 0) + 1);
    ringHi[ringAt] = hh;
    ringLo[ringAt] = hl;
    ringAt = (ringAt + 1) % historySize;
    if (t === eosTokenId) eosSeen = true;
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
