/**
 * An anytime-valid test that bounded observations have mean ≤ μ: a betting e-process
 * (Waudby-Smith & Ramdas 2023), used by the open-model test (open-model.ts).
 *
 * Observations X_i ∈ [0, 1] with E[X_i | past] = μ under H0 (≤ μ suffices). For a bet
 * λ ∈ [0, 1/μ] and a scale c_i ∈ [0, 1] fixed before X_i is seen, the wealth
 *
 *     W_n(λ) = Π_i (1 + c_i·λ·(X_i − μ))
 *
 * is a non-negative test (super)martingale: each factor is ≥ 1 − λμ ≥ 0 and has
 * conditional mean ≤ 1. One-sided on purpose: the alternative is "the suspect favours
 * the keyed tokens" (mean > μ), so only λ ≥ 0 is bet.
 *
 * The bet is not tuned on the data: the e-process is the equal-weight mixture of W(λ_j)
 * over a grid fixed in advance, λ_j = f_j / μ with f ∈ {0.9, 0.75} ∪ {2^−j : j = 1 … 12}
 * (from 90% of the largest admissible bet — whose factor never falls below 0.1 — down
 * to 1/4096 of it: large bets pay when the suspect's mass shift is large relative to
 * its spread, as green mass, an average over many tokens, often is). A mixture of test
 * martingales is one, so Ville's inequality gives P(sup_n E_n ≥ 1/α) ≤ α and 1 / sup E
 * is an anytime-valid p-value. The grid costs at most ln 14 ≈ 2.6 nats against the best
 * constant bet of the grid in hindsight.
 */
import { logAddExp } from '../stats/index.js';

export const BET_FRACTIONS: readonly number[] = [0.9, 0.75, ...Array.from({ length: 12 }, (_, j) => 2 ** -(j + 1))];

export class BoundedMeanEProcess {
  readonly #lambda: Float64Array;
  readonly #lnW: Float64Array;
  #max = 0;
  #n = 0;
  #sum = 0;
  #scaleSum = 0;

  constructor(readonly mu: number) {
    if (!(mu > 0 && mu < 1)) throw new RangeError(`null mean must be in (0, 1), got ${mu}`);
    this.#lambda = Float64Array.from(BET_FRACTIONS, (f) => f / mu);
    this.#lnW = new Float64Array(BET_FRACTIONS.length);
  }

  /** Feed one observation x ∈ [0, 1]; `scale` ∈ [0, 1] shrinks the bet (decided before x is seen). */
  update(x: number, scale = 1): void {
    if (!(x >= 0 && x <= 1)) throw new RangeError(`observation must be in [0, 1], got ${x}`);
    if (!(scale >= 0 && scale <= 1)) throw new RangeError(`bet scale must be in [0, 1], got ${scale}`);
    this.#n++;
    this.#sum += scale * x;
    this.#scaleSum += scale;
    const d = scale * (x - this.mu);
    for (let j = 0; j < this.#lambda.length; j++) this.#lnW[j]! += Math.log1p(this.#lambda[j]! * d);
    const e = this.lnE;
    if (e > this.#max) this.#max = e;
  }

  /** ln of the mixture wealth now. */
  get lnE(): number {
    let acc = -Infinity;
    for (let j = 0; j < this.#lnW.length; j++) acc = logAddExp(acc, this.#lnW[j]!);
    return acc - Math.log(this.#lnW.length);
  }
  /** Running maximum of ln E (0 before any observation: E_0 = 1). */
  get maxLnE(): number {
    return this.#max;
  }
  /** Anytime-valid ln p = −max ln E (≤ 0). */
  get lnP(): number {
    return Math.min(0, -this.#max);
  }
  get n(): number {
    return this.#n;
  }
  /** Mean observation, weighted by the bet scales (NaN before any weight). */
  get mean(): number {
    return this.#sum / this.#scaleSum;
  }
}
