// HF transformers KGW (WatermarkLogitsProcessor / WatermarkDetector, generation/watermarking.py).
import { hfSeedMod, kgwTable, minHashSeed } from './kgw-tables.js';
import { torchRandpermPrefix, torchRandpermPrefixBits, torchRandpermPrefixHas } from './mt19937.js';

export type KgwSeeding = 'lefthash' | 'selfhash';

export interface KgwGreenList {
  readonly seed: bigint;
  readonly mtSeed: number;
  readonly size: number;
  readonly list: Int32Array;
}

/** Green list of `seed` over a vocabulary: the first floor(V * ratio) entries of randperm(V). */
export function kgwGreenList(seed: bigint, vocabSize: number, ratio: number): KgwGreenList {
  const mtSeed = Number(seed & 0xffffffffn);
  const size = Math.floor(vocabSize * ratio);
  return { seed, mtSeed, size, list: torchRandpermPrefix(vocabSize, size, mtSeed) };
}

export function inList(g: KgwGreenList, token: number): boolean {
  return g.list.includes(token);
}

/**
 * HF seed for scoring `candidate` after `context`: lefthash keys on the last token only
 * (whatever context_width says); selfhash on the last `width` tokens of context + candidate.
 */
export function hfKgwSeed(seeding: KgwSeeding, hashingKey: bigint, width: number, context: readonly number[], candidate: number): bigint {
  if (seeding === 'lefthash') return hfSeedMod(hashingKey * BigInt(context[context.length - 1]!));
  const window = [...context, candidate].slice(-width);
  return hfSeedMod(minHashSeed(kgwTable(Number(hashingKey & 0xffffffffn)), hashingKey, window, candidate));
}

export interface HfKgwOptions {
  readonly vocabSize: number;
  readonly seeding?: KgwSeeding;
  readonly hashingKey?: bigint | number;
  readonly contextWidth?: number;
  readonly greenlistRatio?: number;
  readonly bosTokenId?: number | null;
  readonly zThreshold?: number;
}

export interface HfKgwPosition {
  readonly index: number;
  readonly token: number;
  readonly status: 'no full n-gram' | 'scored';
  readonly prefixForSeed?: number[];
  readonly green?: boolean;
}

export interface HfKgwDetection {
  readonly bosStripped: boolean;
  readonly positions: HfKgwPosition[];
  readonly numTokensScored: number;
  readonly numGreenTokens: number;
  readonly zScore: number;
  readonly pValue: number;
  readonly prediction: boolean;
}

/** HF's p: 1 - 0.5 (1 + sign(z) (1 - exp(-2 z^2 / pi))) -- an approximation, not the normal tail. */
export function hfRoughP(z: number): number {
  return 1 - 0.5 * (1 + Math.sign(z) * (1 - Math.exp((-2 * z * z) / Math.PI)));
}

/**
 * HF WatermarkDetector: drops a leading BOS, scores the last token of every n-gram (w+1
 * tokens for lefthash, w for selfhash). ignore_repeated_ngrams has no effect in HF (tensors
 * hash by identity), so every occurrence counts and the option is not offered.
 */
export function hfKgwDetect(tokens: readonly number[], o: HfKgwOptions): HfKgwDetection {
  const seeding = o.seeding ?? 'lefthash';
  const key = BigInt(o.hashingKey ?? 15485863);
  const width = o.contextWidth ?? 1;
  const ratio = o.greenlistRatio ?? 0.25;
  const strip = o.bosTokenId !== undefined && o.bosTokenId !== null && tokens[0] === o.bosTokenId;
  const ids = strip ? tokens.slice(1) : tokens.slice();
  const prefix = seeding === 'lefthash' ? width : width - 1;
  // HF's guard uses min_prefix_len = context_width for both schemes (selfhash could score one more).
  if (ids.length - width < 1) {
    throw new RangeError(
      `Must have at least \`1\` token to score after the first min_prefix_len=${width} tokens required by the seeding scheme.`,
    );
  }
  const positions: HfKgwPosition[] = [];
  let green = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i < prefix) {
      positions.push({ index: i, token: ids[i]!, status: 'no full n-gram' });
      continue;
    }
    const context = ids.slice(i - prefix, i);
    const seed = hfKgwSeed(seeding, key, width, context, ids[i]!);
    const isGreen = inList(kgwGreenList(seed, o.vocabSize, ratio), ids[i]!);
    green += isGreen ? 1 : 0;
    positions.push({
      index: i,
      token: ids[i]!,
      status: 'scored',
      prefixForSeed: seeding === 'lefthash' ? context : [...context, ids[i]!],
      green: isGreen,
    });
  }
  const t = ids.length - prefix;
  const z = (green - ratio * t) / Math.sqrt(t * ratio * (1 - ratio));
  return {
    bosStripped: strip,
    positions,
    numTokensScored: t,
    numGreenTokens: green,
    zScore: z,
    pValue: hfRoughP(z),
    prediction: z > (o.zThreshold ?? 3),
  };
}

// ---- Fast path: same green flags and statistics, no per-position allocation of size V ----
// Green lists are cached as bitsets per (V, size, MT seed), LRU bounded by memory. Building
// one costs about three membership tests (torchRandpermPrefixHas follows one token through
// the shuffle without an array), so a seed is answered token by token until it has been met
// 3 times (in this text and earlier calls, counted in a bounded map), then cached.

const CACHE_BUDGET_BYTES = 64 * 1024 * 1024;
const greenCache = new Map<string, Uint32Array>();
let cacheBytes = 0;

/** Seeds met so far (not yet cached), for the 3-uses rule; cleared when it grows past 2^20. */
const metCount = new Map<string, number>();

export function clearKgwGreenCache(): void {
  greenCache.clear();
  metCount.clear();
  cacheBytes = 0;
}

function greenBits(vocabSize: number, size: number, mtSeed: number): Uint32Array {
  const k = `${vocabSize},${size},${mtSeed}`;
  let bits = greenCache.get(k);
  if (bits) {
    greenCache.delete(k); // refresh its LRU place
    greenCache.set(k, bits);
    return bits;
  }
  bits = torchRandpermPrefixBits(vocabSize, size, mtSeed);
  greenCache.set(k, bits);
  cacheBytes += bits.byteLength;
  for (const [old, b] of greenCache) {
    if (cacheBytes <= CACHE_BUDGET_BYTES) break;
    greenCache.delete(old);
    cacheBytes -= b.byteLength;
  }
  return bits;
}

/**
 * Green flags (1 green, 0 red) for candidate tokens[i] under MT seed mtSeeds[i] (u32), for
 * the positions listed in `at`: the same answers as inList(kgwGreenList(...)).
 */
export function kgwGreenFlags(
  mtSeeds: ArrayLike<number>,
  tokens: ArrayLike<number>,
  at: ArrayLike<number>,
  vocabSize: number,
  ratio: number,
): Uint8Array {
  const size = Math.floor(vocabSize * ratio);
  const count = new Map<number, number>();
  for (let j = 0; j < at.length; j++) {
    const s = mtSeeds[at[j]!]!;
    count.set(s, (count.get(s) ?? 0) + 1);
  }
  const out = new Uint8Array(tokens.length);
  if (metCount.size > 1 << 20) metCount.clear();
  for (const [s, c] of count) {
    const k = `${vocabSize},${size},${s}`;
    if (!greenCache.has(k)) metCount.set(k, (metCount.get(k) ?? 0) + c);
  }
  for (let j = 0; j < at.length; j++) {
    const i = at[j]!;
    const s = mtSeeds[i]!;
    const t = tokens[i]!;
    const k = `${vocabSize},${size},${s}`;
    if (greenCache.has(k) || (metCount.get(k) ?? 0) >= 3) {
      metCount.delete(k);
      const bits = greenBits(vocabSize, size, s);
      out[i] = t >= 0 && t < vocabSize ? (bits[t >>> 5]! >>> (t & 31)) & 1 : 0;
    } else {
      out[i] = torchRandpermPrefixHas(vocabSize, size, s, t) ? 1 : 0;
    }
  }
  return out;
}

export interface HfKgwFastDetection {
  readonly bosStripped: boolean;
  /** Per position of the (BOS-stripped) ids: 1 green, 0 red; `scored[i]` 0 before the first full n-gram. */
  readonly green: Uint8Array;
  readonly scored: Uint8Array;
  readonly numTokensScored: number;
  readonly numGreenTokens: number;
  readonly zScore: number;
  readonly pValue: number;
  readonly prediction: boolean;
}

/** hfKgwDetect's flags and statistics without its per-position objects (bit-identical). */
export function hfKgwDetectFast(tokens: readonly number[], o: HfKgwOptions): HfKgwFastDetection {
  const seeding = o.seeding ?? 'lefthash';
  const key = BigInt(o.hashingKey ?? 15485863);
  const width = o.contextWidth ?? 1;
  const ratio = o.greenlistRatio ?? 0.25;
  const strip = o.bosTokenId !== undefined && o.bosTokenId !== null && tokens[0] === o.bosTokenId;
  const ids = strip ? tokens.slice(1) : tokens;
  const prefix = seeding === 'lefthash' ? width : width - 1;
  if (ids.length - width < 1) {
    throw new RangeError(
      `Must have at least \`1\` token to score after the first min_prefix_len=${width} tokens required by the seeding scheme.`,
    );
  }
  const seeds = new Float64Array(ids.length);
  const scored = new Uint8Array(ids.length);
  const at = new Int32Array(Math.max(0, ids.length - prefix));
  const bySeedToken = new Map<number, number>();
  for (let i = prefix; i < ids.length; i++) {
    scored[i] = 1;
    at[i - prefix] = i;
    if (seeding === 'lefthash') {
      const last = ids[i - 1]!;
      let s = bySeedToken.get(last);
      if (s === undefined) bySeedToken.set(last, (s = Number(hfKgwSeed('lefthash', key, width, [last], 0) & 0xffffffffn)));
      seeds[i] = s;
    } else {
      seeds[i] = Number(hfKgwSeed(seeding, key, width, ids.slice(i - prefix, i), ids[i]!) & 0xffffffffn);
    }
  }
  const green = kgwGreenFlags(seeds, ids, at, o.vocabSize, ratio);
  let g = 0;
  for (let j = 0; j < at.length; j++) g += green[at[j]!]!;
  const t = ids.length - prefix;
  const z = (g - ratio * t) / Math.sqrt(t * ratio * (1 - ratio));
  return {
    bosStripped: strip,
    green,
    scored,
    numTokensScored: t,
    numGreenTokens: g,
    zScore: z,
    pValue: hfRoughP(z),
    prediction: z > (o.zThreshold ?? 3),
  };
}
