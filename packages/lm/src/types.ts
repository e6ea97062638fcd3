/**
 * The language-model contract of @tracemark/lm. A model produces the next-token
 * distribution after temperature, top-k and top-p (the watermark acts on that
 * distribution; see @tracemark/watermark's sampling contract).
 */
import type { SamplingOptions, SparseDistribution } from '@tracemark/watermark';

export interface LanguageModel {
  /** Stable identifier (includes what the model was trained on). */
  id: string;
  /** The spec tokenizer id its token ids belong to (e.g. o200k_base). */
  tokenizer: string;
  /** Token ids are 0 … vocabSize-1. */
  vocabSize: number;
  /**
   * Next-token distribution given prefix[0 … prefixLength-1], tempered and truncated
   * as asked: listed candidates plus the exact mass (and a sampler) of the rest.
   */
  distribution(prefix: ArrayLike<number>, prefixLength: number, opts: SamplingOptions): SparseDistribution;
  /** Dense natural-log probabilities (or logits) over the whole vocabulary, at temperature 1. */
  logits?(prefix: ArrayLike<number>, prefixLength: number): Float32Array;
  /** Longest prefix the model accepts (unbounded when absent). */
  maxContext?: number;
  /** Token that ends a text; generation stops when it is drawn and does not emit it. */
  eos?: number;
}

/** Validated sampling options (defaults filled in). */
export interface ResolvedSampling {
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
}

export function resolveSampling(opts: SamplingOptions | undefined): ResolvedSampling {
  const temperature = opts?.temperature ?? 1;
  const topK = opts?.topK ?? 0;
  const topP = opts?.topP ?? 1;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new Error(`temperature must be a finite number > 0 (got ${temperature})`);
  }
  if (temperature < 0.05 || temperature > 20) {
    throw new Error(`temperature must be between 0.05 and 20 (got ${temperature})`);
  }
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`topK must be a non-negative integer, 0 = off (got ${topK})`);
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], 1 = off (got ${topP})`);
  return { temperature, topK, topP };
}
