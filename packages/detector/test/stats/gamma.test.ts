import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  betaIncLog,
  betaIncUpperLog,
  gammaLowerLog,
  gammaUpperTailLog,
  log1mexp,
  poissonPmfLog,
} from '../../src/stats/index.js';
import {
  fixToNumber,
  gammaUpperExactLn,
  gammaUpperTailSumRef,
  lnErr,
  lnFactorial,
  lnGammaRational,
  lnRational,
  PREC,
  rationalOfDouble,
} from './reference.js';

interface GammaFixture {
  a: number;
  xNum: number;
  xDen: number;
  lnQ: string;
}
const fixtures: GammaFixture[] = JSON.parse(readFileSync(new URL('./fixtures/gamma-exact.json', import.meta.url), 'utf8')).cases;

const TOL = 1e-11;

describe('gammaUpperTailLog vs exact rationals (fixtures, shape ≤ 2000)', () => {
  it('matches every fixture (including ln Q ≈ −10^5)', () => {
    let worst = 0;
    for (const f of fixtures) {
      const got = gammaUpperTailLog(f.a, f.xNum / f.xDen);
      const err = lnErr(got, Number(f.lnQ));
      worst = Math.max(worst, err);
      expect(err, `a=${f.a} x=${f.xNum}/${f.xDen}`).toBeLessThan(TOL);
    }
    expect(Math.min(...fixtures.map((f) => Number(f.lnQ)))).toBeLessThan(-90_000);
    console.info(`gamma vs exact rationals: max rel err ${worst.toExponential(2)} over ${fixtures.length} cases`);
  });
  it('fixtures are reproduced live (no drift)', () => {
    for (const f of fixtures.filter((c) => c.a <= 30)) {
      const live = fixToNumber(gammaUpperExactLn(f.a, BigInt(f.xNum), BigInt(f.xDen)));
      expect(Math.abs(live - Number(f.lnQ))).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(live)));
    }
  });
});

describe('gammaUpperTailLog for large shapes vs Poisson-sum reference', () => {
  it('agrees for n = 10^4 … 10^7 (sum of n Exp(1) scores)', () => {
    let worst = 0;
    let count = 0;
    for (const n of [1e4, 1e5, 1e6, 1e7]) {
      const sd = Math.sqrt(n);
      for (const z of [-3, -1, 0, 0.5, 2, 5, 20, 100, 1000]) {
        const x = n + z * sd + 0.37; // non-integer x
        if (x <= 0) continue;
        const ref = gammaUpperTailSumRef(n, x);
        const err = lnErr(gammaUpperTailLog(n, x), ref);
        worst = Math.max(worst, err);
        count++;
        expect(err, `n=${n} x=${x}`).toBeLessThan(TOL);
      }
    }
    console.info(`gamma vs Poisson sum (n=1e4..1e7): max rel err ${worst.toExponential(2)} over ${count} cases`);
  });
});

describe('incomplete gamma: closed forms, real shapes and edge cases', () => {
  it('Q(1, x) = e^−x exactly in log space, even at x = 10^6', () => {
    for (const x of [1e-10, 0.5, 1, 2, 30, 745, 1e4, 1e6]) {
      expect(lnErr(gammaUpperTailLog(1, x), -x)).toBeLessThan(1e-15);
    }
  });
  it('Q(2, x) = e^−x(1 + x)', () => {
    for (const x of [0.1, 1, 2.5, 10, 1e3, 1e6]) {
      expect(lnErr(gammaUpperTailLog(2, x), -x + Math.log1p(x))).toBeLessThan(1e-15);
    }
  });
  it('P + Q = 1 and recurrence Q(a+1, x) = Q(a, x) + xᵃe^−x/Γ(a+1) for real a', () => {
    for (const a of [0.1, 0.5, 0.75, 1.5, 3.3, 12.25, 250.5]) {
      for (const x of [0.05, 0.5, 1, 2, a, a + 1, 3 * a + 2, 50]) {
        const lp = gammaLowerLog(a, x);
        const lq = gammaUpperTailLog(a, x);
        expect(Math.abs(Math.log(Math.exp(lp) + Math.exp(lq)))).toBeLessThan(2e-15);
        // xᵃe^−x/Γ(a+1) in 96-digit precision
        const [pa, qa] = rationalOfDouble(a);
        const [px, qx] = rationalOfDouble(x);
        const lnKernel = fixToNumber(
          (pa * lnRational(px, qx)) / qa - (px << PREC) / qx - lnGammaRational(pa + qa, qa),
        );
        const lhs = gammaUpperTailLog(a + 1, x);
        const rhs = Math.max(lq, lnKernel) + Math.log1p(Math.exp(-Math.abs(lq - lnKernel)));
        expect(lnErr(lhs, rhs), `a=${a} x=${x}`).toBeLessThan(1e-13);
      }
    }
  });
  it('small shape: Q(a, x) ≈ a·E₁(x) stays accurate for a = 1e-10', () => {
    const a = 1e-10;
    const E1half = 0.5597735947761608; // E₁(0.5)
    expect(lnErr(gammaUpperTailLog(a, 0.5), Math.log(a * E1half))).toBeLessThan(1e-9);
    const E1two = 0.04890051070806112; // E₁(2)
    expect(lnErr(gammaUpperTailLog(a, 2), Math.log(a * E1two))).toBeLessThan(1e-9);
  });
  it('edge cases', () => {
    expect(gammaUpperTailLog(3, 0)).toBe(0);
    expect(gammaLowerLog(3, 0)).toBe(-Infinity);
    expect(gammaUpperTailLog(3, Infinity)).toBe(-Infinity);
    expect(() => gammaUpperTailLog(0, 1)).toThrow(RangeError);
    expect(() => gammaUpperTailLog(1, -1)).toThrow(RangeError);
  });
  it('poissonPmfLog matches the exact pmf', () => {
    for (const [k, lam] of [
      [0, 3],
      [5, 2.5],
      [1000, 999.5],
      [1e6, 1e6 + 1000],
    ] as const) {
      const [u, v] = rationalOfDouble(lam);
      const ref = fixToNumber(-(u << PREC) / v + BigInt(k) * lnRational(u, v) - lnFactorial(k));
      expect(lnErr(poissonPmfLog(k, lam), ref)).toBeLessThan(1e-14);
    }
  });
});

describe('incomplete beta with real shapes', () => {
  it('closed forms I_x(a,1) = xᵃ, I_x(1,b) = 1 − (1−x)ᵇ, I_x(½,½) = (2/π)·asin(√x)', () => {
    for (const x of [1e-8, 0.01, 0.3, 0.5, 0.77, 0.999]) {
      for (const a of [0.3, 1, 2.5, 40.25, 1e4]) {
        expect(lnErr(betaIncLog(a, 1, x), a * Math.log(x))).toBeLessThan(1e-14);
        expect(lnErr(betaIncLog(1, a, x), log1mexp(a * Math.log1p(-x)))).toBeLessThan(1e-14);
        expect(lnErr(betaIncUpperLog(a, 1, x), log1mexp(a * Math.log(x)))).toBeLessThan(1e-13);
      }
      expect(lnErr(betaIncLog(0.5, 0.5, x), Math.log((2 / Math.PI) * Math.asin(Math.sqrt(x))))).toBeLessThan(1e-14);
    }
  });
  it('symmetry I_x(a,b) = 1 − I_{1−x}(b,a)', () => {
    for (const [a, b, x] of [
      [2.5, 7.25, 0.2],
      [100.5, 300.25, 0.26],
      [1e5 + 0.5, 2e5, 0.34],
    ] as const) {
      expect(lnErr(betaIncLog(a, b, x), betaIncUpperLog(b, a, 1 - x))).toBeLessThan(1e-13);
    }
  });
  it('edge cases', () => {
    expect(betaIncLog(2, 3, 0)).toBe(-Infinity);
    expect(betaIncLog(2, 3, 1)).toBe(0);
    expect(betaIncUpperLog(2, 3, 0)).toBe(0);
    expect(() => betaIncLog(0, 3, 0.5)).toThrow(RangeError);
    expect(() => betaIncLog(1, 3, 1.5)).toThrow(RangeError);
  });
});
