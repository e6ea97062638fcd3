/**
 * Log-space arithmetic helpers. Every p-value in this module is carried as its
 * natural logarithm so that values far below the smallest double (1e-308,
 * e.g. ln p = −115 000 for a million-token text) stay exact.
 */
import { LN10 } from './constants.js';

/**
 * ln(1 − eˣ) for x ≤ 0, computed without cancellation.
 *
 * Mächler (2012), "Accurately computing log(1 − exp(−|a|))": for x close to 0
 * use ln(−expm1(x)) (1 − eˣ is tiny and expm1 keeps its digits), otherwise
 * log1p(−eˣ) (eˣ is small and log1p keeps its digits). The switch at −ln 2 is
 * where both forms have the same relative error.
 */
export function log1mexp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 0) throw new RangeError(`log1mexp: argument must be ≤ 0, got ${x}`);
  if (x > -Math.LN2) return Math.log(-Math.expm1(x));
  return Math.log1p(-Math.exp(x));
}

/** ln(eᵃ + eᵇ) without overflow or underflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = a > b ? a : b;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** Convert a natural-log value to log10 (ln p → log10 p). */
export function lnToLog10(lnP: number): number {
  return lnP / LN10;
}

/** Convert a log10 value to a natural log (log10 p → ln p). */
export function log10ToLn(log10P: number): number {
  return log10P * LN10;
}
