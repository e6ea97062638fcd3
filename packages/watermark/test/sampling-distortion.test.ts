import { describe, expect, it } from 'vitest';
import { Embedder, PlainSampler, type Rng, type SparseDistribution } from '../src/index.js';
import { chiSquareGof, gaussianLogits, makeWm, seededRng, softmax } from './sampling-helpers.js';

/**
 * Distortion-freeness: averaged over windows (each step has a fresh context, hence fresh
 * PRF values, as over random keys) Gumbel and SynthID sample exactly the model's q.
 * 20k draws over V = 20 tokens; the fit must not be rejected at 1e-4, while KGW's
 * (which does distort) must be rejected at 1e-6.
 */
const V = 20;
const N = 20_000;
const LOGITS = Float32Array.from({ length: V }, (_, i) => 3 - 0.35 * i + 0.3 * Math.sin(i));

function marginalCounts(emb: Embedder, seed: string, draw: 'sparse' | 'dense', opts = {}): Float64Array {
  const rng = seededRng(seed);
  const counts = new Float64Array(V);
  const ctx = [0];
  for (let i = 0; i < N; i++) {
    ctx[0] = Math.floor(rng() * 1e9);
    const r =
      draw === 'sparse'
        ? emb.stepSparseFromLogits(ctx, 1, LOGITS, opts, rng)
        : emb.stepDense(ctx, 1, LOGITS, opts, rng);
    counts[r.token]!++;
  }
  return counts;
}

describe('distortion-freeness over keys/windows', () => {
  const q = softmax(LOGITS);

  it('the plain sampler draws q (hashed exponential race)', () => {
    const ps = new PlainSampler();
    const rng = seededRng('plain');
    const counts = new Float64Array(V);
    for (let i = 0; i < N; i++) counts[ps.sample(LOGITS, {}, rng).token]!++;
    expect(chiSquareGof(counts, q).p).toBeGreaterThan(1e-4);
  });

  for (const scheme of [{ name: 'gumbel' as const }, { name: 'synthid' as const, layers: 30 }, { name: 'synthid' as const, layers: 3 }]) {
    for (const draw of ['sparse', 'dense'] as const) {
      it(`${scheme.name}${'layers' in scheme ? ` m=${scheme.layers}` : ''} (${draw}) samples q`, () => {
        const emb = new Embedder(makeWm(scheme));
        const counts = marginalCounts(emb, `${scheme.name}-${draw}`, draw);
        expect(chiSquareGof(counts, q).p).toBeGreaterThan(1e-4);
      });
    }
  }

  it('temperature and top-k are applied before the watermark (gumbel samples the truncated q)', () => {
    const emb = new Embedder(makeWm({ name: 'gumbel' }));
    const counts = marginalCounts(emb, 'gumbel-trunc', 'sparse', { temperature: 0.7, topK: 8 });
    const qT = softmax(LOGITS, 0.7);
    const qk = new Float64Array(V);
    let s = 0;
    for (let i = 0; i < 8; i++) s += qT[i]!; // LOGITS decrease with i
    for (let i = 0; i < 8; i++) qk[i] = qT[i]! / s;
    for (let i = 8; i < V; i++) expect(counts[i]).toBe(0);
    expect(chiSquareGof(counts.subarray(0, 8), qk.subarray(0, 8)).p).toBeGreaterThan(1e-4);
  });

  it('negative control: KGW does distort q', () => {
    const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
    const counts = marginalCounts(emb, 'kgw-neg', 'sparse');
    expect(chiSquareGof(counts, q).p).toBeLessThan(1e-6);
  });
});

/**
 * The unlisted rest is resolved exactly (thinning / rejection), so a sparse step has the
 * exact law even when the rest is large. A loose ε forces frequent rest events.
 */
describe('exactness of sparse steps with a large rest', () => {
  const VR = 400;
  const logits = gaussianLogits(VR, seededRng('rest-logits'), 2.2);
  const steps = 30_000;

  function lawCounts(draw: (rng: Rng) => { token: number; fromRest: boolean }, seed: string) {
    const rng = seededRng(seed);
    const counts = new Float64Array(VR);
    let rest = 0;
    for (let i = 0; i < steps; i++) {
      const r = draw(rng);
      counts[r.token]!++;
      if (r.fromRest) rest++;
    }
    return { counts, rest };
  }

  it('KGW, fixed context: sparse steps with ε = 0.5 follow the exact KGW law', () => {
    const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
    const ctx = [99];
    const law = emb.distribution(ctx, 1, logits);
    const { counts, rest } = lawCounts((rng) => emb.stepSparseFromLogits(ctx, 1, logits, { epsilon: 0.5 }, rng), 'kgw-rest');
    expect(rest).toBeGreaterThan(100); // the rest path really ran
    expect(chiSquareGof(counts, law).p).toBeGreaterThan(1e-4);
  });

  it('KGW through step() with only sampleRest (rejection from the rest) follows the exact law', () => {
    const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
    const ctx = [5];
    const law = emb.distribution(ctx, 1, logits);
    const q = softmax(logits);
    // Hand-made distribution: the 40 most likely tokens listed, the rest via a sampler.
    const order = Array.from(q.keys()).sort((a, b) => q[b]! - q[a]!);
    const listed = order.slice(0, 40);
    const restIds = order.slice(40);
    const restMass = restIds.reduce((s, v) => s + q[v]!, 0);
    const dist: SparseDistribution = {
      ids: Int32Array.from(listed),
      probs: Float64Array.from(listed, (v) => q[v]!),
      restMass,
      sampleRest: (rng) => {
        let t = rng() * restMass;
        for (const v of restIds) if ((t -= q[v]!) < 0) return v;
        return restIds[restIds.length - 1]!;
      },
    };
    expect(restMass).toBeGreaterThan(0.05);
    const { counts, rest } = lawCounts((rng) => emb.step(ctx, 1, dist, rng), 'kgw-generic');
    expect(rest).toBeGreaterThan(500);
    expect(chiSquareGof(counts, law).p).toBeGreaterThan(1e-4);
  });

  // SynthID with m = 4: its bound factor 1 + 2·1.25^4 ≈ 5.9 leaves a rest of a few %
  // (at m = 30 the factor ≈ 1617 keeps the rest too small to exercise).
  for (const scheme of [{ name: 'gumbel' as const }, { name: 'synthid' as const, layers: 4 }]) {
    it(`${scheme.name}: sparse steps with ε = 0.5 stay distortion-free`, () => {
      const emb = new Embedder(makeWm(scheme));
      const q = softmax(logits);
      const ctx = [0];
      const { counts, rest } = lawCounts((rng) => {
        ctx[0] = Math.floor(rng() * 1e9);
        return emb.stepSparseFromLogits(ctx, 1, logits, { epsilon: 0.5 }, rng);
      }, `${scheme.name}-rest`);
      expect(rest).toBeGreaterThan(100);
      expect(chiSquareGof(counts, q).p).toBeGreaterThan(1e-4);
    });
  }
});
