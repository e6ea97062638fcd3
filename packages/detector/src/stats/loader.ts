/**
 * Saddle-point ("deviance") building blocks from C. Loader (2000), "Fast and
 * Accurate Computation of Binomial Probabilities". Writing a probability mass
 * as exp(−stirlerr terms − bd0 terms)/√(2π…) keeps every term small, whereas
 * the naive ln C(n,k) + k ln p + (n−k) ln q subtracts numbers of size n·ln n:
 * at n = 10⁷ that cancellation alone costs ~1e−8 absolute in ln p, far above
 * the 1e−9·max(1,|ln p|) budget of the detector.
 */
import { LN_SQRT_2PI } from './constants.js';
import { lgamma1p, stirlingTail } from './lgamma.js';

/**
 * stirlerr for z < 10 without the large cancellation of the direct formula.
 * For z ≥ 1 shift upward with the exact recurrence
 *   stirlerr(z) = stirlerr(z + 1) + (z + ½)·ln(1 + 1/z) − 1
 *              = stirlerr(z + 1) + Σ_{j≥1} t^{2j}/(2j + 1),  t = 1/(2z + 1),
 * (from (1/t)·atanh(t) = 1 + t²/3 + t⁴/5 + …, all terms positive, t ≤ ⅓),
 * until the asymptotic series applies. For z < 1 the direct formula
 * ln Γ(1 + z) − (z + ½)ln z + z − ln√(2π) has only O(1) terms and is fine.
 */
function stirlerrSmall(z: number): number {
  if (z < 1) return lgamma1p(z) - (z + 0.5) * Math.log(z) + z - LN_SQRT_2PI;
  let acc = 0;
  while (z < 10) {
    const t = 1 / (2 * z + 1);
    const t2 = t * t;
    let term = t2;
    let s = 0;
    for (let j = 1; j < 40; j++) {
      const add = term / (2 * j + 1);
      s += add;
      if (add < 1e-17 * s) break;
      term *= t2;
    }
    acc += s;
    z += 1;
  }
  return acc + stirlingTail(z);
}

/** stirlerr(z) for z = 0, ½, 1, …, 10, precomputed (the integer/half-integer fast path). */
const STIRLERR_HALF: readonly number[] = Array.from({ length: 21 }, (_, i) => (i === 0 ? 0 : stirlerrSmall(i / 2)));

/**
 * stirlerr(z) = ln Γ(z + 1) − [(z + ½)ln z − z + ln√(2π)], the error of
 * Stirling's formula for z!, for z > 0 (stirlerr(0) is defined as 0 for the
 * pmf edge cases). Relative error ≲ 4e−16 for z ≥ 1, absolute ≲ 5e−16 below.
 */
export function stirlerr(z: number): number {
  if (z >= 10) return stirlingTail(z);
  const twice = 2 * z;
  if (twice === Math.floor(twice)) return STIRLERR_HALF[twice]!;
  return stirlerrSmall(z);
}

/**
 * bd0(x, m) = x·ln(x/m) + m − x ≥ 0, the Poisson deviance term, for x ≥ 0,
 * m > 0. When x ≈ m the direct formula cancels catastrophically, so we use
 * Loader's series in v = (x − m)/(x + m):
 *   bd0 = (x − m)·v + 2x·Σ_{j≥1} v^{2j+1}/(2j+1),
 * whose terms all have the size of the result. |v| < 0.1 ⇒ ≤ ~16 terms.
 */
export function bd0(x: number, m: number): number {
  if (x === 0) return m;
  if (m === Infinity) return Infinity;
  const diff = x - m;
  if (Math.abs(diff) < 0.1 * (x + m)) {
    const v = diff / (x + m);
    const v2 = v * v;
    let s = diff * v;
    let ej = 2 * x * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v2;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * ln[ xᵃ yᵇ / B(a, b) ] for a, b > 0 and x + y = 1 (y passed separately so a
 * tiny complement keeps its digits). This is the common prefactor of the
 * incomplete beta function. With n = a + b it equals
 *   stirlerr(n) − stirlerr(a) − stirlerr(b) − bd0(a, n x) − bd0(b, n y) + ½ ln(ab / (2π n)),
 * obtained by writing ln B(a,b) with Stirling's formula plus stirlerr
 * corrections; the x, y dependence collapses into the two bd0 deviances.
 */
export function lnBetaKernel(a: number, b: number, x: number, y: number): number {
  if (x <= 0 || y <= 0) return -Infinity;
  const n = a + b;
  return (
    stirlerr(n) -
    stirlerr(a) -
    stirlerr(b) -
    bd0(a, n * x) -
    bd0(b, n * y) +
    0.5 * Math.log(a * (b / n)) -
    LN_SQRT_2PI
  );
}

/**
 * ln[ xᵃ e^−x / Γ(a + 1) ] for a ≥ 0, x ≥ 0 — the prefactor of the incomplete
 * gamma function and, for integer a, the Poisson(x) log-pmf at a. Loader's
 * form −stirlerr(a) − bd0(a, x) − ½ ln(2π a) stays accurate for a ~ 10⁷ and
 * beyond, where a·ln x − x − ln Γ(a + 1) would cancel to ~1e−8 absolute.
 */
export function lnPoissonKernel(a: number, x: number): number {
  if (a === 0) return -x;
  if (x === 0) return -Infinity;
  if (a < 1) {
    // Small shape: the direct form has no cancellation and avoids the
    // ±½ ln a terms that Loader's form would add and then remove.
    return a * Math.log(x) - x - lgamma1p(a);
  }
  return -stirlerr(a) - bd0(a, x) - 0.5 * Math.log(a) - LN_SQRT_2PI;
}

/**
 * ln P(S = k) for S ~ Binomial(n, p), Loader's algorithm. k and n are
 * non-negative integers with k ≤ n (out-of-range k gives −∞).
 */
export function binomialPmfLog(k: number, n: number, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialPmfLog: p must be in [0,1], got ${p}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomialPmfLog: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) return -Infinity;
  const q = 1 - p;
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (q === 0) return k === n ? 0 : -Infinity;
  if (k === 0) return n * Math.log1p(-p);
  if (k === n) return n * Math.log(p);
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n * p) - bd0(n - k, n * q);
  return lc - 0.5 * Math.log(k * ((n - k) / n)) - LN_SQRT_2PI;
}

/** ln P(X = k) for X ~ Poisson(λ), k a non-negative integer. */
export function poissonPmfLog(k: number, lambda: number): number {
  if (!(lambda >= 0)) throw new RangeError(`poissonPmfLog: λ must be ≥ 0, got ${lambda}`);
  if (!Number.isInteger(k) || k < 0) return -Infinity;
  if (lambda === 0) return k === 0 ? 0 : -Infinity;
  return lnPoissonKernel(k, lambda);
}
