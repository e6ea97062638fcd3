import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  binomialCdfLog,
  binomialPmfLog,
  binomialUpperTailLog,
  binomialUpperTailLog10,
  kgwZScore,
  log1mexp,
  normalUpperTailLog,
} from '../../src/stats/index.js';
import {
  binomialPmfLogRef,
  binomialUpperTailExactLn,
  binomialUpperTailSumRef,
  fixToNumber,
  lnErr,
  rationalOfDouble,
} from './reference.js';

interface BinomialFixture {
  n: number;
  s: number;
  gammaNum: number;
  gammaDen: number;
  lnP: string;
}
const fixtures: BinomialFixture[] = JSON.parse(
  readFileSync(new URL('./fixtures/binomial-exact.json', import.meta.url), 'utf8'),
).cases;

/** Accuracy budget: |Δ ln p| ≤ 1e−9·max(1, |ln p|). We assert a much tighter 1e−11. */
const TOL = 1e-11;

describe('binomialUpperTailLog vs exact BigInt rationals (fixtures, N ≤ 2000)', () => {
  it('covers dozens of cases down to p < 1e-1000', () => {
    expect(fixtures.length).toBeGreaterThan(100);
    expect(Math.min(...fixtures.map((f) => Number(f.lnP)))).toBeLessThan(-1000 * Math.LN10);
  });
  it('matches every fixture', () => {
    let worst = 0;
    for (const f of fixtures) {
      const got = binomialUpperTailLog(f.s, f.n, f.gammaNum / f.gammaDen);
      const err = lnErr(got, Number(f.lnP));
      worst = Math.max(worst, err);
      expect(err, `n=${f.n} s=${f.s} γ=${f.gammaNum}/${f.gammaDen}`).toBeLessThan(TOL);
    }
    console.info(`binomial vs exact rationals: max rel err ${worst.toExponential(2)} over ${fixtures.length} cases`);
  });
  it('fixtures are reproduced by a live BigInt recomputation (no drift)', () => {
    const sample = fixtures.filter((f) => f.n <= 100 && (f.n * 7 + f.s) % 5 === 0);
    expect(sample.length).toBeGreaterThan(5);
    for (const f of sample) {
      const live = fixToNumber(binomialUpperTailExactLn(f.s, f.n, BigInt(f.gammaNum), BigInt(f.gammaDen)));
      expect(Math.abs(live - Number(f.lnP))).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(live)));
    }
  });
  it('matches live exact rationals on small extra cases (γ = 1/3, 2/5, 1/100)', () => {
    for (const [a, b] of [
      [1, 3],
      [2, 5],
      [1, 100],
    ] as const) {
      for (const n of [4, 17, 60]) {
        for (let s = 1; s <= n; s += Math.max(1, Math.floor(n / 7))) {
          const ref = fixToNumber(binomialUpperTailExactLn(s, n, BigInt(a), BigInt(b)));
          expect(lnErr(binomialUpperTailLog(s, n, a / b), ref), `n=${n} s=${s} γ=${a}/${b}`).toBeLessThan(TOL);
        }
      }
    }
  });
});

describe('binomialUpperTailLog for large N (10^4 … 10^7) vs direct pmf summation', () => {
  it('agrees with the independent log-sum of 96-digit pmf terms', () => {
    let worst = 0;
    let count = 0;
    for (const n of [1e4, 1e5, 1e6, 1e7]) {
      for (const p of [0.25, 0.5, 0.3]) {
        const sd = Math.sqrt(n * p * (1 - p));
        for (const z of [-4, -1, 0, 0.5, 2, 5, 20, 100, 300]) {
          const s = Math.round(n * p + z * sd);
          if (s > n) continue;
          const ref = binomialUpperTailSumRef(s, n, p);
          const err = lnErr(binomialUpperTailLog(s, n, p), ref);
          worst = Math.max(worst, err);
          count++;
          expect(err, `n=${n} p=${p} s=${s}`).toBeLessThan(TOL);
        }
        // deep tail near s = N (ln p ~ −10^7 at N = 10^7)
        for (const s of [n - 20, n - 1]) {
          const err = lnErr(binomialUpperTailLog(s, n, p), binomialUpperTailSumRef(s, n, p));
          worst = Math.max(worst, err);
          count++;
          expect(err, `n=${n} p=${p} s=${s}`).toBeLessThan(TOL);
        }
      }
    }
    console.info(`binomial vs pmf summation (N=1e4..1e7): max rel err ${worst.toExponential(2)} over ${count} cases`);
  });
  it('still works beyond 10^7 (N = 10^9)', () => {
    const n = 1e9;
    const p = 0.25;
    const sd = Math.sqrt(n * p * (1 - p));
    for (const z of [0, 3, 30]) {
      const s = Math.round(n * p + z * sd);
      expect(lnErr(binomialUpperTailLog(s, n, p), binomialUpperTailSumRef(s, n, p))).toBeLessThan(1e-10);
    }
  });
});

describe('binomialPmfLog (Loader) vs 96-digit pmf', () => {
  it('is accurate up to N = 10^9', () => {
    let worst = 0;
    for (const n of [10, 1000, 1e5, 1e7, 1e9]) {
      for (const p of [0.25, 0.5, 0.3, 1e-6]) {
        const [a, b] = rationalOfDouble(p);
        for (const f of [0.001, 0.2, 0.25, 0.3, 0.5, 0.9]) {
          const k = Math.max(1, Math.min(n - 1, Math.round(f * n)));
          const ref = fixToNumber(binomialPmfLogRef(k, n, a, b));
          const err = lnErr(binomialPmfLog(k, n, p), ref);
          worst = Math.max(worst, err);
          expect(err, `k=${k} n=${n} p=${p}`).toBeLessThan(1e-13);
        }
      }
    }
    console.info(`binomialPmfLog: max rel err ${worst.toExponential(2)}`);
  });
});

describe('binomial closed forms and edge cases', () => {
  it('P(S ≥ N) = γ^N and P(S ≥ 1) = 1 − (1−γ)^N, up to N = 10^7', () => {
    for (const n of [1, 5, 100, 2000, 1e5, 1e7]) {
      for (const g of [0.25, 0.5, 0.3, 1e-3, 0.999]) {
        expect(lnErr(binomialUpperTailLog(n, n, g), n * Math.log(g))).toBeLessThan(1e-15);
        expect(lnErr(binomialUpperTailLog(1, n, g), log1mexp(n * Math.log1p(-g)))).toBeLessThan(1e-15);
      }
    }
  });
  it('s = N − 1 agrees with the two-term closed form', () => {
    for (const n of [3, 50, 1e6]) {
      const g = 0.25;
      // P(S ≥ N−1) = γ^N + Nγ^(N−1)(1−γ) = γ^(N−1)(γ + N(1−γ))
      const ref = (n - 1) * Math.log(g) + Math.log(g + n * (1 - g));
      expect(lnErr(binomialUpperTailLog(n - 1, n, g), ref)).toBeLessThan(1e-14);
    }
  });
  it('uses P(S ≥ s), not P(S > s); s ≤ 0 → ln p = 0; s > N → −∞', () => {
    // Bin(1, γ): P(S ≥ 1) = γ
    expect(binomialUpperTailLog(1, 1, 0.25)).toBeCloseTo(Math.log(0.25), 15);
    expect(binomialUpperTailLog(0, 10, 0.25)).toBe(0);
    expect(binomialUpperTailLog(-3, 10, 0.25)).toBe(0);
    expect(binomialUpperTailLog(11, 10, 0.25)).toBe(-Infinity);
    expect(binomialUpperTailLog(0, 0, 0.25)).toBe(0);
    // non-integer s rounds up
    expect(binomialUpperTailLog(4.2, 10, 0.25)).toBe(binomialUpperTailLog(5, 10, 0.25));
    // degenerate γ
    expect(binomialUpperTailLog(3, 10, 0)).toBe(-Infinity);
    expect(binomialUpperTailLog(3, 10, 1)).toBe(0);
  });
  it('rejects invalid input', () => {
    expect(() => binomialUpperTailLog(1, 2.5, 0.5)).toThrow(RangeError);
    expect(() => binomialUpperTailLog(1, -1, 0.5)).toThrow(RangeError);
    expect(() => binomialUpperTailLog(1, 10, 1.5)).toThrow(RangeError);
    expect(() => binomialUpperTailLog(NaN, 10, 0.5)).toThrow(RangeError);
  });
  it('lower tail + upper tail = 1 (log-space consistency)', () => {
    for (const [n, g] of [
      [30, 0.25],
      [1000, 0.5],
      [1e6, 0.3],
    ] as const) {
      for (const f of [0.1, 0.24, 0.3, 0.5, 0.7]) {
        const s = Math.round(f * n);
        const up = binomialUpperTailLog(s, n, g);
        const low = binomialCdfLog(s - 1, n, g);
        const total = Math.max(up, low) + Math.log1p(Math.exp(-Math.abs(up - low)));
        expect(Math.abs(total)).toBeLessThan(1e-13);
      }
    }
    expect(binomialCdfLog(-1, 10, 0.3)).toBe(-Infinity);
    expect(binomialCdfLog(10, 10, 0.3)).toBe(0);
    expect(binomialCdfLog(0, 10, 0.3)).toBeCloseTo(10 * Math.log(0.7), 14);
  });
  it('log10 helper: N = 10^6 fully green at γ = 1/4 gives log10 p ≈ −602 060', () => {
    expect(binomialUpperTailLog10(1e6, 1e6, 0.25)).toBeCloseTo(1e6 * Math.log10(0.25), 6);
  });
  it('handles a million tokens at ln p ≈ −115 000 (log10 p ≈ −50 000) with a valid, finite value', () => {
    // fraction of green chosen to land near log10 p = −50 000
    const n = 1e6;
    const s = 404_000;
    const lnP = binomialUpperTailLog(s, n, 0.25);
    expect(Number.isFinite(lnP)).toBe(true);
    expect(lnP / Math.LN10).toBeLessThan(-10_000);
    expect(lnErr(lnP, binomialUpperTailSumRef(s, n, 0.25))).toBeLessThan(TOL);
  });
});

describe('the z-test is anti-conservative for small N', () => {
  it('N = 100, γ = 0.25, z ≈ 4: exact p is more than 2× the normal tail', () => {
    const n = 100;
    const g = 0.25;
    // smallest green count with z ≥ 4
    let s = 0;
    while (kgwZScore(s, n, g) < 4) s++;
    const z = kgwZScore(s, n, g);
    expect(z).toBeGreaterThanOrEqual(4);
    expect(z).toBeLessThan(4.3);
    const exact = binomialUpperTailLog(s, n, g);
    const normal = normalUpperTailLog(z);
    const ratio = Math.exp(exact - normal);
    console.info(`N=100 γ=0.25 s=${s} z=${z.toFixed(3)}: exact p=${Math.exp(exact).toExponential(3)}, normal p=${Math.exp(normal).toExponential(3)}, ratio ${ratio.toFixed(2)}`);
    expect(ratio).toBeGreaterThan(2);
  });
  it('kgwZScore formula', () => {
    expect(kgwZScore(25, 100, 0.25)).toBe(0);
    expect(kgwZScore(50, 100, 0.5)).toBe(0);
    expect(kgwZScore(60, 100, 0.5)).toBeCloseTo(2, 14);
    expect(() => kgwZScore(1, 10, 0)).toThrow(RangeError);
  });
});
