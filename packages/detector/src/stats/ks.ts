/**
 * One-sample Kolmogorov–Smirnov test against Uniform(0, 1), for calibration
 * checks (e.g. "are null p-values uniform?").
 *
 * p-value method (reported in the result):
 *  - 'exact': Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's
 *    distribution", J. Stat. Software 8(18): P(Dₙ < d) = n!/nⁿ · (Hⁿ)ₖₖ for an
 *    m×m matrix H, m = 2k − 1, k = ⌊nd⌋ + 1, with exponent tracking so Hⁿ
 *    cannot overflow. ~13 correct digits of P(Dₙ < d); the p-value 1 − P is
 *    therefore accurate to ~1e−13 absolute. Used when n ≤ 1000 and n·d² ≤ 7
 *    (cost O(m³ log n) stays ≲ 0.1 s; beyond that p < ~1e−6 anyway).
 *  - 'asymptotic': Kolmogorov's limiting distribution evaluated at
 *    λ = (√n + 0.12 + 0.11/√n)·d, Stephens' (1970) small-sample correction
 *    (a few % relative accuracy in p for n ≥ 5, better in the far tail).
 */
import { lgamma } from './lgamma.js';

export interface KsResult {
  /** Number of samples. */
  n: number;
  /** Dₙ = supₓ |Fₙ(x) − x|. */
  statistic: number;
  /** P(Dₙ ≥ statistic) under H₀. */
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/**
 * The one uniformity rule for decoy-key p-values (radioactivity's `uniform` and control
 * warnings, the evidence report's wording, the investigation grid's count): the decoys
 * "do not look uniform" iff their KS p-value is below this. 0.001, not 0.01: the check is
 * run once per suspect, control and grid cell, so at 0.01 a report with ten suspects would
 * raise a false "inspect the pipeline" alarm about one time in ten; the faults it is there
 * for (a leaked key, a broken exclusion, a biased scorer) give p-values far below 0.001.
 */
export const DECOY_KS_THRESHOLD = 1e-3;

const EXP_STEP = 140; // rescale by 10^−140 when an entry exceeds 10^140
const BIG = 10 ** EXP_STEP;

function matMul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const bRow = k * m;
      const cRow = i * m;
      for (let j = 0; j < m; j++) c[cRow + j]! += aik * b[bRow + j]!;
    }
  }
  return c;
}

/** Scales `a` down in place if needed; returns how many factors 10^140 were removed. */
function rescale(a: Float64Array): number {
  let max = 0;
  for (const v of a) if (Math.abs(v) > max) max = Math.abs(v);
  if (max <= BIG) return 0;
  for (let i = 0; i < a.length; i++) a[i]! /= BIG;
  return 1;
}

/** P(Dₙ < d) exactly (Marsaglia–Tsang–Wang), for n ≥ 1. */
export function kolmogorovCdfExact(n: number, d: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kolmogorovCdfExact: n must be a positive integer, got ${n}`);
  if (!(d > 0)) return 0;
  if (d >= 1) return 1;
  if (n * d <= 0.5) return 0; // Dₙ ≥ 1/(2n) always
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  // invFact[j] = 1/j!
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let j = 1; j <= m; j++) invFact[j] = invFact[j - 1]! / j;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = invFact[i - j + 1]!;
  }
  let hp = 1;
  for (let i = 0; i < m; i++) {
    hp *= h; // h^(i+1)
    H[i * m]! -= hp * invFact[i + 1]!;
    H[(m - 1) * m + (m - 1 - i)]! -= hp * invFact[i + 1]!; // row m−1, column m−1−i gets h^(i+1)/(i+1)!
  }
  if (2 * h - 1 > 0) H[(m - 1) * m]! += (2 * h - 1) ** m * invFact[m]!;

  // Hⁿ by repeated squaring, tracking powers of 10^140 removed.
  let result: Float64Array | null = null;
  let resultExp = 0;
  let base: Float64Array = H;
  let baseExp = 0;
  let e = n;
  while (e > 0) {
    if (e & 1) {
      if (result === null) {
        result = base.slice();
        resultExp = baseExp;
      } else {
        result = matMul(result, base, m);
        resultExp += baseExp + rescale(result);
      }
    }
    e >>>= 1;
    if (e > 0) {
      base = matMul(base, base, m);
      baseExp = 2 * baseExp + rescale(base);
    }
  }
  const v = result![(k - 1) * m + (k - 1)]!;
  if (!(v > 0)) return 0;
  const lnP = Math.log(v) + resultExp * EXP_STEP * Math.LN10 + lgamma(n + 1) - n * Math.log(n);
  return Math.min(1, Math.exp(lnP));
}

/** P(K > λ) for Kolmogorov's limiting distribution K = sup |Brownian bridge|. */
export function kolmogorovSurvivalAsymptotic(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    // Jacobi-theta form converges fast for small λ:
    // K(λ) = √(2π)/λ · Σ_{j≥1} exp(−(2j−1)²π²/(8λ²))
    const f = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let j = 1; j < 20; j++) {
      const t = Math.exp(f * (2 * j - 1) ** 2);
      sum += t;
      if (t < 1e-17 * sum) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  // 2 Σ (−1)^(j−1) exp(−2j²λ²)
  let sum = 0;
  for (let j = 1; j < 100; j++) {
    const t = Math.exp(-2 * j * j * lambda * lambda);
    sum += j % 2 === 1 ? t : -t;
    if (t < 1e-17 * sum) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** P(Dₙ ≥ d) and which method produced it (see file comment). */
export function kolmogorovPValue(n: number, d: number): { pValue: number; method: 'exact' | 'asymptotic' } {
  if (n <= 1000 && n * d * d <= 7) return { pValue: Math.max(0, 1 - kolmogorovCdfExact(n, d)), method: 'exact' };
  const sn = Math.sqrt(n);
  return { pValue: kolmogorovSurvivalAsymptotic((sn + 0.12 + 0.11 / sn) * d), method: 'asymptotic' };
}

/** One-sample KS test of `samples` (values in [0, 1]) against Uniform(0, 1). */
export function ksUniform(samples: readonly number[]): KsResult {
  const n = samples.length;
  if (n === 0) throw new RangeError('ksUniform: need at least one sample');
  const u = Float64Array.from(samples);
  for (const v of u) if (!(v >= 0 && v <= 1)) throw new RangeError(`ksUniform: samples must be in [0,1], got ${v}`);
  u.sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const x = u[i]!;
    d = Math.max(d, (i + 1) / n - x, x - i / n);
  }
  const { pValue, method } = kolmogorovPValue(n, d);
  return { n, statistic: d, pValue, method };
}
