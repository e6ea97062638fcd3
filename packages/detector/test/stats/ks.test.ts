import { describe, expect, it } from 'vitest';
import {
  kolmogorovCdfExact,
  kolmogorovPValue,
  kolmogorovSurvivalAsymptotic,
  ksUniform,
} from '../../src/stats/index.js';
import { gcd } from './reference.js';

type Frac = [bigint, bigint];
const norm = ([a, b]: Frac): Frac => {
  if (b < 0n) [a, b] = [-a, -b];
  const g = gcd(a, b) || 1n;
  return [a / g, b / g];
};
const sub = (x: Frac, y: Frac): Frac => norm([x[0] * y[1] - y[0] * x[1], x[1] * y[1]]);
const mul = (x: Frac, y: Frac): Frac => norm([x[0] * y[0], x[1] * y[1]]);
const div = (x: Frac, y: Frac): Frac => norm([x[0] * y[1], x[1] * y[0]]);
const pow = (x: Frac, e: number): Frac => [x[0] ** BigInt(e), x[1] ** BigInt(e)];

/**
 * Independent exact reference: Steck's (1971) determinant for the probability
 * that uniform order statistics satisfy aᵢ < U₍ᵢ₎ < bᵢ,
 *   P = n!·det[ (b_i − a_j)₊^(j−i+1) / (j−i+1)! ]  (0 if j−i+1 < 0),
 * with Dₙ < d ⇔ i/n − d < U₍ᵢ₎ < (i−1)/n + d. Exact BigInt rationals.
 */
function ksCdfSteck(n: number, dNum: bigint, dDen: bigint): number {
  const N = BigInt(n);
  const a: Frac[] = [];
  const b: Frac[] = [];
  for (let i = 1; i <= n; i++) {
    const lo = norm([BigInt(i) * dDen - dNum * N, N * dDen]); // i/n − d
    const hi = norm([BigInt(i - 1) * dDen + dNum * N, N * dDen]); // (i−1)/n + d
    a.push(lo[0] < 0n ? [0n, 1n] : lo);
    b.push(hi[0] > hi[1] ? [1n, 1n] : hi);
  }
  const fact = (k: number): bigint => (k <= 1 ? 1n : BigInt(k) * fact(k - 1));
  const M: Frac[][] = [];
  for (let i = 0; i < n; i++) {
    const row: Frac[] = [];
    for (let j = 0; j < n; j++) {
      const e = j - i + 1;
      if (e < 0) row.push([0n, 1n]);
      else if (e === 0) row.push([1n, 1n]);
      else {
        const diff = sub(b[i]!, a[j]!);
        row.push(diff[0] <= 0n ? [0n, 1n] : norm([pow(diff, e)[0], pow(diff, e)[1] * fact(e)]));
      }
    }
    M.push(row);
  }
  // Gaussian elimination over the rationals
  let det: Frac = [1n, 1n];
  for (let c = 0; c < n; c++) {
    let piv = c;
    while (piv < n && M[piv]![c]![0] === 0n) piv++;
    if (piv === n) return 0;
    if (piv !== c) {
      [M[piv], M[c]] = [M[c]!, M[piv]!];
      det = [-det[0], det[1]];
    }
    det = mul(det, M[c]![c]!);
    for (let r = c + 1; r < n; r++) {
      const f = div(M[r]![c]!, M[c]![c]!);
      if (f[0] === 0n) continue;
      for (let k = c; k < n; k++) M[r]![k] = sub(M[r]![k]!, mul(f, M[c]![k]!));
    }
  }
  const p = mul(det, [fact(n), 1n]);
  return Number((p[0] * 10n ** 30n) / p[1]) / 1e30;
}

describe('Kolmogorov distribution', () => {
  it('Marsaglia–Tsang–Wang exact CDF matches Steck’s exact rational determinant (n ≤ 9)', () => {
    let worst = 0;
    for (const n of [1, 2, 3, 5, 9]) {
      for (const [dn, dd] of [
        [1n, 10n],
        [1n, 4n],
        [1n, 3n],
        [27n, 100n],
        [1n, 2n],
        [7n, 10n],
        [19n, 20n],
      ] as const) {
        const d = Number(dn) / Number(dd);
        const ref = ksCdfSteck(n, dn, dd);
        const err = Math.abs(kolmogorovCdfExact(n, d) - ref);
        worst = Math.max(worst, err);
        expect(err, `n=${n} d=${d}`).toBeLessThan(1e-13);
      }
    }
    console.info(`KS exact (MTW) vs Steck determinant: max abs error ${worst.toExponential(2)}`);
  });
  it('closed forms: n = 1 gives P(D₁ < d) = 2d − 1 for d ≥ ½', () => {
    for (const d of [0.5, 0.6, 0.9]) expect(kolmogorovCdfExact(1, d)).toBeCloseTo(2 * d - 1, 14);
    expect(kolmogorovCdfExact(10, 0.04)).toBe(0);
    expect(kolmogorovCdfExact(10, 1)).toBe(1);
  });
  it('asymptotic distribution: P(K > 1.3581) ≈ 0.05, both series branches agree at the switch', () => {
    expect(kolmogorovSurvivalAsymptotic(1.358099)).toBeCloseTo(0.05, 5);
    expect(Math.abs(kolmogorovSurvivalAsymptotic(1.1799999) - kolmogorovSurvivalAsymptotic(1.18))).toBeLessThan(1e-6);
    expect(kolmogorovSurvivalAsymptotic(0)).toBe(1);
  });
  it('Stephens-corrected asymptotic p is within a few % of the exact p at n = 1000', () => {
    const n = 1000;
    for (const lam of [0.9, 1.2, 1.36, 1.63]) {
      const d = lam / Math.sqrt(n);
      const exact = 1 - kolmogorovCdfExact(n, d);
      const sn = Math.sqrt(n);
      const approx = kolmogorovSurvivalAsymptotic((sn + 0.12 + 0.11 / sn) * d);
      expect(Math.abs(approx / exact - 1), `λ=${lam}`).toBeLessThan(0.03);
    }
    expect(kolmogorovPValue(1000, 0.03).method).toBe('exact');
    expect(kolmogorovPValue(5000, 0.01).method).toBe('asymptotic');
  });
});

describe('ksUniform', () => {
  it('a perfectly spread sample is accepted, a skewed one rejected', () => {
    const n = 500;
    const grid = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const r = ksUniform(grid);
    expect(r.statistic).toBeCloseTo(0.5 / n, 15);
    expect(r.pValue).toBeGreaterThan(0.999);
    expect(r.method).toBe('exact');
    const skewed = grid.map((u) => u * u);
    expect(ksUniform(skewed).pValue).toBeLessThan(1e-10);
  });
  it('null p-values from a seeded PRNG are not rejected, and the statistic is correct', () => {
    let state = 12345;
    const rand = (): number => {
      // mulberry32
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const xs = Array.from({ length: 800 }, rand);
    const r = ksUniform(xs);
    const sorted = [...xs].sort((a, b) => a - b);
    let d = 0;
    sorted.forEach((x, i) => (d = Math.max(d, Math.abs((i + 1) / 800 - x), Math.abs(x - i / 800))));
    expect(r.statistic).toBe(d);
    expect(r.pValue).toBeGreaterThan(0.001);
  });
  it('rejects bad input', () => {
    expect(() => ksUniform([])).toThrow(RangeError);
    expect(() => ksUniform([0.5, 1.5])).toThrow(RangeError);
  });
});
