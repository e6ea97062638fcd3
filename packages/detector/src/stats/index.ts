/**
 * @module stats — exact p-values for watermark detection, in log space.
 *
 * Every probability that can be tiny is passed around as its natural log
 * (ln p), never clipped: ln p = −115 129 (p ≈ 1e−50 000) is an ordinary
 * value. Convert with lnToLog10 / formatPValue only for display.
 *
 * Accuracy (see packages/detector/test/stats): tails agree with independent
 * references (exact BigInt rationals for N ≤ 2000; 96-digit pmf + direct
 * summation for N up to 10⁹) to |Δ ln p| ≤ 1e−9·max(1, |ln p|) — in practice
 * ~1e−13 or better.
 *
 * API
 *
 * Binomial (KGW green-list test, SynthID's exact Binomial(m·n, ½) test)
 *   binomialUpperTailLog(s, n, p): number     ln P(S ≥ s), S ~ Bin(n, p); s ≤ 0 → 0
 *   binomialUpperTailLog10(s, n, p): number   log10 P(S ≥ s)
 *   binomialCdfLog(k, n, p): number           ln P(S ≤ k)
 *   binomialPmfLog(k, n, p): number           ln P(S = k) (Loader 2000)
 *   kgwZScore(s, n, gamma): number            (s − γn)/√(nγ(1−γ)) — summary only, not a p-value
 *
 * Gamma (Gumbel/exponential scheme: Σ of n Exp(1) scores ~ Gamma(n, 1))
 *   gammaUpperTailLog(a, x): number           ln Q(a, x), upper regularized incomplete gamma
 *   gammaLowerLog(a, x): number               ln P(a, x)
 *   poissonPmfLog(k, lambda): number          ln P(X = k), X ~ Poisson(λ)
 *
 * Beta and special functions
 *   betaIncLog(a, b, x): number               ln I_x(a, b)
 *   betaIncUpperLog(a, b, x): number          ln(1 − I_x(a, b))
 *   lbeta(a, b), lgamma(x), lgamma1p(x)       ln B(a,b), ln Γ(x), ln Γ(1+x)
 *   stirlerr(z), bd0(x, m)                    Loader's saddle-point terms
 *
 * Combining / multiple testing (inputs and outputs are ln p)
 *   fisherCombineLog(lnPs: readonly number[]): number   Q(k, −Σ ln pᵢ)
 *   bonferroniLog(lnP, m): number                       min(0, ln p + ln m)
 *   holmAdjustLog(lnPs: readonly number[]): number[]    Holm step-down, input order
 *
 * Normal
 *   normalUpperTailLog(z), normalCdfLog(z), normalPdfLog(z)
 *   normalQuantile(p), normalQuantileLog(lnP), normalUpperQuantile(alpha)
 *   acklamQuantileLog(lnP)                    raw Acklam start value (rel. err < 1.15e−9)
 *
 * Log-space helpers and display
 *   log1mexp(x), logAddExp(a, b), lnToLog10(lnP), log10ToLn(log10P)
 *   formatPValue(lnP, digits = 2): string     "3.2e-412", "0.53", "1"
 *
 * Calibration helpers
 *   ksUniform(samples): KsResult              one-sample KS vs U(0,1); exact MTW p-value for
 *                                             n ≤ 1000 and n·d² ≤ 7, else Stephens-corrected asymptotic
 *   kolmogorovCdfExact(n, d), kolmogorovSurvivalAsymptotic(λ), kolmogorovPValue(n, d)
 *   DECOY_KS_THRESHOLD = 1e-3                 decoy p-values "not uniform" iff KS p < this
 *   clopperPearson(k, n, level = 0.95): { lower, upper }
 *
 * Planning
 *   plannedTokens(gamma, q, alpha, power): number         normal-approximation N (ceil)
 *   plannedTokensExact(gamma, q, alpha, power, maxN = 1e6): ExactPlan | null
 *   binomialCriticalValue(n, gamma, lnAlpha, guess?): number
 */
export { LN_2PI, LN_SQRT_2PI } from './constants.js';
export { log1mexp, logAddExp, lnToLog10, log10ToLn } from './logspace.js';
export { lgamma, lgamma1p } from './lgamma.js';
export { stirlerr, bd0, binomialPmfLog, poissonPmfLog } from './loader.js';
export { betaIncLog, betaIncUpperLog, lbeta } from './beta.js';
export { gammaLowerLog, gammaUpperTailLog } from './gamma.js';
export { binomialUpperTailLog, binomialUpperTailLog10, binomialCdfLog, kgwZScore } from './binomial.js';
export {
  normalUpperTailLog,
  normalCdfLog,
  normalPdfLog,
  normalQuantile,
  normalQuantileLog,
  normalUpperQuantile,
  acklamQuantileLog,
} from './normal.js';
export { fisherCombineLog, bonferroniLog, holmAdjustLog } from './combine.js';
export { formatPValue } from './format.js';
export {
  ksUniform,
  kolmogorovCdfExact,
  kolmogorovSurvivalAsymptotic,
  kolmogorovPValue,
  DECOY_KS_THRESHOLD,
  type KsResult,
} from './ks.js';
export { clopperPearson } from './intervals.js';
export { plannedTokens, plannedTokensExact, binomialCriticalValue, type ExactPlan } from './planner.js';
