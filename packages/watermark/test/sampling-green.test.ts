import { describe, expect, it } from 'vitest';
import { Embedder, PlainSampler } from '../src/index.js';
import {
  binomTwoSided,
  binomUpper,
  chiSquareSf,
  gaussianLogits,
  makeWm,
  seededRng,
  softmax,
} from './sampling-helpers.js';

const ALPHA = 1e-6;

describe('test statistics (sanity of the helpers)', () => {
  it('chi-square and binomial tails match known values', () => {
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(18.307038053275146, 10)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(124.3421134, 100)).toBeCloseTo(0.05, 6);
    // P(X ≥ 8), X ~ Bin(10, 0.5) = (45 + 10 + 1)/1024
    expect(binomUpper(10, 8, 0.5)).toBeCloseTo(56 / 1024, 14);
    expect(binomTwoSided(1000, 500, 0.5)).toBe(1);
  });
});

describe('green lists', () => {
  it('γ_eff is floor(γ·2^32)/2^32 and unbiased tokens are green at that rate', () => {
    const wm = makeWm({ name: 'kgw', gamma: 0.25, delta: 2 });
    expect(wm.gammaEff).toBe(Math.floor(0.25 * 2 ** 32) / 2 ** 32);
    const rng = seededRng('green-rate');
    const seed = { hi: 0, lo: 0 };
    const N = 100_000;
    let green = 0;
    for (let i = 0; i < N; i++) {
      wm.windowSeed([Math.floor(rng() * 200_000)], 1, seed);
      if (wm.isGreen(seed, Math.floor(rng() * 200_000))) green++;
    }
    expect(binomTwoSided(N, green, wm.gammaEff)).toBeGreaterThan(ALPHA);
  });

  for (const opts of [{}, { temperature: 0.7 }, { topK: 50 }, { topP: 0.9 }]) {
    it(`KGW bias raises the green rate to Σ_green q·e^δ / Σ q·e^{δg} (${JSON.stringify(opts)})`, () => {
      const wm = makeWm({ name: 'kgw', gamma: 0.25, delta: 2 });
      const emb = new Embedder(wm);
      const logits = gaussianLogits(300, seededRng('kgw-rate-logits'), 1.5);
      const context = [4242];
      const seed = { hi: 0, lo: 0 };
      wm.windowSeed(context, 1, seed);
      // Theory from the unbiased truncated law (PlainSampler's dense law, as a distribution).
      const plain = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
      const qAll = plain.distribution([], 0, logits, opts); // no context → unwatermarked
      let num = 0;
      let den = 0;
      let unbiasedGreen = 0;
      for (let v = 0; v < qAll.length; v++) {
        const g = wm.isGreen(seed, v);
        num += g ? qAll[v]! * Math.exp(2) : 0;
        den += qAll[v]! * (g ? Math.exp(2) : 1);
        unbiasedGreen += g ? qAll[v]! : 0;
      }
      const rho = num / den;
      expect(rho).toBeGreaterThan(unbiasedGreen + 0.1);
      // The exact law agrees with the formula.
      const law = emb.distribution(context, 1, logits, opts);
      let lawGreen = 0;
      for (let v = 0; v < law.length; v++) if (wm.isGreen(seed, v)) lawGreen += law[v]!;
      expect(lawGreen).toBeCloseTo(rho, 12);
      // And the sampler hits it (same context every time: only the rng varies).
      const rng = seededRng(`kgw-rate-${JSON.stringify(opts)}`);
      const N = 20_000;
      let green = 0;
      for (let i = 0; i < N; i++) {
        const r = emb.stepSparseFromLogits(context, 1, logits, opts, rng);
        expect(r.watermarked).toBe(true);
        if (wm.isGreen(seed, r.token)) green++;
      }
      expect(binomTwoSided(N, green, rho)).toBeGreaterThan(ALPHA);
    });
  }

  it('unigram uses one fixed list: the law does not depend on the context', () => {
    const wm = makeWm({ name: 'unigram', gamma: 0.25, delta: 2 });
    const emb = new Embedder(wm);
    const logits = gaussianLogits(500, seededRng('unigram'), 1);
    const a = emb.distribution([1, 2, 3], 3, logits);
    const b = emb.distribution([], 0, logits);
    expect(Array.from(b)).toEqual(Array.from(a));
    // Position 0 is watermarked too (no context needed).
    expect(emb.stepSparseFromLogits([], 0, logits, {}, seededRng(1)).watermarked).toBe(true);
    const q = softmax(logits);
    const seed = { hi: 0, lo: 0 };
    wm.windowSeed([], 0, seed);
    let g = 0;
    for (let v = 0; v < 500; v++) if (wm.isGreen(seed, v)) g += a[v]! - q[v]!;
    expect(g).toBeGreaterThan(0.1);
  });

  it('positions with fewer than h context tokens are drawn from q, unwatermarked', () => {
    const wm = makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, { context: { width: 2, mode: 'left' } });
    const emb = new Embedder(wm);
    const plain = new PlainSampler();
    const logits = gaussianLogits(2000, seededRng('short'), 2);
    const law = emb.distribution([7], 1, logits);
    const q = softmax(logits);
    for (let v = 0; v < q.length; v++) expect(law[v]).toBeCloseTo(q[v]!, 14);
    // Same rng → same token as the plain sampler (identical randomness use).
    for (let s = 0; s < 50; s++) {
      const a = emb.stepSparseFromLogits([7], 1, logits, {}, seededRng(s));
      const b = plain.sample(logits, {}, seededRng(s));
      expect(a.watermarked).toBe(false);
      expect(a.token).toBe(b.token);
    }
  });
});
