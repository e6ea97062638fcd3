/**
 * Human-readable p-values from ln p. The mantissa and exponent are derived
 * from log10 p directly, never from Math.exp(ln p), which underflows to 0
 * below ~1e−308: formatPValue(−948.7) is "3.2e-412", not "0".
 */
import { LN10 } from './constants.js';

/**
 * Format a p-value given as its natural log.
 * - p ≥ 0.001: plain decimal with `digits` significant digits ("0.53", "1", "0.0012").
 * - smaller: scientific "m.me-E" with `digits` significant digits ("3.2e-412").
 * ln p ≥ 0 prints "1", −∞ prints "0". The mantissa is exact while
 * |log10 p| < 1e12 (it comes from the fractional part of log10 p); beyond
 * 1e15 only the exponent is meaningful and "1e-E" is printed.
 */
export function formatPValue(lnP: number, digits = 2): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 15) {
    throw new RangeError(`formatPValue: digits must be an integer in [1,15], got ${digits}`);
  }
  if (Number.isNaN(lnP)) return 'NaN';
  if (lnP >= 0) return '1';
  if (lnP === -Infinity) return '0';
  const log10 = lnP / LN10;
  if (log10 >= -3) return String(Number(Math.exp(lnP).toPrecision(digits)));
  if (log10 < -1e15) return `1e${Math.round(log10)}`;
  let exponent = Math.floor(log10);
  let mantissa = 10 ** (log10 - exponent);
  let text = mantissa.toFixed(digits - 1);
  if (Number(text) >= 10) {
    // rounding carried into a new decade, e.g. 9.996e-5 → 1.0e-4
    exponent += 1;
    mantissa /= 10;
    text = mantissa.toFixed(digits - 1);
  }
  return `${text}e${exponent}`;
}
