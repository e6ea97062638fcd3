import { describe, expect, it } from 'vitest';
import { Embedder, PlainSampler, type Watermark } from '../src/index.js';
import { binomUpper, gaussianLogits, makeWm, peakedLogits, seededRng } from './sampling-helpers.js';

const SCHEMES: Array<[string, () => Watermark, { message?: bigint }?]> = [
  ['kgw', () => makeWm({ name: 'kgw', gamma: 0.25, delta: 2 })],
  ['kgw h=2 self', () => makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, { context: { width: 2, mode: 'self' } })],
  ['kgw+payload', () => makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, { payload: { bits: 16, digitBits: 2 } }), { message: 0xbeefn }],
  ['gumbel', () => makeWm({ name: 'gumbel' })],
  ['synthid', () => makeWm({ name: 'synthid', layers: 30 })],
  ['unigram', () => makeWm({ name: 'unigram', gamma: 0.25, delta: 2 })],
];
const OPTS = [{}, { temperature: 0.7 }, { topK: 50 }, { topP: 0.9 }];

describe('sparse steps equal dense steps except with probability ≤ ε', () => {
  for (const [name, mk, eo] of SCHEMES) {
    it(`${name}: 0 disagreements over 240 coupled steps (random and peaked logits)`, () => {
      const emb = new Embedder(mk(), eo);
      const lr = seededRng(`logits-${name}`);
      let steps = 0;
      let watermarked = 0;
      for (let s = 0; s < 60; s++) {
        const V = s % 2 === 0 ? 5000 : 12_000;
        const logits = s % 3 === 0 ? gaussianLogits(V, lr, 2) : peakedLogits(V, lr);
        const ctx = [Math.floor(lr() * 100_000), Math.floor(lr() * 100_000)];
        // Some steps lack context (contextLength 0): unwatermarked, but still coupled.
        const len = s % 10 === 0 ? 0 : 2;
        for (const opts of OPTS) {
          const r1 = seededRng(`step-${name}-${s}`);
          const r2 = seededRng(`step-${name}-${s}`);
          const a = emb.stepSparseFromLogits(ctx, len, logits, opts, r1);
          const b = emb.stepDense(ctx, len, logits, opts, r2);
          expect(a.bound).toBeLessThanOrEqual(1e-9);
          expect(b.bound).toBe(0);
          if (opts.topK || opts.topP) expect(a.bound).toBe(0);
          expect(a.token).toBe(b.token);
          expect(a.watermarked).toBe(b.watermarked);
          expect(r1()).toBe(r2()); // both consumed the rng identically
          steps++;
          if (a.watermarked) watermarked++;
        }
      }
      expect(steps).toBe(240);
      expect(watermarked).toBeGreaterThanOrEqual(200);
    });
  }

  it('the plain sampler: sparse = dense with the same rng', () => {
    const ps = new PlainSampler();
    const lr = seededRng('plain-logits');
    for (let s = 0; s < 40; s++) {
      const logits = s % 2 ? peakedLogits(20_000, lr) : gaussianLogits(20_000, lr, 1);
      for (const opts of OPTS) {
        const a = ps.sample(logits, opts, seededRng(s));
        const b = ps.sampleDense(logits, opts, seededRng(s));
        expect(a.token).toBe(b.token);
        expect(a.bound).toBeLessThanOrEqual(1e-9);
      }
    }
  });

  it('with a loose ε the disagreement rate stays within the reported bounds', () => {
    // KGW at ε = 0.05: each step's bound is ≤ 0.05; the number of disagreements must not
    // exceed what Binomial(steps, mean bound) allows at α = 1e-6.
    const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
    const lr = seededRng('loose');
    let dis = 0;
    let sumBound = 0;
    let rest = 0;
    const steps = 400;
    for (let s = 0; s < steps; s++) {
      const logits = gaussianLogits(400, lr, 2.5);
      const ctx = [Math.floor(lr() * 1e6)];
      const a = emb.stepSparseFromLogits(ctx, 1, logits, { epsilon: 0.05 }, seededRng(s));
      const b = emb.stepDense(ctx, 1, logits, {}, seededRng(s));
      expect(a.bound).toBeLessThanOrEqual(0.05);
      sumBound += a.bound;
      if (a.token !== b.token) dis++;
      if (a.fromRest) rest++;
    }
    const meanBound = sumBound / steps;
    expect(meanBound).toBeGreaterThan(0.005); // the rest is not negligible here
    expect(binomUpper(steps, dis, meanBound)).toBeGreaterThan(1e-6);
    expect(rest).toBeGreaterThan(0);
  });

  it('ε = 0 lists every token: bound 0, same token as dense', () => {
    const emb = new Embedder(makeWm({ name: 'gumbel' }));
    const logits = gaussianLogits(3000, seededRng('eps0'), 2);
    const d = emb.sparseFromLogits(logits, { epsilon: 0 });
    expect(d.ids.length).toBe(3000);
    expect(d.restMass).toBe(0);
    const a = emb.stepSparseFromLogits([3], 1, logits, { epsilon: 0 }, seededRng(1));
    const b = emb.stepDense([3], 1, logits, {}, seededRng(1));
    expect(a.token).toBe(b.token);
    expect(a.bound).toBe(0);
  });
});

describe('truncation is exact in the sparse path', () => {
  const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));

  function denseOrder(logits: Float32Array): number[] {
    return Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  }

  it('top-k candidates are exactly the k largest logits (ties: lower id first), rest 0', () => {
    const lr = seededRng('topk');
    for (const V of [50, 1000, 100_000]) {
      // Quantised logits create many ties, including at the k-th position.
      const logits = Float32Array.from(gaussianLogits(V, lr, 2), (x) => Math.round(x * 4) / 4);
      for (const k of [1, 7, 50, 300]) {
        const d = emb.sparseFromLogits(logits, { topK: k });
        const want = denseOrder(logits).slice(0, Math.min(k, V));
        // As a set: with k ≥ V top-k is off and the candidates come in id order.
        expect(Array.from(d.ids).sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
        expect(d.restMass).toBe(0);
      }
    }
  });

  it('top-p candidates are exactly the nucleus: smallest prefix with mass ≥ p', () => {
    const lr = seededRng('topp');
    for (const V of [100, 5000, 60_000]) {
      for (const kind of ['gauss', 'peaked']) {
        const logits = kind === 'gauss' ? gaussianLogits(V, lr, 1.5) : peakedLogits(V, lr, 20, 10);
        for (const p of [0.3, 0.9, 0.95, 0.999]) {
          for (const T of [1, 0.7]) {
            const d = emb.sparseFromLogits(logits, { topP: p, temperature: T });
            const order = denseOrder(logits);
            const M = logits[order[0]!]!;
            const w = order.map((v) => Math.exp((logits[v]! - M) / T));
            const Z = w.reduce((a, b) => a + b, 0);
            let s = 0;
            let cut = 0;
            while (s < p * Z) s += w[cut++]!;
            expect(d.ids.length).toBe(cut);
            // As a set: only the buckets where the prefix can cross p·Z are sorted.
            expect(Array.from(d.ids).sort((x, y) => x - y)).toEqual(order.slice(0, cut).sort((x, y) => x - y));
            expect(d.restMass).toBe(0);
          }
        }
      }
    }
  });

  it('top-p with p on (or within 1e-15 of) a cumulative boundary, and tied logits, matches dense', () => {
    const lr = seededRng('topp-edge');
    const dense = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
    let checked = 0;
    for (let s = 0; s < 6; s++) {
      const V = 20_000;
      const logits = Float32Array.from(gaussianLogits(V, lr, 1.5), (x) => Math.round(x * 8) / 8);
      const order = denseOrder(logits);
      const M = logits[order[0]!]!;
      const w = order.map((v) => Math.exp((logits[v]! - M) * 1));
      let Z = 0;
      for (const x of w) Z += x;
      let S = 0;
      for (let k = 0; k < 400; k++) {
        S += w[k]!;
        if (k % 97 !== 3) continue;
        for (const p of [S / Z, (S / Z) * (1 + 1e-15), (S / Z) * (1 - 1e-15), (S / Z) * (1 + 1e-7), (S / Z) * (1 - 1e-7)]) {
          if (!(p > 0 && p < 1)) continue;
          // Reference: the dense path's own nucleus (distribution() is dense).
          const law = dense.distribution([], 0, logits, { topP: p });
          const want = order.filter((v) => law[v]! > 0).sort((a, b) => a - b);
          const d = emb.sparseFromLogits(logits, { topP: p });
          expect(Array.from(d.ids).sort((a, b) => a - b)).toEqual(want);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('top-k then top-p: the nucleus of the top-k', () => {
    const logits = gaussianLogits(20_000, seededRng('kp'), 1);
    const d = emb.sparseFromLogits(logits, { topK: 40, topP: 0.5 });
    const order = denseOrder(logits).slice(0, 40);
    const M = logits[order[0]!]!;
    const w = order.map((v) => Math.exp(logits[v]! - M));
    const Z = w.reduce((a, b) => a + b, 0);
    let s = 0;
    let cut = 0;
    while (s < 0.5 * Z) s += w[cut++]!;
    expect(Array.from(d.ids)).toEqual(order.slice(0, cut));
  });

  it('−∞ logits (masked tokens) are never drawn; probabilities and rest sum to 1', () => {
    const logits = gaussianLogits(5000, seededRng('mask'), 2);
    for (let v = 0; v < 5000; v += 2) logits[v] = -Infinity;
    const d = emb.sparseFromLogits(logits, {});
    let s = d.restMass;
    for (const p of d.probs) s += p;
    expect(s).toBeCloseTo(1, 12);
    for (const v of d.ids) expect(v % 2).toBe(1);
    for (let i = 0; i < 200; i++) {
      const r = emb.stepSparseFromLogits([i], 1, logits, { epsilon: 0.3 }, seededRng(i));
      expect(r.token % 2).toBe(1);
    }
  });

  it('the rest bound is a true upper bound on the unlisted mass', () => {
    const lr = seededRng('bound');
    for (let s = 0; s < 10; s++) {
      const logits = s % 2 ? peakedLogits(30_000, lr) : gaussianLogits(30_000, lr, 1.5);
      for (const epsilon of [1e-9, 1e-4, 0.1]) {
        const d = emb.sparseFromLogits(logits, { epsilon, temperature: 0.8 });
        const listed = new Set(d.ids);
        let M = -Infinity;
        for (const l of logits) M = Math.max(M, l);
        let Z = 0;
        let R = 0;
        for (let v = 0; v < logits.length; v++) {
          const w = Math.exp((logits[v]! - M) / 0.8);
          Z += w;
          if (!listed.has(v)) R += w;
        }
        expect(R / Z).toBeLessThanOrEqual(d.restMass);
        expect(d.restMass * emb.boundFactor).toBeLessThanOrEqual(epsilon * (1 + 1e-6));
      }
    }
  });
});
