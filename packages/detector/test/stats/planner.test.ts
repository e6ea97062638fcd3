import { describe, expect, it } from 'vitest';
import {
  binomialCriticalValue,
  binomialUpperTailLog,
  plannedTokens,
  plannedTokensExact,
} from '../../src/stats/index.js';

/** Brute force: scan every N and every s. */
function bruteForce(gamma: number, q: number, alpha: number, power: number, maxN: number) {
  for (let n = 1; n <= maxN; n++) {
    let s = 0;
    while (s <= n && binomialUpperTailLog(s, n, gamma) > Math.log(alpha)) s++;
    const pow = s > n ? 0 : Math.exp(binomialUpperTailLog(s, n, q));
    if (pow >= power) return { n, critical: s };
  }
  return null;
}

describe('plannedTokens (normal approximation)', () => {
  it('implements N = [(z_α√(γ(1−γ)) + z_β√(q(1−q)))/(q − γ)]²', () => {
    // γ = 0.25, q = 0.5, α = 0.025 (z = 1.95996…), power 0.8 (z = 0.84162…)
    const root = (1.959963984540054 * Math.sqrt(0.1875) + 0.8416212335729143 * 0.5) / 0.25;
    expect(plannedTokens(0.25, 0.5, 0.025, 0.8)).toBe(Math.ceil(root * root));
  });
  it('rejects invalid input', () => {
    expect(() => plannedTokens(0.5, 0.4, 0.01, 0.9)).toThrow(RangeError);
    expect(() => plannedTokens(0.25, 0.5, 0, 0.9)).toThrow(RangeError);
  });
});

describe('binomialCriticalValue', () => {
  it('is the smallest s with P(S ≥ s) ≤ α, from any guess', () => {
    for (const [n, g, a] of [
      [100, 0.25, 1e-4],
      [1000, 0.5, 1e-9],
      [5, 0.25, 1e-6],
    ] as const) {
      const la = Math.log(a);
      let s = 0;
      while (s <= n && binomialUpperTailLog(s, n, g) > la) s++;
      for (const guess of [undefined, 0, 1, n, n * g, s - 3, s + 5]) {
        expect(binomialCriticalValue(n, g, la, guess)).toBe(s);
      }
    }
  });
});

describe('plannedTokensExact', () => {
  it('agrees with a brute-force scan of all N (sawtooth power handled)', () => {
    for (const [g, q, a, p] of [
      [0.25, 0.5, 0.01, 0.8],
      [0.25, 0.4, 1e-4, 0.9],
      [0.5, 0.7, 0.05, 0.95],
      [0.25, 0.9, 1e-6, 0.5],
    ] as const) {
      const brute = bruteForce(g, q, a, p, 2000);
      const exact = plannedTokensExact(g, q, a, p);
      expect(exact, `γ=${g} q=${q}`).not.toBeNull();
      expect(exact!.n).toBe(brute!.n);
      expect(exact!.critical).toBe(brute!.critical);
      expect(exact!.lnAlpha).toBeLessThanOrEqual(Math.log(a));
      expect(exact!.power).toBeGreaterThanOrEqual(p);
    }
  });
  it('is close to the normal approximation for large N, and fast up to N ~ 10^6', () => {
    const t0 = performance.now();
    const exact = plannedTokensExact(0.5, 0.504, 1e-6, 0.9);
    const ms = performance.now() - t0;
    const approx = plannedTokens(0.5, 0.504, 1e-6, 0.9);
    expect(exact).not.toBeNull();
    expect(Math.abs(exact!.n / approx - 1)).toBeLessThan(0.01);
    console.info(`plannedTokensExact(0.5, 0.504, 1e-6, 0.9) = ${exact!.n} (approx ${approx}) in ${ms.toFixed(0)} ms`);
  });
  it('returns null when maxN is too small', () => {
    expect(plannedTokensExact(0.25, 0.26, 1e-6, 0.9, 1000)).toBeNull();
  });
});
