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
import { binomialPmfLog, binomialUpperTailLog, log1mexp } from './stats/index.js';

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
  return sumUpperTails(logPmfs, m).lnGe;
}

export interface UpperTails {
  /** ln P(M ≥ m) */
  lnGe: number;
  /** ln(P(M > m) + ½·P(M = m)) */
  lnMid: number;
  /** ln P(M > m) */
  lnGt: number;
  /** ln P(M = m) */
  lnEq: number;
}

/**
 * ln P(Σ Y_b ≥ m) and the ln mid-p, ln(P(Σ Y_b > m) + ½·P(Σ Y_b = m)), from one convolution.
 * The mid-p of a discrete statistic has mean ½ under its null, so Φ⁻¹ of it is a z summary
 * centred on 0 even for a text with a handful of tokens (where P(M ≥ m) is often 1).
 */
export function sumUpperTails(logPmfs: readonly Float64Array[], m: number): UpperTails {
  let maxTotal = 0;
  for (const lp of logPmfs) maxTotal += lp.length - 1;
  if (m <= 0) {
    // P(M ≥ m) = 1; mid-p = 1 − ½·P(M = 0) at m = 0
    if (m < 0) return { lnGe: 0, lnMid: 0, lnGt: 0, lnEq: -Infinity };
    let ln0 = 0;
    for (const lp of logPmfs) ln0 += lp[0]!;
    return { lnGe: 0, lnMid: Math.log1p(-0.5 * Math.exp(ln0)), lnGt: Math.log1p(-Math.exp(ln0)), lnEq: ln0 };
  }
  if (m > maxTotal) return { lnGe: -Infinity, lnMid: -Infinity, lnGt: -Infinity, lnEq: -Infinity };
  const theta = tiltFor(logPmfs, m);
  // Convolve the tilted pmfs (each sums to 1, so no overflow). Entries below TRUNCATE times a
  // pmf's largest are dropped: they change the tail by less than that relative amount, and
  // without them the work is the tilted supports' (≈ ±40σ around the mean), not n².
  let acc = Float64Array.of(1);
  let accLo = 0; // acc[i] is the probability of the running sum accLo + i
  let logZ = 0;
  for (const lp of logPmfs) {
    const t = tilted(lp, theta);
    logZ += t.logZ;
    const q = t.q;
    let lo = 0, hi = q.length - 1, top = 0;
    for (let x = 0; x < q.length; x++) if (q[x]! > top) top = q[x]!;
    while (lo < hi && q[lo]! < top * TRUNCATE) lo++;
    while (hi > lo && q[hi]! < top * TRUNCATE) hi--;
    const next = new Float64Array(acc.length + hi - lo);
    for (let a = 0; a < acc.length; a++) {
      const va = acc[a]!;
      if (va === 0) continue;
      for (let x = lo; x <= hi; x++) next[a + x - lo]! += va * q[x]!;
    }
    accLo += lo;
    // drop the running sum's negligible ends too
    let aTop = 0;
    for (let i = 0; i < next.length; i++) if (next[i]! > aTop) aTop = next[i]!;
    let s = 0, e = next.length - 1;
    while (s < e && next[s]! < aTop * TRUNCATE) s++;
    while (e > s && next[e]! < aTop * TRUNCATE) e--;
    acc = next.subarray(s, e + 1);
    accLo += s;
  }
  // P(M ≥ m) = e^{logZ − θm} · Σ_{s ≥ m} q(s) e^{−θ(s − m)}
  let above = 0;
  for (let i = Math.max(0, m + 1 - accLo); i < acc.length; i++) above += acc[i]! * Math.exp(-theta * (accLo + i - m));
  const at = m - accLo >= 0 && m - accLo < acc.length ? acc[m - accLo]! : 0;
  const ln = (x: number): number => (x > 0 ? Math.min(0, logZ - theta * m + Math.log(x)) : -Infinity);
  return { lnGe: ln(above + at), lnMid: ln(above + 0.5 * at), lnGt: ln(above), lnEq: ln(at) };
}

/** Relative size below which a tilted probability is dropped from the convolution. */
const TRUNCATE = 1e-40;

/** A pmf tilted by e^{θx} and renormalised: q, ln of the normaliser, mean and variance. */
function tilted(lp: Float64Array, theta: number): { q: Float64Array; logZ: number; mean: number; variance: number } {
  let top = -Infinity;
  for (let x = 0; x < lp.length; x++) if (lp[x]! + theta * x > top) top = lp[x]! + theta * x;
  const q = new Float64Array(lp.length);
  let z = 0;
  for (let x = 0; x < lp.length; x++) z += q[x] = Math.exp(lp[x]! + theta * x - top);
  let mean = 0, second = 0;
  for (let x = 0; x < lp.length; x++) {
    const v = (q[x]! /= z);
    mean += x * v;
    second += x * x * v;
  }
  return { q, logZ: top + Math.log(z), mean, variance: Math.max(0, second - mean * mean) };
}

/** θ ≥ 0 whose tilted mean is m (0 when m is at or below the mean): safeguarded Newton on a bracket. */
function tiltFor(logPmfs: readonly Float64Array[], m: number): number {
  const moments = (theta: number): { mean: number; variance: number } => {
    let mean = 0, variance = 0;
    for (const lp of logPmfs) {
      const t = tilted(lp, theta);
      mean += t.mean;
      variance += t.variance;
    }
    return { mean, variance };
  };
  let at = moments(0);
  if (at.mean >= m) return 0;
  let lo = 0, hi = 1;
  while (moments(hi).mean < m && hi < 1e3) (lo = hi), (hi *= 2);
  let theta = lo;
  for (let it = 0; it < 100 && hi - lo > 1e-13 * Math.max(1, hi); it++) {
    at = moments(theta);
    if (at.mean < m) lo = theta;
    else hi = theta;
    if (Math.abs(at.mean - m) < 1e-9 * Math.max(1, m)) break;
    const step = at.variance > 0 ? theta + (m - at.mean) / at.variance : NaN;
    theta = step > lo && step < hi ? step : (lo + hi) / 2;
  }
  return theta;
}

/**
 * The per-position pmfs, memoised by (method, n, r, γ): an evidence curve re-tests the same
 * counts' distributions after every response and for every decoy key, and n_b takes few
 * distinct values, so each pmf is computed once. Shared arrays: callers must not write them.
 * Bounded (least recently used first out) at PMF_CACHE_BYTES.
 */
const pmfCache = new Map<string, Float64Array | null>();
let pmfCacheBytes = 0;
const PMF_CACHE_BYTES = 64 * 2 ** 20;

export function cachedMaxLogPmf(method: 'exact' | 'union', n: number, r: number, gamma: number): Float64Array | null {
  const k = `${method}|${n}|${r}|${gamma}`;
  const hit = pmfCache.get(k);
  if (hit !== undefined) {
    pmfCache.delete(k); // re-insert: most recently used last
    pmfCache.set(k, hit);
    return hit;
  }
  const v = method === 'exact' ? maxMultinomialLogPmf(n, r, gamma) : maxUnionLogPmf(n, r, gamma);
  pmfCache.set(k, v);
  pmfCacheBytes += v ? v.byteLength : 0;
  for (const [old, arr] of pmfCache) {
    if (pmfCacheBytes <= PMF_CACHE_BYTES) break;
    pmfCache.delete(old);
    pmfCacheBytes -= arr ? arr.byteLength : 0;
  }
  return v;
}
