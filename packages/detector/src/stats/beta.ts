/**
 * Regularized incomplete beta function I_x(a, b) and its complement, returned
 * as natural logarithms.
 *
 * Algorithm: the continued fraction (DLMF 8.17.22)
 *   I_x(a,b) = xᵃ(1−x)ᵇ / (a·B(a,b)) · 1/(1 + d₁/(1 + d₂/(1 + …)))
 *   d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),  d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)),
 * evaluated with the modified Lentz method (Thompson & Barnett 1986; as in
 * Numerical Recipes' betacf). It converges quickly for x < (a+1)/(a+b+2);
 * otherwise we evaluate I_{1−x}(b, a) = 1 − I_x(a, b) instead.
 *
 * Log space: only the prefactor xᵃ(1−x)ᵇ/B(a,b) can under/overflow, so it is
 * computed as a logarithm with Loader's deviance form (loader.ts). The
 * continued-fraction value itself is moderate (O(1) in the tails, at most
 * O(√(a+b)) near the switch point), so it is evaluated in ordinary floating
 * point with ratios only, and its log is added. A complement 1 − e^L is
 * taken with log1mexp, never as 1 − Math.exp(L).
 */
import { log1mexp } from './logspace.js';
import { lnBetaKernel, stirlerr } from './loader.js';
import { LN_SQRT_2PI } from './constants.js';

const TINY = 1e-300;
const CF_EPS = 1e-15;

/**
 * Continued-fraction part of I_x(a,b) (the value multiplying the prefactor).
 * The number of terms needed grows like √(max(a,b)) near the switch point,
 * so the iteration cap scales with it.
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const maxIter = 1000 + Math.ceil(40 * Math.sqrt(Math.max(a, b)));
  const apb = a + b;
  let d = 1 - (apb * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let c = 1;
  let h = d;
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m;
    // even step d_{2m}
    let coef = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + coef * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + coef / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // odd step d_{2m+1}
    coef = (-(a + m) * (apb + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + coef * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + coef / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < CF_EPS) return h;
  }
  throw new Error(`incomplete beta continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/**
 * Core: ln I_x(a,b) (upper = false) or ln(1 − I_x(a,b)) (upper = true), with
 * y = 1 − x supplied by the caller so that e.g. the binomial code can pass an
 * exactly known complement. Assumes a, b > 0 and x, y ∈ [0, 1].
 */
export function betaIncPairLog(a: number, b: number, x: number, y: number, upper: boolean): number {
  if (x <= 0) return upper ? 0 : -Infinity;
  if (y <= 0) return upper ? -Infinity : 0;
  if (x < (a + 1) / (a + b + 2)) {
    const lnI = Math.min(0, lnBetaKernel(a, b, x, y) - Math.log(a) + Math.log(betaContinuedFraction(a, b, x)));
    return upper ? log1mexp(lnI) : lnI;
  }
  const lnJ = Math.min(0, lnBetaKernel(b, a, y, x) - Math.log(b) + Math.log(betaContinuedFraction(b, a, y)));
  return upper ? lnJ : log1mexp(lnJ);
}

function checkBetaArgs(name: string, a: number, b: number, x: number): void {
  if (!(a > 0) || !(b > 0) || a === Infinity || b === Infinity) {
    throw new RangeError(`${name}: shape parameters must be finite and > 0, got a=${a}, b=${b}`);
  }
  if (!(x >= 0 && x <= 1)) throw new RangeError(`${name}: x must be in [0,1], got ${x}`);
}

/** ln I_x(a, b), the log of the regularized incomplete beta function (lower tail of Beta(a,b)). */
export function betaIncLog(a: number, b: number, x: number): number {
  checkBetaArgs('betaIncLog', a, b, x);
  return betaIncPairLog(a, b, x, 1 - x, false);
}

/** ln(1 − I_x(a, b)) = ln I_{1−x}(b, a), the log upper tail of Beta(a,b), without cancellation. */
export function betaIncUpperLog(a: number, b: number, x: number): number {
  checkBetaArgs('betaIncUpperLog', a, b, x);
  return betaIncPairLog(a, b, x, 1 - x, true);
}

/**
 * ln B(a, b) for a, b > 0. Uses Stirling's formula with stirlerr corrections,
 *   ln B = ln√(2π) − ½ ln(ab/(a+b)) + stirlerr(a) + stirlerr(b) − stirlerr(a+b)
 *          − a·log1p(b/a) − b·log1p(a/b),
 * which (unlike lgamma(a) + lgamma(b) − lgamma(a+b)) does not lose digits
 * when a + b is large (the role of TOMS 708's bcorr/algdiv).
 */
export function lbeta(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`lbeta: arguments must be > 0, got a=${a}, b=${b}`);
  const n = a + b;
  return (
    LN_SQRT_2PI -
    0.5 * Math.log(a * (b / n)) +
    stirlerr(a) +
    stirlerr(b) -
    stirlerr(n) -
    a * Math.log1p(b / a) -
    b * Math.log1p(a / b)
  );
}
