/**
 * Sample generation for the benchmark: exactly T_max tokens per sample.
 *
 * The reference model ends texts with its end-of-text token (a document
 * boundary in its training data). A benchmark at fixed lengths needs samples of
 * T_max tokens, so the model is wrapped to never end a text: end-of-text is
 * removed from the listed candidates (the others renormalised), and rejected
 * when the unlisted rest draws it (so its rest probability goes to the other
 * rest tokens — a total-variation change of at most that probability per step).
 * This is "ignore EOS", as serving benchmarks do; restarting after an end of
 * text would not work for keyed samplers (Gumbel, SynthID), which pick the same
 * token again from the same context.
 */
import { decode, generateTextSync, type LanguageModel } from '@tracemark/lm';
import type { Embedder, Rng, SamplingOptions, SparseDistribution } from '@tracemark/watermark';

export const ENCODING = 'o200k_base';

/** The model without its end-of-text token (see the file header). */
export function withoutEos(model: LanguageModel): LanguageModel {
  const eos = model.eos;
  if (eos === undefined) return model;
  return {
    id: `${model.id}+no-eos`,
    tokenizer: model.tokenizer,
    vocabSize: model.vocabSize,
    ...(model.maxContext !== undefined ? { maxContext: model.maxContext } : {}),
    distribution(prefix: ArrayLike<number>, prefixLength: number, opts: SamplingOptions): SparseDistribution {
      const d = model.distribution(prefix, prefixLength, opts);
      const j = d.ids.indexOf(eos);
      const sampleRest = d.sampleRest;
      const rest = sampleRest
        ? (rng: Rng): number => {
            for (let k = 0; k < 10_000; k++) {
              const t = sampleRest(rng);
              if (t !== eos) return t;
            }
            throw new Error('bench: the rest of the distribution is only end-of-text');
          }
        : undefined;
      if (j < 0) return { ids: d.ids, probs: d.probs, restMass: d.restMass, ...(rest ? { sampleRest: rest } : {}) };
      const pe = d.probs[j]!;
      const keep = 1 - pe;
      if (!(keep > 0)) throw new Error('bench: the model put all its probability on end-of-text');
      const n = d.ids.length - 1;
      const ids = new Int32Array(n);
      const probs = new Float64Array(n);
      for (let i = 0, o = 0; i < d.ids.length; i++) {
        if (i === j) continue;
        ids[o] = d.ids[i]!;
        probs[o++] = d.probs[i]! / keep;
      }
      return { ids, probs, restMass: Math.min(1, d.restMass / keep), ...(rest ? { sampleRest: rest } : {}) };
    },
  };
}

export interface Sample {
  prompt: number[];
  tokens: number[];
  text: string;
}

/** One sample of exactly T tokens (the model must not end texts: use withoutEos). */
export function generateSample(model: LanguageModel, watermark: Embedder | undefined, prompt: number[], T: number, seed: string, temperature: number): Sample {
  const r = generateTextSync({ model, watermark, prompt, maxTokens: T, seed, temperature });
  if (r.tokens.length !== T) throw new Error(`bench: generation stopped after ${r.tokens.length} of ${T} tokens (${r.stoppedBy})`);
  return { prompt, tokens: r.tokens, text: decode(ENCODING, r.tokens) };
}
