import { describe, expect, it } from 'vitest';
import { binomialCdfLog, binomialUpperTailLog, clopperPearson } from '../../src/stats/index.js';

describe('clopperPearson', () => {
  it('closed forms at k = 0 and k = n', () => {
    for (const n of [1, 10, 1000, 1e6]) {
      for (const level of [0.9, 0.95, 0.999]) {
        const h = Math.log((1 - level) / 2);
        const zero = clopperPearson(0, n, level);
        expect(zero.lower).toBe(0);
        expect(Math.abs(zero.upper / -Math.expm1(h / n) - 1)).toBeLessThan(1e-12);
        const all = clopperPearson(n, n, level);
        expect(all.upper).toBe(1);
        expect(Math.abs(all.lower - Math.exp(h / n))).toBeLessThan(1e-15);
      }
    }
  });
  it('bounds solve their defining tail equations', () => {
    for (const [k, n] of [
      [1, 10],
      [5, 10],
      [37, 1000],
      [1, 1e6],
      [999, 1000],
      [50_000, 1e6],
    ] as const) {
      const { lower, upper } = clopperPearson(k, n, 0.95);
      const h = Math.log(0.025);
      expect(Math.abs(binomialUpperTailLog(k, n, lower) - h)).toBeLessThan(1e-9);
      expect(Math.abs(binomialCdfLog(k, n, upper) - h)).toBeLessThan(1e-9);
      expect(lower).toBeLessThan(k / n);
      expect(upper).toBeGreaterThan(k / n);
    }
  });
  it('matches the textbook value for 5/10 at 95%: (0.1871, 0.8129), symmetric', () => {
    const { lower, upper } = clopperPearson(5, 10);
    expect(lower).toBeCloseTo(0.187086, 6);
    expect(upper).toBeCloseTo(0.812914, 6);
    expect(lower + upper).toBeCloseTo(1, 14);
  });
  it('rejects invalid input', () => {
    expect(() => clopperPearson(11, 10)).toThrow(RangeError);
    expect(() => clopperPearson(1, 0)).toThrow(RangeError);
    expect(() => clopperPearson(1, 10, 1)).toThrow(RangeError);
  });
});
