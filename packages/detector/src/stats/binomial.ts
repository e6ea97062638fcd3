/**
 * Exact binomial tails for the KGW (green-list) test: with S ~ Binomial(N, γ)
 * the p-value of observing s green tokens is P(S ≥ s) = I_γ(s, N − s + 1)
 * (regularized incomplete beta). Note ≥, not >: s green tokens out of s
 * possible must give p = γ^N, and s = 0 must give p = 1.
 */
import { betaIncPairLog } from './beta.js';
import { log1mexp, lnToLog10 } from './logspace.js';

function checkBinomial(name: string, n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name}: n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name}: p must be in [0,1], got ${p}`);
}

/**
 * ln P(S ≥ s) for S ~ Binomial(n, p). A non-integer s is rounded up
 * (P(S ≥ s) = P(S ≥ ⌈s⌉)). Returns 0 for s ≤ 0 and −∞ for s > n.
 * Relative error ≲ 1e−12 in ln p for n up to 10⁷ (see tests); larger n works,
 * with cost growing like √n when s is near the mean.
 */
export function binomialUpperTailLog(s: number, n: number, p: number): number {
  checkBinomial('binomialUpperTailLog', n, p);
  if (Number.isNaN(s)) throw new RangeError('binomialUpperTailLog: s is NaN');
  const k = Math.ceil(s);
  if (k <= 0) return 0;
  if (k > n) return -Infinity;
  if (p === 0) return -Infinity;
  if (p === 1) return 0;
  if (k === n) return n * Math.log(p);
  if (k === 1) return log1mexp(n * Math.log1p(-p));
  return betaIncPairLog(k, n - k + 1, p, 1 - p, false);
}

/** log10 P(S ≥ s) for S ~ Binomial(n, p). */
export function binomialUpperTailLog10(s: number, n: number, p: number): number {
  return lnToLog10(binomialUpperTailLog(s, n, p));
}

/**
 * ln P(S ≤ k) for S ~ Binomial(n, p) (lower tail / CDF). A non-integer k is
 * rounded down. Computed directly (not as 1 − upper tail), so it is accurate
 * when the lower tail is tiny.
 */
export function binomialCdfLog(k: number, n: number, p: number): number {
  checkBinomial('binomialCdfLog', n, p);
  if (Number.isNaN(k)) throw new RangeError('binomialCdfLog: k is NaN');
  const j = Math.floor(k);
  if (j < 0) return -Infinity;
  if (j >= n) return 0;
  if (p === 0) return 0;
  if (p === 1) return -Infinity;
  if (j === 0) return n * Math.log1p(-p);
  // P(S ≤ j) = 1 − P(S ≥ j+1) = 1 − I_p(j+1, n−j)
  return betaIncPairLog(j + 1, n - j, p, 1 - p, true);
}

/**
 * KGW z-score z = (s − γN)/√(Nγ(1−γ)). Only a summary statistic: its normal
 * tail is NOT a valid p-value for small N (the exact binomial tail can be many
 * times larger, see tests), use binomialUpperTailLog for decisions.
 */
export function kgwZScore(s: number, n: number, gamma: number): number {
  if (!(n > 0)) throw new RangeError(`kgwZScore: n must be > 0, got ${n}`);
  if (!(gamma > 0 && gamma < 1)) throw new RangeError(`kgwZScore: gamma must be in (0,1), got ${gamma}`);
  return (s - gamma * n) / Math.sqrt(n * gamma * (1 - gamma));
}
