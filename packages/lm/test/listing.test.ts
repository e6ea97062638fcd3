import { describe, expect, it } from 'vitest';
import { seededRng } from '@tracemark/watermark';
import { shortList } from '@tracemark/lm';
import { lcg } from './helpers.js';

describe('shortList', () => {
  it('lists the heaviest candidates and moves the others into an exactly sampled rest', () => {
    const rand = lcg(9);
    const n = 3000;
    const ids = Int32Array.from({ length: n }, (_, i) => 10 * i);
    // A few heavy tokens and a long light tail, like an n-gram model's continuations.
    const w = Float64Array.from({ length: n }, (_, i) => (i < 30 ? 1 + rand() : 1e-3 * (1 + rand())));
    const own = { weight: 0.5, sample: () => 7 }; // the model's own rest: token 7
    const d = shortList(ids, w, own, { maxListed: 100, tailFraction: 0.02 });
    const total = w.reduce((a, b) => a + b, 0) + 0.5;
    expect(d.ids.length).toBeLessThanOrEqual(100);
    expect(d.ids.length).toBeGreaterThanOrEqual(30);
    // Listed probabilities are exact, and with the rest they sum to one.
    let listed = 0;
    d.ids.forEach((id, i) => {
      expect(d.probs[i]).toBeCloseTo(w[id / 10]! / total, 15);
      listed += d.probs[i]!;
    });
    expect(Math.abs(listed + d.restMass - 1)).toBeLessThan(1e-12);
    // The rest: the model's own part (token 7) with its weight, the moved tokens by theirs.
    const rng = seededRng(1);
    const N = 50_000;
    let own7 = 0, heavyInRest = 0;
    const seen = new Set(d.ids);
    for (let i = 0; i < N; i++) {
      const t = d.sampleRest!(rng);
      if (t === 7) own7++;
      else {
        expect(seen.has(t)).toBe(false);
        if (t < 300) heavyInRest++;
      }
    }
    const ownShare = 0.5 / (d.restMass * total);
    expect(Math.abs(own7 / N - ownShare)).toBeLessThan(5 * Math.sqrt((ownShare * (1 - ownShare)) / N));
    expect(heavyInRest).toBe(0); // the 30 heavy tokens are all listed
  });

  it('returns short lists unchanged', () => {
    const d = shortList(Int32Array.of(1, 2), Float64Array.of(1, 3), { weight: 0 }, { maxListed: 10, tailFraction: 0.02 });
    expect(Array.from(d.ids)).toEqual([1, 2]);
    expect(Array.from(d.probs)).toEqual([0.25, 0.75]);
    expect(d.restMass).toBe(0);
    expect(d.sampleRest).toBeUndefined();
  });
});
