// jwkirchenbauer/lm-watermarking (extended_watermark_processor.py): lefthash = additive_prf
// (width 1), selfhash = anchored_minhash_prf (width 4, self-salted) whose hashing table is
// seeded with 2971215073, not with the key. Green lists as in HF (torch CPU randperm).
import { normalSf } from './stats.js';
import { hfSeedMod, kgwTable, minHashSeed } from './kgw-tables.js';
import { inList, kgwGreenFlags, kgwGreenList, type KgwSeeding } from './hf-kgw.js';

export const LM_HASHINT_TABLE_SEED = 2971215073;

export interface LmWatermarkingOptions {
  readonly vocabSize: number;
  readonly seeding?: KgwSeeding;
  readonly hashKey?: bigint | number;
  readonly gamma?: number;
  readonly ignoreRepeatedNgrams?: boolean;
}

export function lmContextWidth(seeding: KgwSeeding): number {
  return seeding === 'lefthash' ? 1 : 4;
}

/** The seed lm-watermarking passes to manual_seed for `candidate` after `context`. */
export function lmSeed(seeding: KgwSeeding, hashKey: bigint, context: readonly number[], candidate: number): bigint {
  if (seeding === 'lefthash') {
    let sum = 0n;
    for (const t of context) sum += BigInt(t);
    return hashKey * sum;
  }
  return hfSeedMod(minHashSeed(kgwTable(LM_HASHINT_TABLE_SEED), hashKey, [...context, candidate], candidate));
}

export interface LmDetection {
  readonly greenMaskPerNgram: boolean[];
  readonly numTokensScored: number;
  readonly numGreenTokens: number;
  readonly zScore: number;
  readonly pValue: number;
}

/** Detector: n-grams of w+1 (lefthash) or w (self-salted) tokens; dedup keys on the whole n-gram. */
export function lmDetect(tokens: readonly number[], o: LmWatermarkingOptions): LmDetection {
  const seeding = o.seeding ?? 'lefthash';
  const key = BigInt(o.hashKey ?? 15485863);
  const gamma = o.gamma ?? 0.25;
  const width = lmContextWidth(seeding);
  const prefix = seeding === 'lefthash' ? width : width - 1;
  const mask: boolean[] = [];
  const seen = new Set<string>();
  let scored = 0;
  let green = 0;
  for (let i = prefix; i < tokens.length; i++) {
    const context = tokens.slice(i - prefix, i);
    const isGreen = inList(kgwGreenList(lmSeed(seeding, key, context, tokens[i]!), o.vocabSize, gamma), tokens[i]!);
    mask.push(isGreen);
    const ngram = [...context, tokens[i]!].join(',');
    if (o.ignoreRepeatedNgrams ?? true) {
      if (seen.has(ngram)) continue;
      seen.add(ngram);
    }
    scored++;
    green += isGreen ? 1 : 0;
  }
  const z = (green - gamma * scored) / Math.sqrt(scored * gamma * (1 - gamma));
  return { greenMaskPerNgram: mask, numTokensScored: scored, numGreenTokens: green, zScore: z, pValue: normalSf(z) };
}

/** lmDetect with the fast green test (kgwGreenFlags): the same result, bit for bit. */
export function lmDetectFast(tokens: readonly number[], o: LmWatermarkingOptions): LmDetection {
  const seeding = o.seeding ?? 'lefthash';
  const key = BigInt(o.hashKey ?? 15485863);
  const gamma = o.gamma ?? 0.25;
  const prefix = seeding === 'lefthash' ? 1 : 3;
  const n = Math.max(0, tokens.length - prefix);
  const seeds = new Float64Array(tokens.length);
  const at = new Int32Array(n);
  const byToken = new Map<number, number>();
  for (let i = prefix; i < tokens.length; i++) {
    at[i - prefix] = i;
    if (seeding === 'lefthash') {
      const last = tokens[i - 1]!;
      let s = byToken.get(last);
      if (s === undefined) byToken.set(last, (s = Number(lmSeed('lefthash', key, [last], 0) & 0xffffffffn)));
      seeds[i] = s;
    } else {
      seeds[i] = Number(lmSeed(seeding, key, tokens.slice(i - prefix, i), tokens[i]!) & 0xffffffffn);
    }
  }
  const flags = kgwGreenFlags(seeds, tokens, at, o.vocabSize, gamma);
  const mask: boolean[] = new Array(n);
  const seen = new Set<string>();
  const dedup = o.ignoreRepeatedNgrams ?? true;
  let scored = 0;
  let green = 0;
  for (let i = prefix; i < tokens.length; i++) {
    const isGreen = flags[i] === 1;
    mask[i - prefix] = isGreen;
    if (dedup) {
      const ngram = prefix === 1 ? `${tokens[i - 1]},${tokens[i]}` : `${tokens[i - 3]},${tokens[i - 2]},${tokens[i - 1]},${tokens[i]}`;
      if (seen.has(ngram)) continue;
      seen.add(ngram);
    }
    scored++;
    green += isGreen ? 1 : 0;
  }
  const z = (green - gamma * scored) / Math.sqrt(scored * gamma * (1 - gamma));
  return { greenMaskPerNgram: mask, numTokensScored: scored, numGreenTokens: green, zScore: z, pValue: normalSf(z) };
}
