/**
 * The embedder: draws each next token with the watermark applied.
 *
 * Semantics (for docs/SPEC.md §Sampling):
 *   model logits → ÷ temperature → top-k → top-p → watermark → draw.
 *  - Weights w_v = exp((l_v − M)·(1/T)), M = max logit; −∞ logits have weight 0 and are
 *    never drawn; NaN or +∞ logits are errors.
 *  - Order: logit descending, then token id ascending. top-k keeps the first k tokens of
 *    that order; top-p keeps the shortest prefix whose weight sum reaches p·Z (Z the sum
 *    over the tokens top-k kept, summed in that order). q = w restricted and normalised.
 *  - s = the step's window seed (Watermark.windowSeed over the tokens before the step).
 *    A step with fewer than h context tokens is drawn from q unwatermarked.
 *  - KGW: weights q_v·e^{δ·g_v}, g_v = 1 iff v is green: wm.isGreen(s, v); with a
 *    payload, iff wm.payloadColour(s, v) = digit[wm.payloadPosition(s, v)] (the token's
 *    colour list is the one of the digit its (step, token) carries). Unigram: the same
 *    with its one fixed list, and every position is watermarked.
 *  - Gumbel (Aaronson): token = argmax_v ln(r_v)/q_v, r_v = wm.uniform(s, v).
 *    Distortion-free over keys.
 *  - SynthID: the m-layer tournament with g_l(v) = bit l of wm.prf(s, v), ties broken
 *    uniformly, computed exactly as a distribution (tournament.ts), then drawn from.
 *    Distortion-free in expectation over keys.
 *  - Draws are exponential races, argmin_v E_v/weight_v, E_v = −ln U_v, U_v a hash of (step
 *    nonce, v) (random.ts): four rng() values per step (u, the 64-bit nonce), more only for a
 *    plain `sampleRest`. The winner among the candidates does not depend on the other tokens
 *    (sparse = dense coupling). Races skip tokens that cannot win (lazy-race.ts; KGW/unigram:
 *    no PRF call for them; Gumbel: no exp/log), with the same winner.
 *  - Gumbel and SynthID need every candidate's PRF: one batched call (wm.prfMany, WebAssembly
 *    SIMD where available); SynthID's layers run on those words in the same module.
 *
 * Sparse steps (candidates + an unlisted rest of mass ≤ R) resolve the rest exactly, by
 * thinning: KGW/unigram draw from the rest with probability R_w/(C_w + R_w) (its biased
 * share), Gumbel and SynthID with probability R (decided by u, which keeps them
 * distortion-free); the exact rest weight is computed (one dense pass) only when u falls
 * below the cheap bound. So sparse steps have the dense law at any ε (KGW: exactly, for
 * the key; Gumbel/SynthID: averaged over keys). ε bounds the probability that the sparse
 * token differs from the dense one under the same rng (bounds.ts), reported as
 * StepResult.bound; with top-k, or top-p decided exactly, the bound is 0. A rest token is
 * drawn by the dense race restricted to the rest, so it is watermarked (and equal to the
 * dense token when both come from the rest) for KGW, unigram and Gumbel; SynthID draws its
 * rest from q (watermarked: false). Through `step` with a distribution that only has a
 * `sampleRest`, KGW uses rejection (propose from the rest, accept with e^{δ(g−1)}) and
 * stays exact; Gumbel and SynthID take the plain rest draw (unwatermarked).
 */
import { messageDigits, type Watermark } from '../watermark.js';
import { unit53Of } from '../prf.js';
import type { U64 } from '../siphash.js';
import type { Seed } from '../window.js';
import { boundFactor, maxBoundFactor } from './bounds.js';
import { CandidateSet, forEachBelow, type SparseStats } from './candidates.js';
import { LazyRace } from './lazy-race.js';
import { newResolved, resolveEpsilon, resolveOptions } from './options.js';
import { weightedDraw, type Draw, type Source } from './race.js';
import { rngU32, tokenExp, uniform53 } from './random.js';
import { prfBatch } from '../kernel/prf-batch.js';
import type { Rng, SamplingOptions, SparseDistribution, StepResult } from './types.js';

export interface EmbedderOptions {
  /** The payload (e.g. account id) for a spec with a payload: 0 ≤ message < 2^bits. */
  message?: bigint | number;
}

export type SparseOptions = SamplingOptions & {
  /** Bound on P(sparse token ≠ dense token) per step; default 1e-9; 0 = list every token. */
  epsilon?: number;
};

const KGW = 0;
const GUMBEL = 1;
const SYNTHID = 2;

/** Ties a SparseDistribution made by sparseFromLogits to its exact rest. */
const EXACT = Symbol('tracemark.exactRest');
type ExactDistribution = SparseDistribution & { [EXACT]?: Source };

export class Embedder {
  readonly wm: Watermark;
  /** Largest per-step bound factor: sparseFromLogits keeps the rest mass ≤ ε / factor. */
  readonly boundFactor: number;
  readonly #kind: number;
  readonly #eDelta: number;
  readonly #layers: number;
  readonly #digits: Int32Array | null;
  readonly #threshold: number;
  readonly #seed: Seed = { hi: 0, lo: 0 };
  readonly #x: U64 = { hi: 0, lo: 0 };
  readonly #sparse = new CandidateSet();
  readonly #dense = new CandidateSet();
  readonly #opts = newResolved();
  readonly #draw: Draw = { token: 0, fromRest: false };
  readonly #lazy = new LazyRace();
  readonly #generic: Source = { n: 0, ids: new Int32Array(0), w: new Float64Array(0), total: 0, restBound: 0 };
  readonly #green = (v: number): boolean => this.#isGreen(v);

  constructor(wm: Watermark, opts: EmbedderOptions = {}) {
    this.wm = wm;
    const sc = wm.spec.scheme;
    this.#kind = sc.name === 'gumbel' ? GUMBEL : sc.name === 'synthid' ? SYNTHID : KGW;
    this.#eDelta = sc.name === 'kgw' || sc.name === 'unigram' ? Math.exp(sc.delta) : 1;
    this.#layers = sc.name === 'synthid' ? sc.layers : 0;
    this.#threshold = wm.threshold;
    this.boundFactor = maxBoundFactor(sc);
    const payload = wm.spec.payload;
    if (opts.message !== undefined) {
      if (!payload) throw new Error('a message was given but the spec has no payload');
      let m = opts.message;
      if (typeof m === 'number') {
        if (!Number.isSafeInteger(m)) throw new RangeError(`payload message must be an integer (got ${m})`);
        m = BigInt(m);
      }
      if (typeof m !== 'bigint') throw new TypeError('payload message must be a bigint or an integer');
      this.#digits = Int32Array.from(messageDigits(m, payload.bits, payload.digitBits));
    } else if (payload) {
      throw new Error(`the spec carries a ${payload.bits}-bit payload: pass the message (e.g. the account id) as opts.message`);
    } else {
      this.#digits = null;
    }
  }

  /**
   * The tempered, truncated distribution in sparse form (a step's bound ≤ ε). Reads `logits`
   * again if the rest is drawn: do not modify it before the step that uses this distribution.
   */
  sparseFromLogits(logits: Float32Array, opts: SparseOptions = {}): SparseDistribution {
    const cs = this.#sparse;
    this.#buildSparse(logits, opts);
    cs.weigh();
    const n = cs.n;
    const ids = cs.ids.slice(0, n);
    const w = cs.w.slice(0, n);
    const norm = cs.total + cs.restBound;
    const probs = new Float64Array(n);
    for (let i = 0; i < n; i++) probs[i] = w[i]! / norm;
    const { M, invT, restKey, restBound, total } = cs;
    const forEachRest = (fn: (id: number, weight: number) => void): void => forEachBelow(logits, restKey, M, invT, fn);
    const dist: ExactDistribution = { ids, probs, restMass: restBound / norm };
    if (restBound > 0) {
      dist.sampleRest = (rng: Rng): number => {
        let sum = 0;
        forEachRest((_, wt) => (sum += wt));
        let t = uniform53(rng) * sum;
        let last = -1;
        let found = -1;
        forEachRest((v, wt) => {
          if (found >= 0) return;
          last = v;
          t -= wt;
          if (t < 0) found = v;
        });
        return found >= 0 ? found : last;
      };
    }
    dist[EXACT] = { n, ids, w, total, restBound, forEachRest, boundTotal: cs.totalLb };
    return dist;
  }

  /** One step from a sparse distribution (from sparseFromLogits, or any other source). */
  step(context: ArrayLike<number>, contextLength: number, dist: SparseDistribution, rng: Rng): StepResult {
    const exact = (dist as ExactDistribution)[EXACT];
    if (exact) return this.#run(context, contextLength, exact, rng);
    const { ids, probs, restMass, sampleRest } = dist;
    if (!(ids instanceof Int32Array) || !(probs instanceof Float64Array) || ids.length !== probs.length) {
      throw new TypeError('a SparseDistribution needs ids (Int32Array) and probs (Float64Array) of equal length');
    }
    if (!(restMass >= 0 && restMass <= 1)) throw new RangeError(`restMass must be in [0, 1] (got ${restMass})`);
    if (restMass > 0 && typeof sampleRest !== 'function') {
      throw new TypeError('a SparseDistribution with restMass > 0 needs sampleRest');
    }
    let total = 0;
    for (let i = 0; i < probs.length; i++) {
      const p = probs[i]!;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`probs[${i}] must be in [0, 1] (got ${p})`);
      total += p;
    }
    const g = this.#generic;
    g.n = ids.length;
    g.ids = ids;
    g.w = probs;
    g.total = total;
    g.restBound = restMass;
    g.sampleRest = sampleRest;
    return this.#run(context, contextLength, g, rng);
  }

  /** sparseFromLogits + step, without allocating: what generation with a dense model uses. */
  stepSparseFromLogits(
    context: ArrayLike<number>,
    contextLength: number,
    logits: Float32Array,
    opts: SparseOptions,
    rng: Rng,
  ): StepResult {
    checkContext(context, contextLength);
    this.#buildSparse(logits, opts);
    return this.#run(context, contextLength, this.#sparse, rng);
  }

  /** The exact reference: every surviving token is looked at (V PRF calls). */
  stepDense(
    context: ArrayLike<number>,
    contextLength: number,
    logits: Float32Array,
    opts: SamplingOptions,
    rng: Rng,
  ): StepResult {
    checkContext(context, contextLength);
    this.#dense.buildDense(logits, resolveOptions(opts, this.#opts));
    return this.#run(context, contextLength, this.#dense, rng);
  }

  /**
   * KGW/unigram as an HF-style logits processor: adds δ in place to green logits (= the
   * embedder's law at T = 1 without top-k/top-p only). Gumbel and SynthID throw.
   */
  processLogits(context: ArrayLike<number>, contextLength: number, logits: Float32Array): void {
    const sc = this.wm.spec.scheme;
    if (sc.name !== 'kgw' && sc.name !== 'unigram') {
      throw new Error(`processLogits applies to kgw and unigram only: ${sc.name} needs the sampler (step or stepDense)`);
    }
    if (!(logits instanceof Float32Array)) throw new TypeError('logits must be a Float32Array');
    checkContext(context, contextLength);
    if (!this.wm.windowSeed(context, contextLength, this.#seed)) return;
    const delta = sc.delta;
    for (let v = 0; v < logits.length; v++) {
      const l = logits[v]!;
      if (!(l < Infinity)) {
        if (l !== l) throw new RangeError(`logits[${v}] is NaN`);
        throw new RangeError('logits must be finite or -Infinity (found +Infinity)');
      }
      if (l > -Infinity && this.#isGreen(v)) logits[v] = l + delta;
    }
  }

  /** The exact law of stepDense's token for this key and context, over the vocabulary (allocates; Gumbel: one-hot). */
  distribution(context: ArrayLike<number>, contextLength: number, logits: Float32Array, opts: SamplingOptions = {}): Float64Array {
    const ds = this.#dense;
    ds.buildDense(logits, resolveOptions(opts, this.#opts));
    checkContext(context, contextLength);
    const ok = this.wm.windowSeed(context, contextLength, this.#seed);
    const out = new Float64Array(logits.length);
    const { n, ids, w } = ds;
    if (!ok || this.#kind === KGW) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const ww = ok && this.#isGreen(ids[i]!) ? w[i]! * this.#eDelta : w[i]!;
        out[ids[i]!] = ww;
        sum += ww;
      }
      for (let i = 0; i < n; i++) out[ids[i]!]! /= sum;
    } else if (this.#kind === GUMBEL) {
      out[this.#gumbelRace(ds)] = 1;
    } else {
      const p = this.#tournamentOf(ds);
      for (let i = 0; i < n; i++) out[ids[i]!] = p[i]!;
    }
    return out;
  }

  /** The last sparse step (stepSparseFromLogits / sparseFromLogits): sizes, for benchmarks. */
  get lastSparseStats(): SparseStats {
    return this.#sparse.stats();
  }

  #buildSparse(logits: Float32Array, opts: SparseOptions): void {
    const o = resolveOptions(opts, this.#opts);
    const eps = resolveEpsilon(opts.epsilon);
    // Top-p (no top-k): the rest is truncated away; ε only sets how rare the dense fallback is.
    const target = o.topP < 1 && !(o.topK > 0) ? eps : eps / this.boundFactor;
    this.#sparse.buildSparse(logits, o, target);
  }

  #run(context: ArrayLike<number>, contextLength: number, src: Source, rng: Rng): StepResult {
    checkContext(context, contextLength);
    const ok = this.wm.windowSeed(context, contextLength, this.#seed);
    const u = uniform53(rng);
    const nonceHi = rngU32(rng);
    const nonceLo = rngU32(rng);
    const cs = src instanceof CandidateSet ? src : null;
    if (cs !== null && ok && this.#kind === SYNTHID) cs.weigh(); // SynthID reads every weight
    const rest = cs !== null ? cs.restMass() : src.restBound > 0 ? src.restBound / ((src.boundTotal ?? src.total) + src.restBound) : 0;
    const bound = Math.min(1, boundFactor(this.wm.spec.scheme, ok) * rest);
    if (!ok || this.#kind === KGW) {
      const [green, eD] = [ok ? this.#green : null, this.#eDelta];
      const d = cs ? this.#lazy.draw(cs, green, eD, u, nonceHi, nonceLo, this.#draw) : weightedDraw(src, green, eD, u, nonceHi, nonceLo, rng, this.#draw);
      return { token: d.token, watermarked: ok, fromRest: d.fromRest, bound };
    }
    if (src.restBound > 0) {
      const r = this.#restDraw(src, u, nonceHi, nonceLo, rng);
      if (r >= 0) return { token: r, watermarked: this.#kind === GUMBEL && src.forEachRest !== undefined, fromRest: true, bound };
    }
    const token = this.#kind === GUMBEL ? this.#gumbelRace(src) : this.#synthIdDraw(src, nonceHi, nonceLo);
    return { token, watermarked: true, fromRest: false, bound };
  }

  /** Gumbel/SynthID: the rest is drawn with probability R (thinning); its token, or −1 for the candidates. */
  #restDraw(src: Source, u: number, nonceHi: number, nonceLo: number, rng: Rng): number {
    const { restBound } = src;
    if (src instanceof CandidateSet) {
      if (!(u * (src.totalLb + restBound) < restBound)) return -1; // total ≥ totalLb: the same "no"
      src.weigh();
    }
    const total = src.total;
    if (!(u * (total + restBound) < restBound)) return -1;
    if (!src.forEachRest) return src.sampleRest!(rng);
    let rsum = 0;
    src.forEachRest((_, wt) => (rsum += wt));
    if (!(u * (total + rsum) < rsum)) return -1;
    let best = this.#kind === GUMBEL ? -Infinity : Infinity;
    let id = -1;
    if (this.#kind === GUMBEL) {
      // The dense race restricted to the rest: the token dense would draw if its winner is unlisted.
      src.forEachRest((v, wt) => {
        const key = Math.log(this.wm.uniform(this.#seed, v)) / wt;
        if (key > best) {
          best = key;
          id = v;
        }
      });
    } else {
      src.forEachRest((v, wt) => {
        const key = tokenExp(nonceHi, nonceLo, v) / wt;
        if (key < best) {
          best = key;
          id = v;
        }
      });
    }
    return id;
  }

  /** argmax ln(r_v)/w_v over the candidates (weights need not be normalised); lazily for a CandidateSet. */
  #gumbelRace(src: Source): number {
    const { n, ids, w } = src;
    const words = this.wm.prfMany(this.#seed, ids, n); // every candidate's r_v: r_v is keyed, nothing bounds it unseen
    if (src instanceof CandidateSet) return this.#lazy.gumbelWords(src, words);
    const { lo, hi } = words;
    let best = -Infinity;
    let id = -1;
    for (let i = 0; i < n; i++) {
      const wt = w[i]!;
      if (!(wt > 0)) continue;
      const key = Math.log(unit53Of(hi[i]!, lo[i]!)) / wt;
      if (key > best) {
        best = key;
        id = ids[i]!;
      }
    }
    if (id < 0) throw new RangeError('the distribution has no token with positive probability');
    return id;
  }

  /** The tournament winner's law over the candidates: p[0..n) (a view, valid until the next batched PRF call). */
  #tournamentOf(src: Source): Float64Array {
    const { n, ids, w, total } = src;
    if (!(total > 0)) throw new RangeError('the distribution has no token with positive probability');
    // One batched PRF call gives every layer's g-values (bit l of x); the layers then run
    // where the words are (kernel/tournament-module.ts), in the same float order.
    this.wm.prfMany(this.#seed, ids, n);
    const batch = prfBatch();
    const { p } = batch.probs();
    for (let i = 0; i < n; i++) p[i] = w[i]! / total;
    batch.tournament(n, this.#layers);
    return p;
  }

  #synthIdDraw(src: Source, nonceHi: number, nonceLo: number): number {
    const p = this.#tournamentOf(src);
    return this.#lazy.byExponent(src.ids, p, prfBatch().probs().words, src.n, nonceHi, nonceLo);
  }

  #isGreen(v: number): boolean {
    const digits = this.#digits;
    if (digits === null) return this.wm.prf(this.#seed, v, this.#x).hi < this.#threshold;
    return this.wm.payloadColour(this.#seed, v) === digits[this.wm.payloadPosition(this.#seed, v)];
  }
}

function checkContext(context: ArrayLike<number>, contextLength: number): void {
  if (!Number.isInteger(contextLength) || contextLength < 0 || contextLength > context.length) {
    throw new RangeError(`contextLength must be an integer in [0, ${context.length}] (got ${contextLength})`);
  }
}
