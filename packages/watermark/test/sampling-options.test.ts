import { describe, expect, it } from 'vitest';
import { Embedder, PlainSampler, type SparseDistribution } from '../src/index.js';
import { chiSquareGof, countingRng, gaussianLogits, makeWm, seededRng, softmax } from './sampling-helpers.js';

const kgw = () => makeWm({ name: 'kgw', gamma: 0.25, delta: 2 });
const logits = gaussianLogits(100, seededRng('opts'), 1);

describe('invalid input fails with a clear error', () => {
  const emb = new Embedder(kgw());
  const rng = seededRng(1);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['temperature 0', () => emb.stepSparseFromLogits([1], 1, logits, { temperature: 0 }, rng), /temperature must be a finite number > 0/],
    ['temperature −1', () => emb.stepDense([1], 1, logits, { temperature: -1 }, rng), /temperature must be/],
    ['temperature NaN', () => emb.sparseFromLogits(logits, { temperature: NaN }), /temperature must be/],
    ['topP 0', () => emb.sparseFromLogits(logits, { topP: 0 }), /topP must be in \(0, 1\]/],
    ['topP 1.5', () => emb.stepDense([1], 1, logits, { topP: 1.5 }, rng), /topP must be in \(0, 1\]/],
    ['topK −1', () => emb.sparseFromLogits(logits, { topK: -1 }), /topK must be an integer ≥ 0/],
    ['topK 2.5', () => emb.sparseFromLogits(logits, { topK: 2.5 }), /topK must be an integer ≥ 0/],
    ['epsilon −1', () => emb.sparseFromLogits(logits, { epsilon: -1 }), /epsilon must be a number in \[0, 1\)/],
    ['epsilon 1', () => emb.sparseFromLogits(logits, { epsilon: 1 }), /epsilon must be/],
    ['NaN logit', () => emb.sparseFromLogits(Float32Array.of(0, NaN, 1), {}), /logits\[1\] is NaN/],
    ['NaN logit (dense)', () => emb.stepDense([1], 1, Float32Array.of(NaN, 0), {}, rng), /logits\[0\] is NaN/],
    ['+∞ logit', () => emb.sparseFromLogits(Float32Array.of(0, Infinity), {}), /finite or -Infinity/],
    ['all −∞', () => emb.sparseFromLogits(Float32Array.of(-Infinity, -Infinity), {}), /every logit is -Infinity/],
    ['empty logits', () => emb.sparseFromLogits(new Float32Array(0), {}), /must not be empty/],
    ['not a Float32Array', () => emb.sparseFromLogits([1, 2] as unknown as Float32Array, {}), /Float32Array/],
    ['contextLength > length', () => emb.stepSparseFromLogits([1], 2, logits, {}, rng), /contextLength must be an integer in \[0, 1\]/],
    ['contextLength −1', () => emb.stepDense([1], -1, logits, {}, rng), /contextLength must be/],
    ['restMass without sampleRest', () => emb.step([1], 1, { ids: Int32Array.of(0), probs: Float64Array.of(0.5), restMass: 0.5 }, rng), /needs sampleRest/],
    ['probs length mismatch', () => emb.step([1], 1, { ids: Int32Array.of(0, 1), probs: Float64Array.of(1), restMass: 0 }, rng), /equal length/],
    ['negative prob', () => emb.step([1], 1, { ids: Int32Array.of(0, 1), probs: Float64Array.of(1.5, -0.5), restMass: 0 }, rng), /probs\[0\] must be in \[0, 1\]/],
    ['message without payload', () => new Embedder(kgw(), { message: 5n }), /spec has no payload/],
    ['payload without message', () => new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, { payload: { bits: 16, digitBits: 2 } })), /pass the message/],
    ['message out of range', () => new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, { payload: { bits: 16, digitBits: 2 } }), { message: 1n << 16n }), /\[0, 2\^16\)/],
    ['processLogits for gumbel', () => new Embedder(makeWm({ name: 'gumbel' })).processLogits([1], 1, logits.slice()), /kgw and unigram only: gumbel needs the sampler/],
    ['processLogits for synthid', () => new Embedder(makeWm({ name: 'synthid' })).processLogits([1], 1, logits.slice()), /synthid needs the sampler/],
  ];
  for (const [name, fn, re] of cases) {
    it(name, () => expect(fn).toThrow(re));
  }

  it('a rejected call leaves no state behind', () => {
    const e = new Embedder(kgw());
    const fresh = new Embedder(kgw());
    for (const bad of [Float32Array.of(0, Infinity), Float32Array.of(NaN, 1), Float32Array.of(-Infinity)]) {
      expect(() => e.sparseFromLogits(bad, {})).toThrow();
      const a = e.sparseFromLogits(logits, { epsilon: 1e-3 });
      const b = fresh.sparseFromLogits(logits, { epsilon: 1e-3 });
      expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
      expect(a.restMass).toBe(b.restMass);
    }
  });

  it('error messages are one line', () => {
    for (const [, fn] of cases) {
      try {
        fn();
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });
});

describe('randomness use', () => {
  it('every step consumes exactly four rng() values, dense or sparse, any scheme', () => {
    for (const scheme of [{ name: 'kgw' as const }, { name: 'gumbel' as const }, { name: 'synthid' as const }]) {
      const emb = new Embedder(makeWm(scheme));
      for (const opts of [{}, { topK: 5 }, { topP: 0.5 }]) {
        const c1 = countingRng(seededRng(3));
        emb.stepSparseFromLogits([1], 1, logits, opts, c1.rng);
        expect(c1.calls()).toBe(4);
        const c2 = countingRng(seededRng(3));
        emb.stepDense([1], 0, logits, opts, c2.rng);
        expect(c2.calls()).toBe(4);
      }
    }
  });

  it('seededRng is deterministic and uniform-looking', () => {
    const a = seededRng('x');
    const b = seededRng('x');
    const c = seededRng('y');
    const xs = Array.from({ length: 5 }, () => a());
    expect(xs).toEqual(Array.from({ length: 5 }, () => b()));
    expect(xs).not.toEqual(Array.from({ length: 5 }, () => c()));
    const counts = new Float64Array(10);
    const r = seededRng(42);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(r() * 10)]!++;
    expect(chiSquareGof(counts, new Float64Array(10).fill(0.1)).p).toBeGreaterThan(1e-4);
  });
});

describe('processLogits (HF-style logits processor)', () => {
  it('adds δ to exactly the green tokens, and softmax of the result is the embedder’s law at T = 1', () => {
    const wm = kgw();
    const emb = new Embedder(wm);
    const ctx = [17];
    const l = logits.slice();
    emb.processLogits(ctx, 1, l);
    const seed = { hi: 0, lo: 0 };
    wm.windowSeed(ctx, 1, seed);
    for (let v = 0; v < l.length; v++) {
      expect(l[v]! - logits[v]!).toBeCloseTo(wm.isGreen(seed, v) ? 2 : 0, 5);
    }
    const viaProcessor = softmax(l);
    const law = emb.distribution(ctx, 1, logits);
    for (let v = 0; v < l.length; v++) expect(viaProcessor[v]).toBeCloseTo(law[v]!, 6);
  });

  it('processLogits + a plain sampler draws the same distribution as stepDense', () => {
    const emb = new Embedder(kgw());
    const ps = new PlainSampler();
    const ctx = [8];
    const l = logits.slice();
    emb.processLogits(ctx, 1, l);
    const law = emb.distribution(ctx, 1, logits);
    const a = new Float64Array(100);
    const b = new Float64Array(100);
    const r1 = seededRng('proc-a');
    const r2 = seededRng('proc-b');
    for (let i = 0; i < 20_000; i++) {
      a[ps.sampleDense(l, {}, r1).token]!++;
      b[emb.stepDense(ctx, 1, logits, {}, r2).token]!++;
    }
    expect(chiSquareGof(a, law).p).toBeGreaterThan(1e-4);
    expect(chiSquareGof(b, law).p).toBeGreaterThan(1e-4);
  });

  it('leaves logits untouched without enough context, and −∞ stays −∞', () => {
    const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, { context: { width: 2, mode: 'left' } }));
    const l = logits.slice();
    emb.processLogits([1], 1, l);
    expect(Array.from(l)).toEqual(Array.from(logits));
    const m = Float32Array.of(-Infinity, 0, -Infinity);
    emb.processLogits([1, 2], 2, m);
    expect(m[0]).toBe(-Infinity);
    expect(m[2]).toBe(-Infinity);
  });
});

describe('sparseFromLogits + step', () => {
  it('step() on a sparseFromLogits distribution equals stepSparseFromLogits', () => {
    for (const scheme of [{ name: 'kgw' as const }, { name: 'gumbel' as const }, { name: 'synthid' as const }]) {
      const emb = new Embedder(makeWm(scheme));
      const lr = seededRng(`sfl-${scheme.name}`);
      for (let s = 0; s < 50; s++) {
        const l = gaussianLogits(2000, lr, 1.5);
        const d: SparseDistribution = emb.sparseFromLogits(l, { epsilon: 0.2 });
        const a = emb.step([s], 1, d, seededRng(s));
        const b = emb.stepSparseFromLogits([s], 1, l, { epsilon: 0.2 }, seededRng(s));
        expect(a).toEqual(b);
      }
    }
  });

  it('sampleRest draws only unlisted tokens', () => {
    const emb = new Embedder(kgw());
    const l = gaussianLogits(3000, seededRng('sr'), 1.5);
    const d = emb.sparseFromLogits(l, { epsilon: 0.1 });
    expect(d.restMass).toBeGreaterThan(0);
    const listed = new Set(d.ids);
    const rng = seededRng(9);
    for (let i = 0; i < 200; i++) expect(listed.has(d.sampleRest!(rng))).toBe(false);
  });
});
