/**
 * What a payload test reports on text without the watermark: the decoder picks the
 * best-matching id, so its agreement M exceeds the one-id expectation γ·n on every text.
 * The summaries next to the p-value must be about that statistic: `expected` is E[M]
 * under H0 (not γ·n) and `z` is centred on 0 under H0 (it was (M − γn)/σ: 2–5 on human text).
 */
import { describe, expect, it } from 'vitest';
import { Watermark } from '@tracemark/watermark';
import { countPayload, decodePayload, payloadRandomizedLnP } from '../src/payload.js';
import { ksUniform } from '../src/stats/index.js';
import { expectedMaxCount, expectedMaxOfNormals } from '../src/payload-null.js';
import { maxMultinomialLogPmf, sumUpperTails } from '../src/maxmult.js';
import { seededRng } from '@tracemark/watermark';
import { Detector } from '../src/index.js';
import { randomTokens, testKey, testSpec } from './helpers.js';

describe('E[max] of the colour counts', () => {
  it('e_r: the mean of the largest of r standard normals', () => {
    expect(expectedMaxOfNormals(2)).toBeCloseTo(1 / Math.sqrt(Math.PI), 10);
    expect(expectedMaxOfNormals(3)).toBeCloseTo(3 / (2 * Math.sqrt(Math.PI)), 10);
    expect(expectedMaxOfNormals(4)).toBeCloseTo(1.0293753730, 8);
  });
  it('the normal approximation is within 2 % of the exact mean once nγ ≥ 12 (it is used only past the exact budget)', () => {
    for (const [r, g] of [[4, 0.25], [2, 0.5], [16, 1 / 16], [4, 0.2]] as const) {
      for (const n of [50, 150, 240, 300]) {
        const lp = n * g >= 12 ? maxMultinomialLogPmf(n, r, g) : null;
        if (!lp) continue;
        let exact = 0;
        lp.forEach((v, k) => (exact += k * Math.exp(v)));
        expect(Math.abs(expectedMaxCount(n, r, g) - exact) / exact).toBeLessThan(0.02);
      }
    }
  });
});

describe('mid-p', () => {
  it('is P(M > m) + ½ P(M = m), from the same convolution as P(M ≥ m)', () => {
    const a = maxMultinomialLogPmf(9, 4, 0.25)!, b = maxMultinomialLogPmf(6, 4, 0.25)!;
    // direct convolution in linear space
    const pa = Array.from(a, Math.exp), pb = Array.from(b, Math.exp);
    const conv = new Array<number>(pa.length + pb.length - 1).fill(0);
    pa.forEach((x, i) => pb.forEach((y, j) => (conv[i + j]! += x * y)));
    for (const m of [0, 3, 5, 8, 12, 15]) {
      const ge = conv.slice(m).reduce((s, v) => s + v, 0);
      const mid = ge - 0.5 * (conv[m] ?? 0);
      const t = sumUpperTails([a, b], m);
      expect(Math.exp(t.lnGe)).toBeCloseTo(ge, 12);
      expect(Math.exp(t.lnMid)).toBeCloseTo(mid, 12);
    }
  });
});

describe('payload summaries under H0', () => {
  const key = testKey('payload-null');
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 32, digitBits: 2 } });
  const wm = new Watermark(spec, key);
  it('simulated null counts: z centred on 0 with spread ≈ 1, expected = E[M] (the old z was ≈ 2–5)', () => {
    const rng = seededRng('payload-null-z');
    const B = wm.payloadDigits, r = wm.payloadColours;
    const zs: number[] = [];
    let over = 0, oldZ = 0;
    const trials = 600;
    for (let t = 0; t < trials; t++) {
      const n = 100 + Math.floor(rng() * 300);
      const pos = new Uint8Array(n), colour = new Int8Array(n);
      for (let i = 0; i < n; i++) {
        pos[i] = Math.floor(rng() * B);
        colour[i] = Math.floor(rng() * r); // γ = 1/r: every token has a colour, uniform under H0
      }
      const p = decodePayload(wm, countPayload(wm, pos, colour));
      zs.push(p.z);
      over += p.matched - p.expectedBest;
      oldZ += (p.matched - 0.25 * n) / Math.sqrt(n * 0.25 * 0.75);
      expect(p.expectedBestMethod).toBe('exact');
      expect(p.expectedBest).toBeGreaterThan(p.expectedPerId);
    }
    const mean = zs.reduce((s, z) => s + z, 0) / trials;
    const sd = Math.sqrt(zs.reduce((s, z) => s + (z - mean) ** 2, 0) / (trials - 1));
    // mean of 600 draws of a unit-variance z: |mean| < 0.2 is a > 4.8σ band
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(sd).toBeGreaterThan(0.8);
    expect(sd).toBeLessThan(1.2);
    expect(Math.abs(over / trials)).toBeLessThan(2); // M − E[M] averages to 0
    expect(oldZ / trials).toBeGreaterThan(2); // what the one-id z said on null text
  });
  it('the randomized payload p-value is U(0, 1) on simulated null counts, and brackets the exact p', () => {
    const rng = seededRng('payload-randomized');
    const B = wm.payloadDigits, r = wm.payloadColours;
    const ps: number[] = [];
    for (let t = 0; t < 800; t++) {
      const n = 20 + Math.floor(rng() * 200);
      const pos = new Uint8Array(n), colour = new Int8Array(n);
      for (let i = 0; i < n; i++) {
        pos[i] = Math.floor(rng() * B);
        colour[i] = Math.floor(rng() * r);
      }
      const pc = countPayload(wm, pos, colour);
      const lnR = payloadRandomizedLnP(wm, pc, rng())!;
      expect(lnR).toBeLessThanOrEqual(decodePayload(wm, pc).lnP + 1e-12);
      ps.push(Math.exp(lnR));
    }
    expect(ksUniform(ps).pValue).toBeGreaterThan(1e-3);
    // the exact p alone is conservative: its mean is above ½ for these discrete counts
    expect(ps.reduce((a, b) => a + b, 0) / ps.length).toBeGreaterThan(0.45);
  });

  it('a detector on random text: z summary and p agree in direction, no id-level claim', () => {
    const d = new Detector(spec, key);
    const r = d.detectTokens(randomTokens(500, 'payload-null-detect', 100_000));
    expect(r.test).toBe('payload');
    expect(r.expected).toBe(r.payload!.expectedBest);
    expect(r.z).toBe(r.payload!.z);
    expect(r.lnP).toBeGreaterThan(Math.log(1e-3));
    expect(r.z).toBeLessThan(3.1);
  });
});
