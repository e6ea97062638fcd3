// HF transformers KGW watermarked sampling (WatermarkLogitsProcessor, generation/
// logits_process.py), on the step's final distribution: +bias on the green candidates,
// then an ordinary draw. The context is the whole input_ids (prompt + generated).
import type { Rng } from '../../sampling/types.js';
import { hfKgwSeed, kgwGreenList, type KgwSeeding } from '../hf-kgw.js';
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
  mark?: Uint8Array,
): Uint8Array {
  const green = new Uint8Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const t = c.ids[i]!;
    if (!(t >= 0 && t < o.vocabSize)) throw new RangeError(`candidate id ${t} outside the vocabulary (size ${o.vocabSize})`);
  }
  const tail = inputIds.slice(-o.contextWidth);
  if (o.seeding === 'lefthash') {
    const list = kgwGreenList(hfKgwSeed('lefthash', o.hashingKey, o.contextWidth, tail, 0), o.vocabSize, o.greenlistRatio).list;
    const m = mark ?? new Uint8Array(o.vocabSize);
    for (const t of list) m[t] = 1;
    for (let i = 0; i < c.n; i++) green[i] = m[c.ids[i]!]!;
    for (const t of list) m[t] = 0;
    return green;
  }
  const order = rankByProb(c, HF_SELFHASH_CANDIDATES);
  for (const i of order) {
    const t = c.ids[i]!;
    const list = kgwGreenList(hfKgwSeed('selfhash', o.hashingKey, o.contextWidth, tail, t), o.vocabSize, o.greenlistRatio).list;
    green[i] = list.includes(t) ? 1 : 0;
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
  const mark = new Uint8Array(o.vocabSize);
  return {
    generated,
    step(d: EngineDistribution, rng: Rng): EngineStep {
      const c = engineCandidates(d);
      const wm = inputIds.length >= cfg.contextWidth;
      const idx = wm ? drawIndex(biasedProbs(c, hfKgwGreen(c, inputIds, cfg, mark), bias), rng) : drawIndex(c.probs, rng);
      const token = c.ids[idx]!;
      inputIds.push(token);
      generated.push(token);
      return { token, watermarked: wm };
    },
  };
}
