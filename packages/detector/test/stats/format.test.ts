import { describe, expect, it } from 'vitest';
import { formatPValue, lnToLog10, log10ToLn, log1mexp, logAddExp } from '../../src/stats/index.js';

describe('formatPValue', () => {
  it('prints tiny p-values from log10, never from an underflowed exp', () => {
    expect(formatPValue(Math.log(3.2) - 412 * Math.LN10)).toBe('3.2e-412');
    expect(formatPValue(Math.log(7.5) - 50000 * Math.LN10)).toBe('7.5e-50000');
    expect(formatPValue(2000 * Math.log(0.25))).toBe('7.6e-1205'); // 4^−2000 = 7.55…e−1205
    expect(formatPValue(Math.log(1.234) - 5 * Math.LN10, 3)).toBe('1.23e-5');
  });
  it('prints large p-values plainly', () => {
    expect(formatPValue(0)).toBe('1');
    expect(formatPValue(Math.log(0.9999))).toBe('1');
    expect(formatPValue(Math.log(0.53))).toBe('0.53');
    expect(formatPValue(Math.log(0.0012))).toBe('0.0012');
    expect(formatPValue(Math.log(0.001))).toBe('0.001');
  });
  it('handles rounding into the next decade and special values', () => {
    expect(formatPValue(Math.log(9.996e-5))).toBe('1.0e-4');
    expect(formatPValue(-Infinity)).toBe('0');
    expect(formatPValue(NaN)).toBe('NaN');
    expect(formatPValue(0.5)).toBe('1');
    expect(formatPValue(-1e17)).toMatch(/^1e-\d+$/);
    expect(() => formatPValue(-1, 0)).toThrow(RangeError);
  });
});

describe('log-space helpers', () => {
  it('lnToLog10 / log10ToLn', () => {
    expect(lnToLog10(Math.log(1e-300))).toBeCloseTo(-300, 12);
    expect(log10ToLn(-50000)).toBeCloseTo(-50000 * Math.LN10, 8);
  });
  it('log1mexp is accurate on both sides of −ln 2', () => {
    expect(log1mexp(-1e-20)).toBeCloseTo(Math.log(1e-20), 12);
    expect(log1mexp(-50)).toBeCloseTo(-Math.exp(-50), 30);
    expect(log1mexp(0)).toBe(-Infinity);
    expect(() => log1mexp(1)).toThrow(RangeError);
  });
  it('logAddExp', () => {
    expect(logAddExp(-1e6, -1e6)).toBeCloseTo(-1e6 + Math.LN2, 8);
    expect(logAddExp(-Infinity, -3)).toBe(-3);
    expect(logAddExp(Math.log(0.25), Math.log(0.5))).toBeCloseTo(Math.log(0.75), 15);
  });
});
