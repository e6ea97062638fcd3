/**
 * Exact (Clopper–Pearson 1934) binomial confidence interval, used to check
 * empirical false-positive rates in calibration: the interval inverts the
 * exact binomial tails, so its coverage is ≥ the nominal level for every p.
 */
import { binomialCdfLog, binomialUpperTailLog } from './binomial.js';

/** Smallest double ln p that exp() maps to a positive number. */
const LN_MIN = Math.log(Number.MIN_VALUE);

/**
 * Bisection on y = ln p for a monotone function f (increasing if `rising`),
 * finding where f crosses 0. Working on ln p resolves both tiny bounds
 * (k = 1, large n) and bounds near 1 to full double precision.
 */
function solveLogP(f: (y: number) => number, rising: boolean): number {
  let lo = LN_MIN;
  let hi = 0;
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    const v = f(mid);
    if (v < 0 === rising) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}

/**
 * Two-sided Clopper–Pearson interval for a binomial proportion with k
 * successes in n trials at confidence `level` (default 0.95):
 *   lower solves P(S ≥ k | p) = α/2 (0 if k = 0),
 *   upper solves P(S ≤ k | p) = α/2 (1 if k = n),  α = 1 − level.
 * Equivalent to the Beta(k, n−k+1) / Beta(k+1, n−k) quantiles.
 */
export function clopperPearson(k: number, n: number, level = 0.95): { lower: number; upper: number } {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`clopperPearson: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`clopperPearson: k must be an integer in [0, n], got ${k}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`clopperPearson: level must be in (0,1), got ${level}`);
  const lnHalfAlpha = Math.log((1 - level) / 2);
  const lower = k === 0 ? 0 : solveLogP((y) => binomialUpperTailLog(k, n, Math.exp(y)) - lnHalfAlpha, true);
  const upper = k === n ? 1 : solveLogP((y) => binomialCdfLog(k, n, Math.exp(y)) - lnHalfAlpha, false);
  return { lower, upper };
}
