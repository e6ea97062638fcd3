/**
 * Anytime-valid sequential tests: e-processes (test martingales) for the per-token
 * watermark scores, so that a probe may stop as soon as the evidence is strong.
 *
 * A fixed-N p-value is valid only at the N chosen in advance: peeking after every
 * response and stopping at the first p ≤ α inflates the false-alarm rate far above α.
 * A test martingale E_t ≥ 0 with E_0 = 1 and E[E_t | past] ≤ E_{t−1} under H0 obeys
 * Ville's inequality P(sup_t E_t ≥ 1/α) ≤ α, so "stop the first time E_t ≥ 1/α" has
 * error ≤ α whatever the stopping rule, and 1/sup E is an anytime-valid p-value.
 *
 * The e-processes here are mixtures of likelihood ratios (each a martingale under the
 * null; a mixture over a prior fixed in advance is again one), in closed form:
 *
 *   Bernoulli (KGW, Unigram: one trial per token with success prob γ; SynthID: m binary
 *   g-values per token with prob ½ — all i.i.d. under H0 on distinct tuples):
 *     E_N(s) = 1/(1−γ) ∫_γ^1 (q/γ)^s ((1−q)/(1−γ))^(N−s) dq
 *            = B(s+1, N−s+1)·(1 − I_γ(s+1, N−s+1)) / ((1−γ) γ^s (1−γ)^(N−s)),
 *   s successes in N trials; uniform prior on the alternative q ∈ [γ, 1]. For every
 *   q ≥ γ each factor has mean ≤ 1 when the true rate is ≤ γ, so E is a test
 *   supermartingale for the composite null "rate ≤ γ" too.
 *
 *   Gamma (Gumbel: score −ln(1−r) ~ Exp(1) under H0): alternatives Exp(θ), θ ∈ (0, 1)
 *   (mean 1/θ > 1), likelihood ratio θ e^{(1−θ)x}, uniform prior on θ:
 *     E_n(S) = ∫_0^1 θ^n e^{(1−θ)S} dθ = e^S Γ(n+1) P(n+1, S) / S^(n+1),
 *   n scored tokens with score sum S (P the regularized lower incomplete gamma).
 *
 * Deduplication is sequential: only a tuple's first occurrence may enter (repeats have
 * the same score and are not independent) — the caller feeds novel tuples only (see
 * PooledPass in pool.ts).
 */
import type { NullModel } from '@tracemark/watermark';
import { betaIncUpperLog, gammaLowerLog, lbeta, lgamma } from '../stats/index.js';

export interface EProcess {
  /** Feed one scored token (KGW/Unigram: 0/1; SynthID: g-count 0..m; Gumbel: −ln(1−r)). */
  update(score: number): void;
  /** ln E after the tokens fed so far. */
  readonly lnE: number;
  /** max ln E over every prefix fed so far (the running supremum Ville's inequality bounds). */
  readonly maxLnE: number;
  /** Tokens fed. */
  readonly n: number;
  /** Σ scores. */
  readonly sum: number;
  /** Anytime-valid ln p = min(0, −maxLnE). */
  readonly lnP: number;
  reset(): void;
}

/** ln E of the one-sided uniform-prior Bernoulli mixture for s successes in N trials (null rate p0). */
export function bernoulliMixtureLnE(s: number, N: number, p0: number): number {
  if (N === 0) return 0;
  const f = N - s;
  return lbeta(s + 1, f + 1) + betaIncUpperLog(s + 1, f + 1, p0) - Math.log1p(-p0) - s * Math.log(p0) - f * Math.log1p(-p0);
}

/** ln E of the uniform-prior exponential-tilt mixture for n Exp(1)-null scores summing to S. */
export function gammaMixtureLnE(S: number, n: number): number {
  if (n === 0) return 0;
  if (S < 1e-300) return -Math.log(n + 1);
  return S - (n + 1) * Math.log(S) + lgamma(n + 1) + gammaLowerLog(n + 1, S);
}

/** ln of the largest likelihood ratio over alternatives q ≥ p0: N·KL(p̂‖p0) for p̂ = s/N > p0, else 0. */
export function bernoulliMaxLnLR(s: number, N: number, p0: number): number {
  if (N === 0) return 0;
  const p = s / N;
  if (!(p > p0)) return 0;
  const a = p * Math.log(p / p0);
  const b = p < 1 ? (1 - p) * Math.log((1 - p) / (1 - p0)) : 0;
  return N * (a + b);
}

/** ln of the largest likelihood ratio θⁿe^{(1−θ)S} over θ ∈ (0, 1]: n ln(n/S) + S − n for S > n, else 0. */
export function gammaMaxLnLR(S: number, n: number): number {
  if (!(S > n) || n === 0) return 0;
  return n * Math.log(n / S) + S - n;
}

/**
 * The bookkeeping both mixtures share: running (Σ score, n), ln E and its running
 * maximum. A mixture never exceeds its best single likelihood ratio, so when that
 * bound is below the running maximum the maximum cannot change, and the exact
 * (costlier) ln E is computed only if asked for.
 */
abstract class MixtureEProcess implements EProcess {
  #sum = 0;
  #n = 0;
  #lnE = 0;
  #max = 0;
  #dirty = false;
  /** The validated amount a score adds to the sum. */
  protected abstract increment(score: number): number;
  /** ln E after n tokens with score sum `sum`. */
  protected abstract lnEAt(sum: number, n: number): number;
  /** An upper bound of ln E there (the best single likelihood ratio). */
  protected abstract lnEBound(sum: number, n: number): number;

  update(score: number): void {
    this.#sum += this.increment(score);
    this.#n++;
    if (this.lnEBound(this.#sum, this.#n) <= this.#max) {
      this.#dirty = true;
      return;
    }
    this.#eval();
  }
  #eval(): void {
    this.#dirty = false;
    this.#lnE = this.lnEAt(this.#sum, this.#n);
    if (this.#lnE > this.#max) this.#max = this.#lnE;
  }
  get lnE(): number {
    if (this.#dirty) this.#eval();
    return this.#lnE;
  }
  get maxLnE(): number {
    return this.#max;
  }
  get n(): number {
    return this.#n;
  }
  get sum(): number {
    return this.#sum;
  }
  get lnP(): number {
    return Math.min(0, -this.#max);
  }
  reset(): void {
    this.#sum = this.#n = this.#lnE = this.#max = 0;
    this.#dirty = false;
  }
}

/** Bernoulli mixture over trials; `trialsPerToken` = 1 (KGW/Unigram) or m (SynthID). */
export class BernoulliMixture extends MixtureEProcess {
  constructor(readonly p0: number, readonly trialsPerToken = 1) {
    super();
    if (!(p0 > 0 && p0 < 1)) throw new RangeError(`null rate must be in (0, 1), got ${p0}`);
    if (!(Number.isInteger(trialsPerToken) && trialsPerToken >= 1)) throw new RangeError('trialsPerToken must be an integer ≥ 1');
  }
  protected increment(score: number): number {
    const k = Math.round(score);
    if (!(k >= 0 && k <= this.trialsPerToken)) throw new RangeError(`score ${score} is not a success count in [0, ${this.trialsPerToken}]`);
    return k;
  }
  protected lnEAt(s: number, n: number): number {
    return bernoulliMixtureLnE(s, n * this.trialsPerToken, this.p0);
  }
  protected lnEBound(s: number, n: number): number {
    return bernoulliMaxLnLR(s, n * this.trialsPerToken, this.p0);
  }

  /**
   * Rejection boundary for tokens 1..nMax: b[n] = the smallest success count s with
   * ln E(s, n·m) ≥ lnThreshold (n·m + 1 when none). ln E increases with s (each
   * likelihood ratio does, for q ≥ p0), so "E ≥ threshold" ⇔ s ≥ b[n]; simulations
   * then cost one comparison per token.
   */
  boundary(nMax: number, lnThreshold: number): Int32Array {
    const m = this.trialsPerToken;
    const b = new Int32Array(nMax + 1);
    b[0] = 1;
    let s = 0;
    for (let n = 1; n <= nMax; n++) {
      const N = n * m;
      // b[n] ≥ b[n−1] − m is not guaranteed to be monotone, so search from the previous value both ways.
      s = Math.min(Math.max(s, 0), N);
      if (bernoulliMixtureLnE(s, N, this.p0) >= lnThreshold) {
        while (s > 0 && bernoulliMixtureLnE(s - 1, N, this.p0) >= lnThreshold) s--;
      } else {
        while (s <= N && bernoulliMixtureLnE(s, N, this.p0) < lnThreshold) s++;
      }
      b[n] = s;
    }
    return b;
  }
}

/** Exponential-tilt mixture for Gumbel scores. */
export class GammaMixture extends MixtureEProcess {
  protected increment(score: number): number {
    if (!(score >= 0) || !Number.isFinite(score)) throw new RangeError(`Gumbel score must be finite and ≥ 0, got ${score}`);
    return score;
  }
  protected lnEAt(S: number, n: number): number {
    return gammaMixtureLnE(S, n);
  }
  protected lnEBound(S: number, n: number): number {
    return gammaMaxLnLR(S, n);
  }

  /**
   * Rejection boundary for n = 1..nMax: b[n] = the score sum S at which ln E(S, n) =
   * lnThreshold (ln E increases with S: every likelihood ratio θe^{(1−θ)S} does), so
   * "E ≥ threshold" ⇔ S ≥ b[n]. Bisection to 1e-10 relative.
   */
  static boundary(nMax: number, lnThreshold: number): Float64Array {
    const b = new Float64Array(nMax + 1);
    b[0] = Infinity;
    for (let n = 1; n <= nMax; n++) {
      let lo = 0, hi = Math.max(1, 2 * n);
      while (gammaMixtureLnE(hi, n) < lnThreshold) hi *= 2;
      while (hi - lo > 1e-10 * hi) {
        const mid = 0.5 * (lo + hi);
        if (gammaMixtureLnE(mid, n) >= lnThreshold) hi = mid;
        else lo = mid;
      }
      b[n] = hi;
    }
    return b;
  }
}

/** The e-process matching a scheme's null model. */
export function schemeEProcess(nullModel: NullModel): EProcess {
  if (nullModel.kind === 'gamma') return new GammaMixture();
  return new BernoulliMixture(nullModel.p, nullModel.trialsPerToken);
}

export interface SequentialDecision {
  /** Evidence reached: sup E ≥ 1/α. */
  reject: boolean;
  lnE: number;
  maxLnE: number;
  log10E: number;
  /** Anytime-valid p-value 1/sup E (as ln and log10). */
  lnP: number;
  log10P: number;
  scored: number;
}

export function sequentialDecision(e: EProcess, alpha: number): SequentialDecision {
  return {
    reject: e.maxLnE >= -Math.log(alpha),
    lnE: e.lnE,
    maxLnE: e.maxLnE,
    log10E: e.lnE / Math.LN10,
    lnP: e.lnP,
    log10P: e.lnP / Math.LN10,
    scored: e.n,
  };
}
