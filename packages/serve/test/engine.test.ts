/**
 * What an engine sampler is given by the server (engine.ts): the dense path cuts
 * tempered logits to the top_p set exactly; the sparse path draws from the unlisted tail
 * with probability restMass and steps the sampler with that token alone, otherwise hands
 * it the listed candidates.
 */
import { describe, expect, it } from 'vitest';
import { seededRng, type engines, type SparseDistribution } from '@tracemark/watermark';
import { engineStepSparse, truncatedLogits } from '../src/index.js';

/** A sampler that records what it was given and takes the first candidate. */
function recorder(): engines.EngineSampler & { seen: number[][] } {
  const seen: number[][] = [];
  const generated: number[] = [];
  return {
    seen,
    generated,
    step(d) {
      const ids = Array.from(d.ids ?? []);
      seen.push(ids);
      generated.push(ids[0]!);
      return { token: ids[0]!, watermarked: true };
    },
  };
}

describe('truncatedLogits', () => {
  const logits = Float32Array.from([0, Math.log(2), Math.log(4)]); // p = 1/7, 2/7, 4/7

  it('top_p = 1: the dense tempered logits', () => {
    const d = truncatedLogits(logits, 2, 1);
    expect(d.ids).toBeUndefined();
    expect(Array.from(d.logits!)).toEqual([0, Math.fround(Math.log(2)) / 2, Math.fround(Math.log(4)) / 2]);
  });

  it('top_p < 1: the smallest most probable set with mass ≥ top_p, in order of probability', () => {
    expect(Array.from(truncatedLogits(logits, 1, 0.5).ids!)).toEqual([2]);
    expect(Array.from(truncatedLogits(logits, 1, 0.6).ids!)).toEqual([2, 1]);
    expect(Array.from(truncatedLogits(logits, 1, 0.99).ids!)).toEqual([2, 1, 0]);
    // temperature 0.5 sharpens: p ∝ 1, 4, 16 → 16/21 ≥ 0.7
    expect(Array.from(truncatedLogits(logits, 0.5, 0.7).ids!)).toEqual([2]);
  });
});

describe('engineStepSparse', () => {
  const listed = (restMass: number): SparseDistribution => ({
    ids: Int32Array.from([10, 11, 12]),
    probs: Float64Array.from([0.5, 0.3, 0.2].map((p) => p * (1 - restMass))),
    restMass,
    sampleRest: () => 99,
  });

  it('no rest: the listed candidates; all rest: the tail token alone', () => {
    const s = recorder();
    const rng = seededRng('engine-sparse');
    expect(engineStepSparse(s, listed(0), rng)).toMatchObject({ token: 10, fromRest: false });
    expect(engineStepSparse(s, listed(1), rng)).toMatchObject({ token: 99, fromRest: true });
    expect(s.seen).toEqual([[10, 11, 12], [99]]);
    expect(s.generated).toEqual([10, 99]);
  });

  it('draws from the tail with probability restMass (simulation)', () => {
    const s = recorder();
    const rng = seededRng('engine-sparse-rate');
    const n = 20_000;
    let tail = 0;
    for (let i = 0; i < n; i++) if (engineStepSparse(s, listed(0.3), rng).fromRest) tail++;
    const sd = Math.sqrt(n * 0.3 * 0.7);
    expect(Math.abs(tail - n * 0.3)).toBeLessThan(4 * sd);
  });
});
