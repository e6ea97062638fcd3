import { describe, expect, it } from 'vitest';
import { maxMultinomialLogPmf, maxUnionLogPmf, sumUpperTailLog } from '../src/maxmult.js';

/** Brute force: enumerate every colour assignment of n tokens (r colours + "none"). */
function bruteMaxPmf(n: number, r: number, gamma: number): number[] {
  const q = 1 - r * gamma;
  const pmf = new Array<number>(n + 1).fill(0);
  const counts = new Array<number>(r).fill(0);
  const rec = (i: number, prob: number): void => {
    if (prob === 0) return;
    if (i === n) {
      pmf[Math.max(...counts)]! += prob;
      return;
    }
    for (let c = 0; c < r; c++) {
      counts[c]!++;
      rec(i + 1, prob * gamma);
      counts[c]!--;
    }
    rec(i + 1, prob * q);
  };
  rec(0, 1);
  return pmf;
}

function convolve(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => (out[i + j]! += x * y)));
  return out;
}

describe('max of multinomial counts', () => {
  for (const [r, gamma] of [[2, 0.5], [2, 0.3], [4, 0.25], [4, 0.2], [8, 0.1]] as const) {
    it(`exact pmf matches enumeration (r=${r}, γ=${gamma})`, () => {
      for (const n of [0, 1, 2, 5, 7]) {
        if (r ** n > 3e6) continue;
        const brute = bruteMaxPmf(n, r, gamma);
        const lp = maxMultinomialLogPmf(n, r, gamma)!;
        expect(lp.length).toBe(n + 1);
        brute.forEach((p, k) => {
          if (p === 0) expect(lp[k]).toBe(-Infinity);
          else expect(Math.abs(Math.exp(lp[k]!) - p) / p).toBeLessThan(1e-10);
        });
      }
    });
  }
  it('exact upper tail keeps tiny probabilities (n=300, r=4, γ=0.25)', () => {
    const lp = maxMultinomialLogPmf(300, 4, 0.25)!;
    // P(max = n) = r·γ^n exactly
    expect(lp[300]! / (Math.log(4) + 300 * Math.log(0.25))).toBeCloseTo(1, 12);
    // P(max = n−1) = r·n·γ^(n−1)·(1−γ)... every way: one colour n−1, the other token elsewhere (3 colours)
    const expected = Math.log(4) + Math.log(300) + 299 * Math.log(0.25) + Math.log(0.75);
    expect(lp[299]! / expected).toBeCloseTo(1, 12);
    let total = 0;
    for (const v of lp) total += Math.exp(v);
    expect(total).toBeCloseTo(1, 12);
  });
  it('the union-bound variable dominates the exact maximum', () => {
    for (const [n, r, g] of [[40, 4, 0.25], [100, 2, 0.5], [60, 16, 1 / 16]] as const) {
      const ex = maxMultinomialLogPmf(n, r, g)!;
      const un = maxUnionLogPmf(n, r, g);
      for (let m = 0; m <= n; m++) {
        expect(sumUpperTailLog([un], m)).toBeGreaterThanOrEqual(sumUpperTailLog([ex], m) - 1e-9);
      }
    }
  });
  it('tilted convolution matches direct convolution, and reaches far below 1e-308', () => {
    const pm = [3, 5, 4].map((n) => bruteMaxPmf(n, 4, 0.25));
    const direct = pm.reduce(convolve);
    const lps = pm.map((p) => Float64Array.from(p, Math.log));
    for (let m = 0; m < direct.length; m++) {
      const tail = direct.slice(m).reduce((a, b) => a + b, 0);
      expect(Math.exp(sumUpperTailLog(lps, m))).toBeCloseTo(tail, 12);
    }
    expect(sumUpperTailLog(lps, direct.length)).toBe(-Infinity);
    // 8 positions × 300 tokens, all agreeing: P = Π r·γ^n = 4^8 · 4^-2400
    const big = Array.from({ length: 8 }, () => maxMultinomialLogPmf(300, 4, 0.25)!);
    const want = 8 * Math.log(4) + 2400 * Math.log(0.25);
    expect(sumUpperTailLog(big, 2400) / want).toBeCloseTo(1, 10);
  });
});
