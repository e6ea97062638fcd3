import { describe, expect, it } from 'vitest';
import {
  acklamQuantileLog,
  normalCdfLog,
  normalQuantile,
  normalQuantileLog,
  normalUpperQuantile,
  normalUpperTailLog,
} from '../../src/stats/index.js';
import { lnErr } from './reference.js';

/** ln P(Z ≥ z) from the asymptotic Mills-ratio series, accurate to ~1e−17 for z ≥ 10. */
function millsTail(z: number): number {
  let term = 1;
  let sum = 1;
  const z2 = z * z;
  for (let k = 1; k < 40; k++) {
    term *= -(2 * k - 1) / z2;
    if (Math.abs(term) < 1e-18) break;
    sum += term;
  }
  return -0.5 * z2 - 0.5 * Math.log(2 * Math.PI) - Math.log(z) + Math.log(sum);
}

describe('normal tail', () => {
  it('matches tabulated values', () => {
    expect(Math.exp(normalUpperTailLog(0))).toBeCloseTo(0.5, 15);
    const table: Array<[number, number]> = [
      [1, 0.15865525393145707],
      [1.959963984540054, 0.025],
      [4, 3.167124183311992e-5],
      [-2, 0.9772498680518208],
    ];
    for (const [z, p] of table) expect(Math.abs(Math.exp(normalUpperTailLog(z)) / p - 1)).toBeLessThan(1e-13);
  });
  it('matches the Mills-ratio expansion deep in the tail (z = 10 … 10^4)', () => {
    for (const z of [10, 20, 40, 100, 1e3, 1e4]) expect(lnErr(normalUpperTailLog(z), millsTail(z))).toBeLessThan(1e-14);
  });
  it('normalCdfLog is the mirror image', () => {
    expect(normalCdfLog(-40)).toBe(normalUpperTailLog(40));
    // ln(1 − q) ≈ −q for the tiny upper tail q = P(Z ≥ 30) ≈ 4.9e-198: no cancellation to 0
    const q = Math.exp(normalUpperTailLog(30));
    expect(Math.abs(normalCdfLog(30) / -q - 1)).toBeLessThan(1e-14);
  });
});

describe('normal quantile', () => {
  it('reproduces known quantiles', () => {
    expect(normalUpperQuantile(0.025)).toBeCloseTo(1.959963984540054, 14);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 14);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
  });
  it('round-trips Φ(Φ⁻¹(p)) = p to ~1e-14 relative, from p = 1e-300 to 1 − 1e-16', () => {
    for (const p of [1e-300, 1e-100, 1e-20, 1e-9, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-10]) {
      const z = normalQuantile(p);
      const back = p < 0.5 ? normalCdfLog(z) - Math.log(p) : normalUpperTailLog(z) - Math.log1p(-p);
      expect(Math.abs(back), `p=${p}`).toBeLessThan(1e-13);
    }
  });
  it('works from ln p far below the double range (ln p = −10^6)', () => {
    const z = normalQuantileLog(-1e6);
    expect(lnErr(normalCdfLog(z), -1e6)).toBeLessThan(1e-14);
  });
  it('raw Acklam approximation has the documented 1.15e-9 relative accuracy', () => {
    let worst = 0;
    for (let lp = -700; lp < Math.log(0.5); lp += 0.37) {
      const exact = normalQuantileLog(lp);
      worst = Math.max(worst, Math.abs(acklamQuantileLog(lp) / exact - 1));
    }
    expect(worst).toBeLessThan(1.2e-9);
    expect(worst).toBeGreaterThan(1e-12); // the refinement step is really doing something
  });
});
