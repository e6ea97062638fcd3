/** Unwatermarked draw from a sparse distribution: inverse CDF over the listed tokens, else the rest. */
import type { Rng, SparseDistribution, StepResult } from '@tracemark/watermark';

export function drawSparse(dist: SparseDistribution, rng: Rng): StepResult {
  const { ids, probs, restMass } = dist;
  let x = rng() * (sum(probs) + restMass);
  for (let i = 0; i < ids.length; i++) {
    x -= probs[i]!;
    if (x < 0) return { token: ids[i]!, watermarked: false, fromRest: false, bound: 0 };
  }
  if (restMass > 0 && dist.sampleRest) return { token: dist.sampleRest(rng), watermarked: false, fromRest: true, bound: 0 };
  // Rounding left x just above the listed total: the last positive-probability token.
  for (let i = ids.length - 1; i >= 0; i--) if (probs[i]! > 0) return { token: ids[i]!, watermarked: false, fromRest: false, bound: 0 };
  throw new Error('the distribution has no token with positive probability');
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
