/**
 * The unwatermarked sampler with the embedder's exact semantics (temperature → top-k →
 * top-p → draw), randomness use (four rng() values per step) and sparse extraction.
 * With the same rng it draws the same token as an Embedder step that has no watermark
 * to apply; it is the baseline the embedding benchmark compares against.
 */
import { CandidateSet, type SparseStats } from './candidates.js';
import { newResolved, resolveEpsilon, resolveOptions } from './options.js';
import { LazyRace } from './lazy-race.js';
import type { Draw } from './race.js';
import { rngU32, uniform53 } from './random.js';
import type { SparseOptions } from './embedder.js';
import type { Rng, SamplingOptions, StepResult } from './types.js';

export class PlainSampler {
  readonly #sparse = new CandidateSet();
  readonly #dense = new CandidateSet();
  readonly #opts = newResolved();
  readonly #draw: Draw = { token: 0, fromRest: false };
  readonly #lazy = new LazyRace();

  /** Sparse draw; bound = P(token ≠ sampleDense's token with the same rng) ≤ 2R ≤ ε. */
  sample(logits: Float32Array, opts: SparseOptions, rng: Rng): StepResult {
    const o = resolveOptions(opts, this.#opts);
    const eps = resolveEpsilon(opts.epsilon);
    this.#sparse.buildSparse(logits, o, o.topP < 1 && !(o.topK > 0) ? eps : eps / 2);
    return this.#step(this.#sparse, rng);
  }

  /** Dense reference draw (Math.exp on every surviving logit). */
  sampleDense(logits: Float32Array, opts: SamplingOptions, rng: Rng): StepResult {
    this.#dense.buildDense(logits, resolveOptions(opts, this.#opts));
    return this.#step(this.#dense, rng);
  }

  /** The last sparse draw: candidates drawn from, tokens kept by the collection pass, rest mass bound. */
  get lastStats(): SparseStats {
    return this.#sparse.stats();
  }

  /** The race is weightedDraw's (race.ts), evaluated lazily (lazy-race.ts): the same token. */
  #step(cs: CandidateSet, rng: Rng): StepResult {
    const u = uniform53(rng);
    const nonceHi = rngU32(rng);
    const nonceLo = rngU32(rng);
    const d = this.#lazy.draw(cs, null, 1, u, nonceHi, nonceLo, this.#draw);
    return { token: d.token, watermarked: false, fromRest: d.fromRest, bound: Math.min(1, 2 * cs.restMass()) };
  }
}
