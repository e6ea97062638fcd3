// The engine samplers' lazy paths choose the token their dense formulas choose.
import { describe, expect, it } from 'vitest';
import { argmaxById, engineCandidates } from '../../src/engines/embed/common.js';
import { sglangSelectIndex, sglangSelectionScore } from '../../src/engines/embed/sglang.js';
import { sglangHash } from '../../src/engines/sglang.js';
import { vllmCandidateWords, vllmGumbelIndex, vllmPrfKey } from '../../src/engines/embed/vllm.js';
import { absorbContext, philoxBlockWords, philoxLegacyWord, vllmUniform } from '../../src/engines/vllm-prf.js';
import { seededRng } from '../../src/index.js';

const rng = seededRng('engine-lazy');

/** vLLM's Gumbel-max as written before the lazy evaluation: every candidate's f32 score. */
function denseGumbel(ids: Int32Array, logits: Float64Array, words: Uint32Array): number {
  const scores = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const u = Math.max(vllmUniform(words[i]!), 2 ** -126);
    const noise = -Math.fround(Math.log(Math.fround(-Math.fround(Math.log(u)))));
    scores[i] = Math.fround(Math.fround(logits[i]!) + noise);
  }
  return argmaxById(ids, scores);
}

describe('vllmGumbelIndex (lazy)', () => {
  it('equals the dense f32 argmax (ties to the lowest id) on 400 random steps', () => {
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(rng() * 5000);
      const scale = [0.5, 3, 10, 40][t % 4]!;
      const logits = Float64Array.from({ length: n }, () => (rng() < 0.01 ? -Infinity : scale * Math.log(rng() + 1e-12)));
      if (t % 7 === 0) logits.fill(1.5); // every score decided by the noise alone
      if (t % 11 === 0) for (let i = 0; i < n; i += 3) logits[i] = 2; // ties of logits
      if (logits.every((x) => x === -Infinity)) logits[0] = 0;
      const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919 + t) % 1_000_003);
      // words with repeats, so equal scores (ties broken by id) happen
      const words = Uint32Array.from({ length: n }, () => (t % 5 === 0 ? Math.floor(rng() * 64) << 26 : Math.floor(rng() * 2 ** 32)) >>> 0);
      const c = engineCandidates({ ids, logits });
      expect(vllmGumbelIndex(c, words), `step ${t}`).toBe(denseGumbel(c.ids, c.logits, words));
    }
  });
});

describe('vllmCandidateWords (Philox in one WebAssembly call)', () => {
  it('equals the per-token JavaScript words for both layouts, dense and sparse ids', () => {
    for (const prf of ['philox', 'philox_legacy'] as const) {
      for (const [n, spread] of [[64, 64], [5000, 5000], [3000, 200_000], [100_001, 100_001], [70, 90]] as const) {
        const k = vllmPrfKey(prf, BigInt(Math.floor(rng() * 2 ** 52)) * 4099n);
        const context = Array.from({ length: 4 }, () => Math.floor(rng() * 150_000));
        const ids = spread === n ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from({ length: n }, () => Math.floor(rng() * spread));
        const state = absorbContext(k.words, context);
        const block = new Uint32Array(4);
        const want = Uint32Array.from(ids, (t) => (prf === 'philox' ? philoxBlockWords(k.words, state, t >>> 2, block)[t & 3]! : philoxLegacyWord(k.words, state, t)));
        expect(Array.from(vllmCandidateWords(k, context, ids)), `${prf} n=${n} spread=${spread}`).toEqual(Array.from(want));
      }
    }
  });
});

describe('sglangSelectIndex (lazy)', () => {
  it('equals the dense f32 argmax of ln(u)/p (ties to the lowest id) on 300 random steps', () => {
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rng() * 4000);
      const spread = [1, 8, 60, 800][t % 4]!; // down to probabilities that vanish in f32
      const logits = Float64Array.from({ length: n }, () => -spread * rng());
      if (t % 9 === 0) logits.fill(0);
      const ids = Int32Array.from({ length: n }, (_, i) => (i * 104729 + t) % 2_000_003);
      const c = engineCandidates({ ids, logits });
      const key = { lo: Math.floor(rng() * 2 ** 32) >>> 0, hi: Math.floor(rng() * 2 ** 32) >>> 0 };
      const ctx = Math.floor(rng() * 2 ** 32) >>> 0;
      const scores = Float64Array.from(c.ids, (v, i) => sglangSelectionScore(sglangHash(key, ctx, v), c.probs[i]!));
      expect(sglangSelectIndex(c, key, ctx), `step ${t}`).toBe(argmaxById(c.ids, scores));
    }
  });
});

describe('HF SynthID g-values from WebAssembly (synthidReadPrepared, ≥ 256 candidates)', () => {
  it('equal the JavaScript reading (< 256 candidates), bytes and packed words', async () => {
    const { prepareSynthid, synthidReadPrepared } = await import('../../src/engines/embed/synthid.js');
    const { hfSynthidTable } = await import('../../src/engines/synthid.js');
    for (const depth of [1, 30, 33, 64]) {
      const keys = Array.from({ length: depth }, () => Math.floor(rng() * 2 ** 40));
      const p = prepareSynthid('hf', keys, hfSynthidTable(depth === 33 ? 1024 : 65536, 0));
      const ids = Int32Array.from({ length: 40_000 + depth }, () => Math.floor(rng() * 256_000));
      const ctx = [1, 2, 3, 4].map(() => Math.floor(rng() * 256_000));
      const big = synthidReadPrepared(p, ctx, ids);
      for (let i0 = 0; i0 < ids.length; i0 += 4099) {
        const part = synthidReadPrepared(p, ctx, ids.subarray(i0, i0 + 255));
        expect(part.contextHash).toEqual(big.contextHash);
        expect(Array.from(part.g)).toEqual(Array.from(big.g.subarray(i0 * depth, (i0 + part.g.length / depth) * depth)));
        const n = part.g.length / depth;
        expect(Array.from(part.packed!.lo)).toEqual(Array.from(big.packed!.lo.subarray(i0, i0 + n)));
        expect(Array.from(part.packed!.hi)).toEqual(Array.from(big.packed!.hi.subarray(i0, i0 + n)));
      }
    }
  });
});
