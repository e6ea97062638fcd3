/**
 * Logits → the sampling contract's SparseDistribution, exactly:
 * temperature → top-k → top-p (docs/SPEC.md §Sampling), in float64.
 *
 * Without truncation the full softmax is kept, split into the listed tokens
 * (every token with probability ≥ tail / V, sorted most likely first) and the
 * unlisted rest, whose exact mass (≤ tail) is `restMass` and which `sampleRest`
 * draws from in proportion to the model probabilities. With top-k or top-p the
 * truncated support is listed in full and renormalized, so `restMass` is 0.
 */
import type { Rng, SamplingOptions, SparseDistribution } from '@tracemark/watermark';
import { resolveSampling } from '../types.js';

/** Default bound on the unlisted mass of an untruncated distribution. */
export const DEFAULT_TAIL_MASS = 1e-12;

/**
 * Convert one step's logits (length V) to a sparse distribution. `logits` is read,
 * never written, and must not be modified while `sampleRest` may still be called.
 */
export function sparseFromLogits(
  logits: ArrayLike<number>,
  opts: SamplingOptions = {},
  tail: number = DEFAULT_TAIL_MASS,
): SparseDistribution {
  const { temperature, topK, topP } = resolveSampling(opts);
  if (!(tail > 0 && tail < 1)) throw new Error(`tail mass must be in (0, 1), got ${tail}`);
  const V = logits.length;
  if (V === 0) throw new Error('logits are empty');

  let max = -Infinity;
  for (let i = 0; i < V; i++) {
    const l = logits[i]!;
    if (Number.isNaN(l) || l === Infinity) throw new Error(`logit ${i} is ${l}: the model produced invalid logits`);
    if (l > max) max = l;
  }
  if (max === -Infinity) throw new Error('every logit is -Infinity: no token can be sampled');
  const invT = 1 / temperature;
  // Scaled log-weights s_i = (l_i − max)/T ≤ 0; weight w_i = exp(s_i).
  const s = (i: number) => (logits[i]! - max) * invT;

  if (topK > 0 && topK < V) {
    const ids = topKIndices(logits, topK);
    const w = new Float64Array(ids.length);
    let z = 0;
    for (let j = 0; j < ids.length; j++) z += w[j] = Math.exp(s(ids[j]!));
    for (let j = 0; j < ids.length; j++) w[j]! /= z;
    return topP < 1 ? nucleus(ids, w, topP) : { ids, probs: w, restMass: 0 };
  }

  let z = 0;
  for (let i = 0; i < V; i++) z += Math.exp(s(i));
  // Listed: p_i ≥ tail/V ⟺ s_i ≥ ln(tail·z/V). The unlisted total is then < tail.
  const cut = Math.log((tail * z) / V);
  const listed: number[] = [];
  let rest = 0;
  for (let i = 0; i < V; i++) {
    const si = s(i);
    if (si >= cut) listed.push(i);
    else rest += Math.exp(si);
  }
  listed.sort((a, b) => s(b) - s(a) || a - b);
  const ids = Int32Array.from(listed);
  const probs = new Float64Array(ids.length);
  for (let j = 0; j < ids.length; j++) probs[j] = Math.exp(s(ids[j]!)) / z;

  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < probs.length; j++) cum += probs[j]!;
    // The listed set carries ≥ 1 − tail; only an absurd topP above that keeps the tail.
    if (cum >= topP) return nucleus(ids, probs, topP);
  }
  if (rest === 0) return { ids, probs, restMass: 0 };
  const isListed = new Uint8Array(V);
  for (const i of ids) isListed[i] = 1;
  const restSum = rest;
  return {
    ids,
    probs,
    restMass: rest / z,
    sampleRest: (rng: Rng): number => {
      let u = rng() * restSum;
      let last = -1;
      for (let i = 0; i < V; i++) {
        if (isListed[i]) continue;
        const w = Math.exp(s(i));
        if (w === 0) continue;
        last = i;
        u -= w;
        if (u < 0) return i;
      }
      if (last < 0) throw new Error('sampleRest: the unlisted tokens have no probability');
      return last; // rounding: u landed at the very end
    },
  };
}

/** Smallest most-likely prefix with mass ≥ p of a distribution sorted most likely first, renormalized. */
function nucleus(ids: Int32Array, probs: Float64Array, p: number): SparseDistribution {
  let cum = 0;
  let m = 0;
  while (m < probs.length) {
    cum += probs[m]!;
    m++;
    if (cum >= p) break;
  }
  const keptProbs = new Float64Array(m);
  for (let j = 0; j < m; j++) keptProbs[j] = probs[j]! / cum;
  return { ids: ids.slice(0, m), probs: keptProbs, restMass: 0 };
}

/** Indices of the k largest logits, largest first; ties go to the smaller index. O(V log k). */
function topKIndices(logits: ArrayLike<number>, k: number): Int32Array {
  // Min-heap (by logit, then larger index = "smaller") of the best k seen so far.
  const heap = new Int32Array(k);
  let n = 0;
  const worse = (a: number, b: number) => logits[a]! < logits[b]! || (logits[a]! === logits[b]! && a > b);
  const up = (j: number) => {
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!worse(heap[j]!, heap[p]!)) break;
      [heap[j], heap[p]] = [heap[p]!, heap[j]!];
      j = p;
    }
  };
  const down = (j: number) => {
    for (;;) {
      const l = 2 * j + 1;
      const r = l + 1;
      let m = j;
      if (l < n && worse(heap[l]!, heap[m]!)) m = l;
      if (r < n && worse(heap[r]!, heap[m]!)) m = r;
      if (m === j) return;
      [heap[j], heap[m]] = [heap[m]!, heap[j]!];
      j = m;
    }
  };
  for (let i = 0; i < logits.length; i++) {
    if (n < k) {
      heap[n] = i;
      up(n++);
    } else if (worse(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  const out = Array.from(heap.subarray(0, n));
  out.sort((a, b) => logits[b]! - logits[a]! || a - b);
  return Int32Array.from(out);
}
