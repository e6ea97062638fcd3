import { describe, expect, it } from 'vitest';
import { lgamma, lgamma1p, lbeta, stirlerr, bd0, LN_2PI, LN_SQRT_2PI } from '../../src/stats/index.js';
import { fixToNumber, LN_2PI_FIX, lnFactorial, lnGammaRef, rationalOfDouble, lnGammaRational } from './reference.js';

/** Relative error, falling back to absolute below `floor`. */
function rel(got: number, ref: number, floor = 1e-300): number {
  return Math.abs(got - ref) / Math.max(Math.abs(ref), floor);
}

describe('lgamma', () => {
  const grid = [
    1e-300, 1e-20, 1e-8, 0.001, 0.1, 0.3, 0.49999, 0.5, 0.5000001, 0.75, 0.9, 0.999, 1 - 2 ** -30, 1, 1 + 2 ** -30,
    1 + 1e-6, 1.25, 1.4999, 1.5, 1.75, 1.999999, 2 - 2 ** -40, 2, 2 + 2 ** -40, 2.0001, 2.4999, 2.5, 3, 3.7, 5.5, 7.25,
    9.99, 10, 10.5, 12.3, 50.3, 100, 1000.25, 123456.789, 1e6 + 0.5, 1e7, 1e10, 1e15, 1e100,
  ];
  it('matches a 96-digit Stirling/BigInt reference to ~1e-15 relative (incl. near the zeros at 1 and 2)', () => {
    let worst = 0;
    for (const x of grid) {
      const ref = lnGammaRef(x);
      const err = x === 1 || x === 2 ? Math.abs(lgamma(x)) : rel(lgamma(x), ref);
      worst = Math.max(worst, err);
      expect(err, `x=${x}`).toBeLessThan(3e-15);
    }
    console.info(`lgamma: max relative error ${worst.toExponential(2)} over ${grid.length} points`);
  });
  it('is exact at the integers 1 and 2, and ln((n−1)!) at integers', () => {
    expect(lgamma(1)).toBe(0);
    expect(lgamma(2)).toBe(0);
    for (const n of [3, 4, 5, 10, 20, 171, 1000]) {
      expect(rel(lgamma(n), fixToNumber(lnFactorial(n - 1)))).toBeLessThan(2e-15);
    }
  });
  it('lgamma1p keeps relative accuracy for tiny arguments', () => {
    for (const x of [1e-17, -1e-12, 3e-9, 0.2, -0.3, 0.5, 0.9, 5]) {
      const [p, q] = rationalOfDouble(x);
      const ref = fixToNumber(lnGammaRational(p + q, q));
      expect(rel(lgamma1p(x), ref), `x=${x}`).toBeLessThan(2e-15);
    }
  });
  it('has correctly rounded ln(2π) constants', () => {
    const ref = fixToNumber(LN_2PI_FIX);
    expect(LN_2PI).toBe(ref);
    expect(LN_SQRT_2PI).toBe(fixToNumber(LN_2PI_FIX / 2n));
  });
  it('rejects non-positive arguments', () => {
    expect(lgamma(0)).toBe(Infinity);
    expect(() => lgamma(-1)).toThrow(RangeError);
    expect(() => lgamma(NaN)).toThrow(RangeError);
  });
});

describe('Loader building blocks', () => {
  it('stirlerr matches ln Γ(z+1) − (z+½)ln z + z − ln√(2π) to 1e-15 relative', () => {
    for (const z of [0.001, 0.5, 1, 2.5, 3.3, 7, 9.5, 9.99, 10, 10.01, 15, 100, 1e4, 1e7, 1e12]) {
      const [p, q] = rationalOfDouble(z);
      // exact-ish: use the 96-digit reference for ln Γ(z+1) and ln z
      const lnG = lnGammaRational(p + q, q);
      const zFix = (p << 320n) / q;
      const lnZ = lnGammaRational(p + q, q) - lnGammaRational(p, q); // ln z = ln Γ(z+1) − ln Γ(z)
      const refFix = lnG - (((zFix + (1n << 319n)) * lnZ) >> 320n) + zFix - LN_2PI_FIX / 2n;
      const ref = fixToNumber(refFix);
      expect(rel(stirlerr(z), ref), `z=${z}`).toBeLessThan(z < 1 ? 3e-15 : 1e-15);
    }
  });
  it('bd0 is ≥ 0, exactly 0 at x = m, and matches x ln(x/m) + m − x away from x ≈ m', () => {
    expect(bd0(5, 5)).toBe(0);
    expect(bd0(0, 3)).toBe(3);
    for (const [x, m] of [
      [10, 3],
      [3, 10],
      [1e6, 2e6],
    ] as const) {
      expect(rel(bd0(x, m), x * Math.log(x / m) + m - x)).toBeLessThan(1e-14);
    }
    // near x ≈ m the series keeps full relative accuracy: bd0 ≈ (x−m)²/(2m) − (x−m)³/(6m²)
    const m = 1e7;
    const d = 3;
    const approx = (d * d) / (2 * m) - (d * d * d) / (6 * m * m) + (d ** 4) / (12 * m ** 3);
    expect(rel(bd0(m + d, m), approx)).toBeLessThan(1e-12);
  });
  it('lbeta is accurate for huge arguments where lgamma differences cancel', () => {
    for (const [a, b] of [
      [0.5, 0.5],
      [3, 4],
      [1e-3, 1e7],
      [2.5e6, 7.5e6],
      [1e9, 3],
      [123.25, 4567.5],
    ] as const) {
      const [pa, qa] = rationalOfDouble(a);
      const [pb, qb] = rationalOfDouble(b);
      const [pn, qn] = [pa * qb + pb * qa, qa * qb]; // exact a + b
      const ref = fixToNumber(lnGammaRational(pa, qa) + lnGammaRational(pb, qb) - lnGammaRational(pn, qn));
      expect(rel(lbeta(a, b), ref, 1), `a=${a}, b=${b}`).toBeLessThan(1e-14);
    }
  });
});
