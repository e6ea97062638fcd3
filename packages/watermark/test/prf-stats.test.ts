import { describe, expect, it } from 'vitest';
import { Watermark, WatermarkKey, parseSpec, seededRng, gBit, type Seed, type WatermarkSpecInput } from '../src/index.js';

// Statistical properties of the PRF readings over random windows. Thresholds are 6
// standard deviations (or chi-square at p < 1e-9): a correct implementation fails them
// with probability below 1e-8, a biased one (wrong threshold, wrong bits) fails at once.
const rng = seededRng('prf-stats');
const key = new WatermarkKey(Uint8Array.from({ length: 32 }, () => Math.floor(rng() * 256)));
const make = (s: Omit<WatermarkSpecInput, 'version' | 'keyFingerprint'>, k = key) =>
  new Watermark(parseSpec({ version: 1, ...s, keyFingerprint: k.fingerprint }), k);
const N = 100_000;
const randTok = () => Math.floor(rng() * 200_019);

function within6Sd(count: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThan(6 * sd);
}

// Chi-square critical value at p = 1e-9 via Wilson–Hilferty: k(1 − 2/9k + z√(2/9k))³, z = 6.0.
const chi2Crit = (k: number) => k * (1 - 2 / (9 * k) + 6.0 * Math.sqrt(2 / (9 * k))) ** 3;

describe('PRF readings over random windows', () => {
  const seed: Seed = { hi: 0, lo: 0 };

  it.each([
    ['left', 1, 0.25],
    ['left', 3, 0.25],
    ['min', 2, 0.5],
    ['self', 2, 0.1],
  ] as const)('KGW %s h=%i: green fraction equals γ = %f', (mode, width, gamma) => {
    const wm = make({ scheme: { name: 'kgw', gamma, delta: 2 }, context: { width, mode } });
    expect(wm.gammaEff).toBe(Math.floor(gamma * 2 ** 32) / 2 ** 32);
    let green = 0;
    const ctx = new Array<number>(width);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < width; j++) ctx[j] = randTok();
      wm.windowSeed(ctx, width, seed);
      if (wm.isGreen(seed, randTok())) green++;
    }
    within6Sd(green, N, wm.gammaEff);
  });

  it('Gumbel uniforms are uniform on (0,1) (chi-square, 64 bins)', () => {
    const wm = make({ scheme: { name: 'gumbel' }, context: { width: 1, mode: 'left' } });
    const bins = new Array<number>(64).fill(0);
    let sumScore = 0;
    for (let i = 0; i < N; i++) {
      wm.windowSeed([randTok()], 1, seed);
      const t = randTok();
      const r = wm.uniform(seed, t);
      expect(r > 0 && r < 1).toBe(true);
      bins[Math.floor(r * 64)]!++;
      sumScore += wm.score(seed, t);
    }
    const e = N / 64;
    const chi2 = bins.reduce((a, o) => a + (o - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(chi2Crit(63));
    // Exp(1) scores: mean 1, variance 1 → the sum is within 6√N of N.
    expect(Math.abs(sumScore - N)).toBeLessThan(6 * Math.sqrt(N));
  });

  it('SynthID g-values: each of 64 layers is a fair coin and layers are uncorrelated', () => {
    const wm = make({ scheme: { name: 'synthid', layers: 64 }, context: { width: 2, mode: 'left' } });
    const ones = new Array<number>(64).fill(0);
    let agree01 = 0, agree0_63 = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      wm.windowSeed([randTok(), randTok()], 2, seed);
      const x = wm.prf(seed, randTok());
      for (let l = 0; l < 64; l++) ones[l]! += gBit(x, l);
      if (gBit(x, 0) === gBit(x, 1)) agree01++;
      if (gBit(x, 0) === gBit(x, 63)) agree0_63++;
    }
    for (const c of ones) within6Sd(c, n, 0.5);
    within6Sd(agree01, n, 0.5);
    within6Sd(agree0_63, n, 0.5);
  });

  it('payload: positions are uniform over digits and colours have mass γ each', () => {
    const wm = make({ scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, payload: { bits: 32, digitBits: 2 } });
    expect(wm.payloadDigits).toBe(16);
    expect(wm.payloadColours).toBe(4);
    const pos = new Array<number>(16).fill(0);
    const col = new Array<number>(4).fill(0);
    for (let i = 0; i < N; i++) {
      wm.windowSeed([randTok()], 1, seed);
      const t = randTok();
      pos[wm.payloadPosition(seed, t)]!++;
      const c = wm.payloadColour(seed, t);
      expect(c).toBeGreaterThanOrEqual(0); // γ·r = 1: every token has a colour
      col[c]!++;
    }
    for (const c of pos) within6Sd(c, N, 1 / 16);
    for (const c of col) within6Sd(c, N, 1 / 4);
  });

  it('different keys give independent green lists; unigram ignores the window', () => {
    const other = new WatermarkKey(new Uint8Array(32).fill(9));
    const a = make({ scheme: { name: 'kgw', gamma: 0.5, delta: 2 } });
    const b = make({ scheme: { name: 'kgw', gamma: 0.5, delta: 2 } }, other);
    const u = make({ scheme: { name: 'unigram', gamma: 0.5, delta: 2 } });
    let agree = 0;
    const s2: Seed = { hi: 0, lo: 0 };
    for (let i = 0; i < N; i++) {
      const w = [randTok()], t = randTok();
      a.windowSeed(w, 1, seed);
      b.windowSeed(w, 1, s2);
      if (a.isGreen(seed, t) === b.isGreen(s2, t)) agree++;
      u.windowSeed(w, 1, seed);
      u.windowSeed([randTok()], 1, s2);
      expect(u.isGreen(seed, t)).toBe(u.isGreen(s2, t));
    }
    within6Sd(agree, N, 0.5);
  });
});
