/**
 * The sampling contract shared by the embedder (this folder), the language-model
 * backends (@tracemark/lm) and the real-model adapter.
 *
 * Pipeline at every step (docs/SPEC.md §Sampling):
 *   model logits → ÷ temperature → top-k → top-p → watermark → draw.
 * The watermark acts on the tempered, truncated distribution (as SynthID does), so
 * temperature, top-k and top-p mean the same thing with and without a watermark.
 */

/** Uniform random numbers in [0, 1). Injected so tests are deterministic. */
export type Rng = () => number;

export interface SamplingOptions {
  /** > 0; 1 = the model's distribution. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined = off). */
  topK?: number;
  /** Keep the smallest most-likely set with mass ≥ p (1 or undefined = off). */
  topP?: number;
}

/**
 * A next-token distribution in sparse form: candidate tokens with their probabilities
 * under the final (tempered, truncated) model distribution, plus what is not listed.
 */
export interface SparseDistribution {
  /** Distinct candidate token ids. */
  ids: Int32Array;
  /** Their probabilities; Σ probs + restMass = 1 (up to rounding). */
  probs: Float64Array;
  /**
   * Total probability of every unlisted token: exact, or an upper bound. The embedder
   * treats it as exact for distributions it did not make itself (sparseFromLogits
   * distributions carry their exact rest, resolved by thinning).
   */
  restMass: number;
  /** Draws one unlisted token with probability ∝ its model probability. Required when restMass > 0. */
  sampleRest?: (rng: Rng) => number;
}

export interface StepResult {
  token: number;
  /**
   * Whether the watermark was applied to this draw. False when the step had too little
   * context for the scheme, and for rest tokens drawn without it (SynthID's rest; Gumbel's
   * rest through a plain sampleRest).
   */
  watermarked: boolean;
  /**
   * True when the token was drawn from the unlisted rest. Rest tokens are still watermarked
   * exactly for KGW/unigram (always) and Gumbel (when the rest is enumerable: distributions
   * from sparseFromLogits); see `watermarked`.
   */
  fromRest: boolean;
  /**
   * Upper bound on the probability that this sparse step's token differs from the
   * dense (full-vocabulary) computation: the ε of "ε-exact". 0 for dense steps.
   */
  bound: number;
}
