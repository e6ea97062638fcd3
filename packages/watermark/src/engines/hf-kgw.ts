// HF transformers KGW (WatermarkLogitsProcessor / WatermarkDetector, generation/watermarking.py).
import { hfSeedMod, kgwTable, minHashSeed } from './kgw-tables.js';
import { torchRandpermPrefix } from './mt19937.js';

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
