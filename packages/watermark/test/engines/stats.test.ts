/**
 * The special functions behind the engines' p-values (and the sampling tests' χ² and
 * binomial tails), against closed forms: Q(1, x) = e^−x, Q(2, x) = (1 + x)e^−x,
 * Q(½, x) = erfc(√x), ln Γ(½) = ½ ln π, ln Γ(n) = ln (n − 1)!, and Γ's recurrence.
 */
import { describe, expect, it } from 'vitest';
import { erfc, gammaincc, logFactorial, logGamma } from '../../src/engines/stats.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('logGamma', () => {
  it('matches ln (n − 1)! at integers and ½ ln π at ½', () => {
    for (const n of [1, 2, 3, 10, 17, 171]) expect(Math.abs(logGamma(n) - logFactorial(n - 1))).toBeLessThanOrEqual(1e-14 * Math.max(1, logFactorial(n - 1)));
    expect(rel(logGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-14);
  });
  it('satisfies ln Γ(x + 1) = ln Γ(x) + ln x off the integers', () => {
    for (const x of [0.1, 0.75, 3.3, 15.9, 16.2, 123.456]) expect(Math.abs(logGamma(x + 1) - logGamma(x) - Math.log(x))).toBeLessThan(1e-12 * Math.max(1, Math.abs(logGamma(x + 1))));
  });
});

describe('gammaincc', () => {
  it('matches the closed forms on both branches (series below a + 1, continued fraction above)', () => {
    for (const x of [0.01, 0.5, 1.5, 2.9, 3.1, 10, 40]) {
      expect(rel(gammaincc(1, x), Math.exp(-x))).toBeLessThan(1e-12);
      expect(rel(gammaincc(2, x), (1 + x) * Math.exp(-x))).toBeLessThan(1e-12);
      expect(rel(gammaincc(0.5, x), erfc(Math.sqrt(x)))).toBeLessThan(1e-9);
    }
  });
  it('is 1 at x ≤ 0 and decreases in x', () => {
    expect(gammaincc(3.5, 0)).toBe(1);
    let last = 1;
    for (let x = 0.25; x < 30; x += 0.25) {
      const q = gammaincc(3.5, x);
      expect(q).toBeLessThan(last);
      last = q;
    }
  });
});
