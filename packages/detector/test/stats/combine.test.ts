import { describe, expect, it } from 'vitest';
import { bonferroniLog, fisherCombineLog, gammaUpperTailLog, holmAdjustLog } from '../../src/stats/index.js';
import { gammaUpperTailSumRef, lnErr } from './reference.js';

describe('fisherCombineLog', () => {
  it('one p-value returns the same p-value (down to ln p = −10^6)', () => {
    for (const lnP of [0, -1e-12, -0.1, -3, -745, -1e4, -1e6]) {
      expect(lnErr(fisherCombineLog([lnP]), lnP)).toBeLessThan(1e-15);
    }
  });
  it('two p-values: Q(2, X) = e^−X(1 + X)', () => {
    for (const [a, b] of [
      [-0.5, -2],
      [-1e6, -1e6],
      [-3, -1e5],
    ] as const) {
      const X = -(a + b);
      expect(lnErr(fisherCombineLog([a, b]), -X + Math.log1p(X))).toBeLessThan(1e-15);
    }
  });
  it('k p-values: matches the Poisson-sum reference of Q(k, −Σ ln pᵢ)', () => {
    for (const k of [3, 10, 1000]) {
      const lnPs = Array.from({ length: k }, (_, i) => -((i * 7919) % 13) / 3 - 0.01);
      const X = -lnPs.reduce((s, v) => s + v, 0);
      expect(lnErr(fisherCombineLog(lnPs), gammaUpperTailSumRef(k, X))).toBeLessThan(1e-12);
    }
  });
  it('combines huge evidence without clipping (ln p = −10^6 each, k = 3)', () => {
    const got = fisherCombineLog([-1e6, -1e6, -1e6]);
    expect(lnErr(got, gammaUpperTailSumRef(3, 3e6))).toBeLessThan(1e-14);
    expect(got).toBeLessThan(-2.9e6);
  });
  it('edge cases: all p = 1, empty list, p = 0, invalid', () => {
    expect(fisherCombineLog([0, 0, 0])).toBe(0);
    expect(fisherCombineLog([])).toBe(0);
    expect(fisherCombineLog([-1, -Infinity])).toBe(-Infinity);
    expect(() => fisherCombineLog([0.1])).toThrow(RangeError);
    expect(() => fisherCombineLog([NaN])).toThrow(RangeError);
  });
  it('is Q(k, X) (same function as the Gumbel test)', () => {
    expect(fisherCombineLog([-2, -3, -4])).toBe(gammaUpperTailLog(3, 9));
  });
});

describe('Bonferroni and Holm', () => {
  it('bonferroniLog = min(0, ln p + ln m)', () => {
    expect(bonferroniLog(Math.log(0.01), 10)).toBeCloseTo(Math.log(0.1), 14);
    expect(bonferroniLog(Math.log(0.5), 10)).toBe(0);
    expect(bonferroniLog(-1e6, 1000)).toBe(-1e6 + Math.log(1000));
    expect(() => bonferroniLog(-1, 0)).toThrow(RangeError);
  });
  it('holmAdjustLog matches a brute-force linear-space Holm, keeps input order, is monotone and capped', () => {
    const ps = [0.01, 0.04, 0.03, 0.005, 0.5, 0.04, 1];
    const m = ps.length;
    const order = ps.map((_, i) => i).sort((i, j) => ps[i]! - ps[j]!);
    const expected = new Array<number>(m);
    let run = 0;
    order.forEach((idx, r) => {
      run = Math.max(run, Math.min(1, (m - r) * ps[idx]!));
      expected[idx] = run;
    });
    const got = holmAdjustLog(ps.map(Math.log)).map(Math.exp);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 14));
    // monotone in the sorted order, never above 1
    const sortedAdj = order.map((i) => got[i]!);
    for (let i = 1; i < m; i++) expect(sortedAdj[i]!).toBeGreaterThanOrEqual(sortedAdj[i - 1]!);
    expect(Math.max(...got)).toBeLessThanOrEqual(1);
  });
  it('holmAdjustLog works far below 1e-308', () => {
    const adj = holmAdjustLog([-5e5, -1e6, -2]);
    expect(adj[1]).toBeCloseTo(-1e6 + Math.log(3), 8);
    expect(adj[0]).toBeCloseTo(-5e5 + Math.log(2), 8);
    expect(adj[2]).toBeCloseTo(-2, 14);
    expect(holmAdjustLog([])).toEqual([]);
  });
});
