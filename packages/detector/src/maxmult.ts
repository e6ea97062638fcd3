/**
 * The null distribution of the payload decoder's statistic.
 *
 * At digit position b, the n_b scored tokens fall into r colours with
 * probability γ each (and into no colour with 1 − rγ): counts ~ Multinomial.
 * The decoder picks the most frequent colour at each position, so the number of
 * tokens that agree with the decoded message is M = Σ_b max_c X_{b,c}. Because
 * the maximum over all r^B messages of "tokens agreeing with that message" is
 * exactly M, P(M ≥ m) is the p-value of "this text carries *some* id" corrected
 * over all 2^N ids — no union bound needed.
 *
 * Three ways to get P(M ≥ m), most exact first (the result says which):
 *   exact     per-position pmf of max_c X_{b,c} by dynamic programming over colours
 *             (O(r·n_b³) per position), combined by convolution;
 *   union     each position's max replaced by a variable that stochastically
 *             dominates it, with survival min(1, r·P(Bin(n_b, γ) ≥ x)) (the union
 *             bound per position — tight in the upper tail), then convolved:
 *             a valid, slightly conservative p-value;
 *   bonferroni 2^N · P(Bin(n, γ) ≥ m): the plain union bound over all ids.
 * The convolution is done under exponential tilting (the pmfs are reweighted by
 * e^{θx} so that the tilted mean sits at m), so tail probabilities far below
 * 1e-308 come out exactly, in log space.
 */
import { binomialPmfLog, binomialUpperTailLog, log1mexp, logAddExp } from './stats/index.js';

/** Multiply-adds allowed for the exact per-position DP (≈ 0.1–0.3 s). */
export const EXACT_BUDGET = 1e8;
/** Largest total n for the tilted convolution (O(n²) work). */
export const CONVOLUTION_MAX_N = 20_000;
/** Doubles keep every multinomial probability ≥ e^-690 when n·ln(1/p_min) stays below this. */
const UNDERFLOW_GUARD = 690;

/**
 * ln pmf of max_c X_c, (X_1..X_r, rest) ~ Multinomial(n; γ, …, γ, 1 − rγ),
 * exactly, or null when the work or the dynamic range is too large for doubles.
 */
export function maxMultinomialLogPmf(n: number, r: number, gamma: number): Float64Array | null {
  if (n === 0) return Float64Array.of(0);
  const q = 1 - r * gamma;
  const pmin = Math.min(gamma, q > 1e-12 ? q : 1);
  if (n * -Math.log(pmin) >= UNDERFLOW_GUARD) return null;
  // Conditional colour probabilities: X_c | (X_1..X_{c-1} sum to j) ~ Bin(n − j, p_c).
  const pc: number[] = [];
  for (let c = 0; c < r; c++) pc.push(Math.min(1, gamma / (1 - c * gamma)));
  // pmf[c][m][x] and upper[c][m][x] = P(Bin(m, p_c) > x), rows m = 0..n, flattened (n+1)².
  const W = n + 1;
  const pmf: Float64Array[] = [], upper: Float64Array[] = [];
  for (let c = 0; c < r; c++) {
    const p = pc[c]!;
    const P = new Float64Array(W * W), U = new Float64Array(W * W);
    P[0] = 1;
    for (let m = 1; m <= n; m++) {
      const row = m * W, prev = (m - 1) * W;
      for (let x = 0; x <= m; x++) {
        P[row + x] = (x > 0 ? p * P[prev + x - 1]! : 0) + (x < m ? (1 - p) * P[prev + x]! : 0);
      }
    }
    for (let m = 0; m <= n; m++) {
      const row = m * W;
      let acc = 0;
      for (let x = n; x >= 0; x--) {
        U[row + x] = acc; // P(Bin > x): summed from the top, so tiny tails keep their digits
        if (x <= m) acc += P[row + x]!;
      }
    }
    pmf.push(P);
    upper.push(U);
  }
  const F = new Float64Array(W); // P(max ≤ k)
  const S = new Float64Array(W); // P(max > k)
  let g = new Float64Array(W), g2 = new Float64Array(W);
  for (let k = 0; k <= n; k++) {
    g.fill(0);
    g[0] = 1;
    let surv = 0;
    let jmax = 0; // g is zero above jmax
    for (let c = 0; c < r; c++) {
      const P = pmf[c]!, U = upper[c]!;
      // first colour to exceed k is c: all earlier colours ≤ k, this one > k
      for (let j = 0; j <= jmax; j++) {
        const gj = g[j]!;
        if (gj !== 0) surv += gj * U[(n - j) * W + k]!;
      }
      if (c === r - 1) break;
      g2.fill(0);
      let newMax = 0;
      for (let j = 0; j <= jmax; j++) {
        const gj = g[j]!;
        if (gj === 0) continue;
        const row = (n - j) * W;
        const xmax = Math.min(k, n - j);
        for (let x = 0; x <= xmax; x++) g2[j + x]! += gj * P[row + x]!;
        if (j + xmax > newMax) newMax = j + xmax;
      }
      [g, g2] = [g2, g];
      jmax = newMax;
    }
    S[k] = surv;
    // all r colours ≤ k: continue the last colour's DP into a sum
    let all = 0;
    const P = pmf[r - 1]!;
    for (let j = 0; j <= jmax; j++) {
      const gj = g[j]!;
      if (gj === 0) continue;
      const row = (n - j) * W;
      const xmax = Math.min(k, n - j);
      let s = 0;
      for (let x = 0; x <= xmax; x++) s += P[row + x]!;
      all += gj * s;
    }
    F[k] = all;
  }
  // pmf(k) = F(k) − F(k−1) in the lower half, S(k−1) − S(k) in the upper half (no cancellation)
  const out = new Float64Array(W);
  for (let k = 0; k <= n; k++) {
    let v: number;
    if (F[k]! <= 0.5) v = F[k]! - (k > 0 ? F[k - 1]! : 0);
    else v = (k > 0 ? S[k - 1]! : 1) - S[k]!;
    out[k] = v > 0 ? Math.log(v) : -Infinity;
  }
  return out;
}

/** Work of maxMultinomialLogPmf for n tokens and r colours. */
export function exactCost(n: number, r: number): number {
  return r * (n + 1) ** 3 * 0.5 + 2 * r * (n + 1) ** 2;
}

/**
 * ln pmf of a variable that stochastically dominates max_c X_c: survival
 * S̄(x) = min(1, r·P(Bin(n, γ) ≥ x)) for x ≥ 1.
 */
export function maxUnionLogPmf(n: number, r: number, gamma: number): Float64Array {
  const out = new Float64Array(n + 1).fill(-Infinity);
  const lnR = Math.log(r);
  // lnS[x] = ln S̄(x)
  const lnS = (x: number): number => (x <= 0 ? 0 : x > n ? -Infinity : Math.min(0, lnR + binomialUpperTailLog(x, n, gamma)));
  for (let x = 0; x <= n; x++) {
    const a = lnS(x), b = lnS(x + 1);
    if (b === -Infinity) out[x] = a;
    else if (a < 0) out[x] = lnR + binomialPmfLog(x, n, gamma); // S̄(x) − S̄(x+1) = r·P(Bin = x), both below 1
    else out[x] = log1mexp(b); // S̄(x) = 1: pmf = 1 − S̄(x+1)
  }
  return out;
}

/**
 * ln P(Σ_b Y_b ≥ m) for independent Y_b on 0..n_b with the given ln pmfs.
 * Exact up to rounding, also for results far below 1e-308 (tilted convolution).
 */
export function sumUpperTailLog(logPmfs: readonly Float64Array[], m: number): number {
  if (m <= 0) return 0;
  let maxTotal = 0;
  for (const lp of logPmfs) maxTotal += lp.length - 1;
  if (m > maxTotal) return -Infinity;
  const tilted = (theta: number): { mean: number; logZ: number } => {
    let mean = 0, logZ = 0;
    for (const lp of logPmfs) {
      let z = -Infinity;
      for (let x = 0; x < lp.length; x++) z = logAddExp(z, lp[x]! + theta * x);
      let mu = 0;
      for (let x = 0; x < lp.length; x++) mu += x * Math.exp(lp[x]! + theta * x - z);
      mean += mu;
      logZ += z;
    }
    return { mean, logZ };
  };
  // θ = 0 when m is at or below the mean; otherwise the tilted mean is m.
  let theta = 0;
  if (tilted(0).mean < m) {
    let lo = 0, hi = 1;
    while (tilted(hi).mean < m && hi < 1e3) hi *= 2;
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      if (tilted(mid).mean < m) lo = mid;
      else hi = mid;
    }
    theta = lo;
  }
  // convolve the tilted pmfs (each sums to 1, so no overflow; negligible mass underflows harmlessly)
  let acc = Float64Array.of(1);
  let logZ = 0;
  for (const lp of logPmfs) {
    let z = -Infinity;
    for (let x = 0; x < lp.length; x++) z = logAddExp(z, lp[x]! + theta * x);
    logZ += z;
    const q = new Float64Array(lp.length);
    for (let x = 0; x < lp.length; x++) q[x] = Math.exp(lp[x]! + theta * x - z);
    const next = new Float64Array(acc.length + q.length - 1);
    for (let a = 0; a < acc.length; a++) {
      const va = acc[a]!;
      if (va === 0) continue;
      for (let x = 0; x < q.length; x++) next[a + x]! += va * q[x]!;
    }
    acc = next;
  }
  // P(M ≥ m) = e^{logZ − θm} · Σ_{s ≥ m} q(s) e^{−θ(s − m)}
  let tail = 0;
  for (let s = m; s < acc.length; s++) tail += acc[s]! * Math.exp(-theta * (s - m));
  if (tail <= 0) return -Infinity;
  return Math.min(0, logZ - theta * m + Math.log(tail));
}
