// HF transformers KGW watermarked sampling (WatermarkLogitsProcessor, generation/
// logits_process.py), on the step's final distribution: +bias on the green candidates,
// then an ordinary draw. The context is the whole input_ids (prompt + generated).
import type { Rng } from '../../sampling/types.js';
import { hfKgwSeed, type KgwSeeding } from '../hf-kgw.js';
import { torchRandpermPrefixBits, torchRandpermPrefixHas } from '../mt19937.js';
import { biasedProbs, engineCandidates, drawIndex, rankByProb, type Candidates, type EngineDistribution, type EngineSampler, type EngineStep } from './common.js';

/** HF selfhash tests only this many best candidates (`for i in range(40)`). */
export const HF_SELFHASH_CANDIDATES = 40;

export interface HfKgwEmbedOptions {
  /** The model's vocabulary size (green lists are prefixes of randperm(vocabSize)). */
  readonly vocabSize: number;
  readonly seeding?: KgwSeeding;
  /** hashing_key, default 15485863. */
  readonly hashingKey?: bigint | number;
  readonly contextWidth?: number;
  readonly greenlistRatio?: number;
  readonly bias?: number;
  /** Prompt ids (input_ids before the first generated token). */
  readonly prompt?: readonly number[];
}

/**
 * Green flags of the candidates after `inputIds`, as the processor marks them: lefthash one
 * green list from the last token; selfhash a list per candidate (window = last w of
 * input_ids + candidate), tested for the 40 most probable candidates only.
 */
export function hfKgwGreen(
  c: Candidates,
  inputIds: readonly number[],
  o: { vocabSize: number; seeding: KgwSeeding; hashingKey: bigint; contextWidth: number; greenlistRatio: number },
  scratch?: Parameters<typeof torchRandpermPrefixBits>[3],
): Uint8Array {
  const green = new Uint8Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const t = c.ids[i]!;
    if (!(t >= 0 && t < o.vocabSize)) throw new RangeError(`candidate id ${t} outside the vocabulary (size ${o.vocabSize})`);
  }
  const tail = inputIds.slice(-o.contextWidth);
  const size = Math.floor(o.vocabSize * o.greenlistRatio);
  const mtSeed = (seed: bigint): number => Number(seed & 0xffffffffn);
  if (o.seeding === 'lefthash') {
    // one green list (the first V·γ entries of randperm(V)) as a bitset
    const bits = torchRandpermPrefixBits(o.vocabSize, size, mtSeed(hfKgwSeed('lefthash', o.hashingKey, o.contextWidth, tail, 0)), scratch);
    for (let i = 0; i < c.n; i++) green[i] = (bits[c.ids[i]! >>> 5]! >>> (c.ids[i]! & 31)) & 1;
    return green;
  }
  for (const i of rankByProb(c, HF_SELFHASH_CANDIDATES)) {
    const t = c.ids[i]!;
    green[i] = torchRandpermPrefixHas(o.vocabSize, size, mtSeed(hfKgwSeed('selfhash', o.hashingKey, o.contextWidth, tail, t)), t) ? 1 : 0;
  }
  return green;
}

/**
 * A per-request HF KGW sampler. HF skips the watermark while input_ids is shorter than
 * context_width (with a prompt this is only the case for very short prompts).
 */
export function createHfKgwSampler(o: HfKgwEmbedOptions): EngineSampler {
  if (!Number.isInteger(o.vocabSize) || o.vocabSize < 1) throw new RangeError(`vocabSize must be a positive integer (got ${o.vocabSize})`);
  const cfg = {
    vocabSize: o.vocabSize,
    seeding: o.seeding ?? 'lefthash',
    hashingKey: BigInt(o.hashingKey ?? 15485863),
    contextWidth: o.contextWidth ?? 1,
    greenlistRatio: o.greenlistRatio ?? 0.25,
  };
  if (!Number.isInteger(cfg.contextWidth) || cfg.contextWidth < 1) throw new RangeError(`context_width must be a positive integer (got ${cfg.contextWidth})`);
  const bias = o.bias ?? 2;
  const inputIds: number[] = [...(o.prompt ?? [])];
  const generated: number[] = [];
  const scratch = new Uint32Array((o.vocabSize + 31) >>> 5);
  return {
    generated,
    step(d: EngineDistribution, rng: Rng): EngineStep {
      const c = engineCandidates(d);
      const wm = inputIds.length >= cfg.contextWidth;
      const idx = wm ? drawIndex(biasedProbs(c, hfKgwGreen(c, inputIds, cfg, scratch), bias), rng) : drawIndex(c.probs, rng);
      const token = c.ids[idx]!;
      inputIds.push(token);
      generated.push(token);
      return { token, watermarked: wm };
    },
  };
}
