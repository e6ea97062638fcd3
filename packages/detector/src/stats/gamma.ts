/**
 * Regularized incomplete gamma functions P(a, x) = γ(a, x)/Γ(a) and
 * Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x), returned as natural logarithms.
 *
 * Q(n, x) is the p-value of a sum of n iid Exp(1) scores (Gumbel / exponential
 * watermark) and, with shape k, of Fisher's combination. Algorithms (as in
 * Numerical Recipes §6.2, and Temme/DiDonato–Morris for small a):
 *  - x ≥ a + 1 (or a < 1 ≤ x): Legendre's continued fraction for Q,
 *      Q = xᵃe^−x/Γ(a) · 1/(x+1−a − 1(1−a)/(x+3−a − 2(2−a)/(x+5−a − …))),
 *    modified Lentz; P = 1 − Q via log1mexp.
 *  - a ≥ 1, x < a + 1: power series P = xᵃe^−x/Γ(a+1) · Σ xⁿ/((a+1)…(a+n));
 *    there Q ≥ ~0.1, so Q = 1 − P loses nothing.
 *  - a < 1, x < 1: Q can be tiny (≈ a·E₁(x)) while P ≈ 1, so Q is computed
 *    directly as [1 − xᵃ/Γ(a+1)] − xᵃ/Γ(a+1)·a·Σ_{n≥1} (−x)ⁿ/(n!(a+n)),
 *    with the bracket formed by expm1.
 * The prefactor xᵃe^−x/Γ(a+1) comes from Loader's deviance form (loader.ts),
 * which stays accurate for a ~ 10⁷ and for x ≫ a (Fisher with ln p = −10⁶).
 */
import { log1mexp } from './logspace.js';
import { lnPoissonKernel } from './loader.js';
import { lgamma1p } from './lgamma.js';

const TINY = 1e-300;
const EPS = 1e-16;

/** ln of Legendre's continued fraction value (the factor after xᵃe^−x/Γ(a)). */
function lnGammaContinuedFraction(a: number, x: number): number {
  const maxIter = 1000 + Math.ceil(40 * Math.sqrt(a));
  let bk = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / bk;
  let h = d;
  for (let i = 1; i <= maxIter; i++) {
    const an = -i * (i - a);
    bk += 2;
    d = an * d + bk;
    if (Math.abs(d) < TINY) d = TINY;
    c = bk + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) return Math.log(h);
  }
  throw new Error(`incomplete gamma continued fraction did not converge (a=${a}, x=${x})`);
}

/** ln of the series Σ xⁿ/((a+1)…(a+n)), n ≥ 0. */
function lnGammaSeries(a: number, x: number): number {
  const maxIter = 1000 + Math.ceil(40 * Math.sqrt(a + 1));
  let term = 1;
  let sum = 1;
  for (let n = 1; n <= maxIter; n++) {
    term *= x / (a + n);
    sum += term;
    if (term < sum * EPS) return Math.log(sum);
  }
  throw new Error(`incomplete gamma series did not converge (a=${a}, x=${x})`);
}

/** Returns [ln P, ln Q] for the small-shape region a < 1, 0 < x < 1. */
function smallShape(a: number, x: number): [number, number] {
  // u = 1 − xᵃ/Γ(a+1), exact to rounding via expm1.
  const lnXa = a * Math.log(x) - lgamma1p(a);
  const u = -Math.expm1(lnXa);
  // s = Σ_{n≥1} (−x)ⁿ/(n!(a+n)); alternating with |terms| ≤ xⁿ/n!, x < 1.
  let s = 0;
  let t = 1; // (−x)ⁿ/n!
  for (let n = 1; n < 200; n++) {
    t *= -x / n;
    const term = t / (a + n);
    s += term;
    if (Math.abs(term) < 1e-17 * Math.abs(s)) break;
  }
  const v = Math.exp(lnXa) * a * s; // P = xᵃ/Γ(a+1) + v
  const Q = u - v;
  const P = Math.exp(lnXa) + v;
  return [Math.log(P), Math.log(Q)];
}

function gammaPairLog(a: number, x: number, upper: boolean): number {
  if (!(a > 0) || a === Infinity) throw new RangeError(`incomplete gamma: shape must be finite and > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma: x must be ≥ 0, got ${x}`);
  if (x === 0) return upper ? 0 : -Infinity;
  if (x === Infinity) return upper ? -Infinity : 0;
  if (x >= a + 1 || (a < 1 && x >= 1)) {
    // Prefactor xᵃe^−x/Γ(a) = a · xᵃe^−x/Γ(a+1).
    const lnQ = Math.min(0, Math.log(a) + lnPoissonKernel(a, x) + lnGammaContinuedFraction(a, x));
    return upper ? lnQ : log1mexp(lnQ);
  }
  if (a < 1) {
    const [lnP, lnQ] = smallShape(a, x);
    return upper ? Math.min(0, lnQ) : Math.min(0, lnP);
  }
  const lnP = Math.min(0, lnPoissonKernel(a, x) + lnGammaSeries(a, x));
  return upper ? log1mexp(lnP) : lnP;
}

/** ln P(a, x), the log lower regularized incomplete gamma function (CDF of Gamma(a, 1) at x). */
export function gammaLowerLog(a: number, x: number): number {
  return gammaPairLog(a, x, false);
}

/**
 * ln Q(a, x), the log upper regularized incomplete gamma function: the
 * survival function of Gamma(a, 1) at x. For a = n integer this is
 * P(Poisson(x) ≤ n − 1) and the p-value of a sum of n iid Exp(1) scores.
 */
export function gammaUpperTailLog(a: number, x: number): number {
  return gammaPairLog(a, x, true);
}
