/**
 * Sample-size planning for the KGW test: how many scored tokens N are needed
 * so that a one-sided level-α binomial test of γ (no watermark) rejects with
 * probability ≥ `power` when the true green rate is q > γ.
 */
import { binomialUpperTailLog } from './binomial.js';
import { normalQuantile, normalQuantileLog } from './normal.js';

function checkPlanArgs(name: string, gamma: number, q: number, alpha: number, power: number): void {
  if (!(gamma > 0 && gamma < 1)) throw new RangeError(`${name}: gamma must be in (0,1), got ${gamma}`);
  if (!(q > gamma && q < 1)) throw new RangeError(`${name}: q must be in (gamma, 1), got ${q}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${name}: alpha must be in (0,1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`${name}: power must be in (0,1), got ${power}`);
}

/**
 * Normal-approximation sample size
 *   N ≈ [(z_α√(γ(1−γ)) + z_β√(q(1−q))) / (q − γ)]²,  z_α = Φ⁻¹(1−α), z_β = Φ⁻¹(power),
 * rounded up (at least 1). A planning estimate only: for small N the exact
 * binomial answer (plannedTokensExact) can differ by several tokens.
 */
export function plannedTokens(gamma: number, q: number, alpha: number, power: number): number {
  checkPlanArgs('plannedTokens', gamma, q, alpha, power);
  const zAlpha = -normalQuantileLog(Math.log(alpha));
  const zBeta = normalQuantile(power);
  const root = (zAlpha * Math.sqrt(gamma * (1 - gamma)) + zBeta * Math.sqrt(q * (1 - q))) / (q - gamma);
  if (!(root > 0)) return 1;
  return Math.max(1, Math.ceil(root * root));
}

/**
 * Smallest s with ln P(S ≥ s) ≤ lnAlpha for S ~ Binomial(n, gamma), i.e. the
 * critical green count of the exact level-α test; n + 1 if even s = n does not
 * reach the level (γⁿ > α). `guess` only affects speed (galloping search from it).
 */
export function binomialCriticalValue(n: number, gamma: number, lnAlpha: number, guess?: number): number {
  const reject = (s: number): boolean => s > n || binomialUpperTailLog(s, n, gamma) <= lnAlpha;
  if (reject(0)) return 0; // only if α ≥ 1
  const g = guess === undefined ? Math.ceil(n * gamma) : Math.min(n + 1, Math.max(1, Math.round(guess)));
  // Invariant after galloping: reject(hi) is true, reject(lo) is false, lo < hi.
  let lo: number;
  let hi: number;
  if (reject(g)) {
    hi = g;
    let step = 1;
    for (;;) {
      const probe = g - step;
      if (probe <= 0) {
        lo = 0;
        break;
      }
      if (!reject(probe)) {
        lo = probe;
        break;
      }
      hi = probe;
      step *= 2;
    }
  } else {
    lo = g;
    let step = 1;
    for (;;) {
      const probe = g + step;
      if (probe >= n + 1) {
        hi = n + 1;
        break;
      }
      if (reject(probe)) {
        hi = probe;
        break;
      }
      lo = probe;
      step *= 2;
    }
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reject(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface ExactPlan {
  /** Smallest number of tokens N whose exact test reaches the requested power. */
  n: number;
  /** Critical green count: reject H₀ when S ≥ critical. */
  critical: number;
  /** Attained size ln P(S ≥ critical | γ) (≤ ln α). */
  lnAlpha: number;
  /** Attained power P(S ≥ critical | q). */
  power: number;
}

/**
 * Exact smallest N (≤ maxN) for which the exact level-α binomial test has
 * power ≥ `power` against green rate q. The exact power is a sawtooth in N
 * (the critical value jumps by one now and then), so "smallest" is searched
 * over all N from 1, but with provably safe skips: with s = critical(N), every
 * N′ ∈ [N, N + j] has power(N′) ≤ P(Binomial(N + j, q) ≥ s), because critical
 * values never decrease with N and tails grow with N. So whenever that bound
 * is below the target, the whole block is skipped (galloping on j). Returns
 * null if no N ≤ maxN qualifies.
 */
export function plannedTokensExact(
  gamma: number,
  q: number,
  alpha: number,
  power: number,
  maxN = 1_000_000,
): ExactPlan | null {
  checkPlanArgs('plannedTokensExact', gamma, q, alpha, power);
  const lnAlpha = Math.log(alpha);
  const lnPower = Math.log(power);
  const zAlpha = -normalQuantileLog(lnAlpha);
  const sd = Math.sqrt(gamma * (1 - gamma));
  let n = 1;
  while (n <= maxN) {
    const s = binomialCriticalValue(n, gamma, lnAlpha, n * gamma + zAlpha * sd * Math.sqrt(n));
    const lnPow = binomialUpperTailLog(s, n, q);
    if (lnPow >= lnPower) {
      return { n, critical: s, lnAlpha: binomialUpperTailLog(s, n, gamma), power: Math.exp(lnPow) };
    }
    const fails = (j: number): boolean => binomialUpperTailLog(s, n + j, q) < lnPower;
    // Largest j with fails(j) (fails(0) is true), capped at maxN − n.
    const cap = maxN - n;
    let good = 0;
    let bad = -1;
    let step = 1;
    while (bad < 0) {
      const j = Math.min(step, cap);
      if (j <= good) break; // reached the cap while still failing
      if (fails(j)) {
        good = j;
        step *= 2;
      } else bad = j;
    }
    if (bad < 0) return null; // every N up to maxN fails
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (fails(mid)) good = mid;
      else bad = mid;
    }
    n += good + 1;
  }
  return null;
}
