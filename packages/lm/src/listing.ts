/**
 * Keep a sparse distribution's candidate list short without losing exactness.
 *
 * When a model knows many candidates with exact weights (thousands of n-gram
 * continuations, or a wide top-p nucleus), the watermark embedder pays per listed
 * candidate. `shortList` lists only the most probable ones — whole binary orders
 * of magnitude of weight, from the top, until (1 − tailFraction) of the weight is
 * listed or one more would exceed maxListed — and moves the
 * others into the distribution's rest, which stays exact: its mass is their
 * weight plus any rest the model already had, and `sampleRest` draws from them
 * by their weights (inverse CDF over the moved tokens, built on first use).
 */
import type { Rng, SparseDistribution } from '@tracemark/watermark';
import { cutByCount } from './truncate.js';

export interface ShortListOptions {
  /** Most candidates to list (≥ 1). */
  maxListed: number;
  /** Weight fraction that may move to the rest (0 … 1). */
  tailFraction: number;
}

export interface ExistingRest {
  /** Weight of the model's own unlisted tokens, on the same scale as `w`. */
  weight: number;
  /** Draws one of them ∝ weight (required when weight > 0). */
  sample?: (rng: Rng) => number;
}

// Weight histogram by binary exponent (scratch shared by all calls; reset after each).
const bucketMass = new Float64Array(2048);
const bucketCount = new Int32Array(2048);
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Biased binary exponent of a positive double (little-endian platforms). */
function exponent(x: number): number {
  f64[0] = x;
  return (u32[1]! >>> 20) & 0x7ff;
}

/** Build the distribution from candidate weights `w` (any positive scale) and the model's own rest. */
export function shortList(ids: Int32Array, w: Float64Array, rest: ExistingRest, opts: ShortListOptions): SparseDistribution {
  const n = ids.length;
  if (n <= opts.maxListed) {
    let sum = rest.weight;
    for (let i = 0; i < n; i++) sum += w[i]!;
    return normalised(ids, w, sum, rest.weight, rest.sample);
  }
  let listedW = 0;
  let lo = 2047, hi = 0;
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    listedW += x;
    const e = exponent(x);
    bucketMass[e]! += x;
    bucketCount[e]!++;
    if (e < lo) lo = e;
    if (e > hi) hi = e;
  }
  const total = listedW + rest.weight;
  // Which weights to list: every weight of binary exponent ≥ E, with E the largest exponent
  // whose buckets hold (1 − tailFraction) of the weight, raised while that is more than
  // maxListed. Any rule would be exact; this one costs two linear passes and no sorting.
  let E = hi + 1, mass = 0, kept = 0;
  for (let e = hi; e >= lo; e--) {
    if (kept + bucketCount[e]! > opts.maxListed && kept > 0) break;
    mass += bucketMass[e]!;
    kept += bucketCount[e]!;
    E = e;
    if (mass >= (1 - opts.tailFraction) * listedW) break;
  }
  for (let e = lo; e <= hi; e++) {
    bucketMass[e] = 0;
    bucketCount[e] = 0;
  }
  if (kept === n) return normalised(ids, w, total, rest.weight, rest.sample);
  let keep = (x: number) => exponent(x) >= E;
  if (kept > opts.maxListed) {
    // The top order of magnitude alone is too many (a flat distribution): the maxListed largest.
    const cut = cutByCount(w.slice(), n, opts.maxListed);
    let ties = cut.count;
    for (let i = 0; i < n; i++) if (w[i]! > cut.cut) ties--;
    keep = (x) => x > cut.cut || (x === cut.cut && ties-- > 0);
    kept = cut.count;
  }
  const keepIds = new Int32Array(kept);
  const keepW = new Float64Array(kept);
  const poolIds = new Int32Array(n - kept);
  const poolW = new Float64Array(n - kept);
  let k = 0, p = 0, poolMass = 0;
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    if (keep(x)) {
      keepIds[k] = ids[i]!;
      keepW[k++] = x;
    } else {
      poolIds[p] = ids[i]!;
      poolW[p++] = x;
      poolMass += x;
    }
  }
  let cum: Float64Array | undefined;
  const samplePool = (rng: Rng): number => {
    if (!cum) {
      cum = new Float64Array(p + 1);
      for (let i = 0; i < p; i++) cum[i + 1] = cum[i]! + poolW[i]!;
    }
    const x = rng() * cum[p]!;
    let a = 0, b = p - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (cum[mid + 1]! > x) b = mid;
      else a = mid + 1;
    }
    return poolIds[a]!;
  };
  const restWeight = poolMass + rest.weight;
  const sample = (rng: Rng): number => {
    if (rest.weight > 0 && rng() * restWeight >= poolMass) return rest.sample!(rng);
    return samplePool(rng);
  };
  return normalised(keepIds, keepW, total, restWeight, sample);
}

function normalised(
  ids: Int32Array,
  w: Float64Array,
  total: number,
  restWeight: number,
  sample: ((rng: Rng) => number) | undefined,
): SparseDistribution {
  const probs = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) probs[i] = w[i]! / total;
  const restMass = restWeight / total;
  if (!(restMass > 0) || !sample) return { ids, probs, restMass: 0 };
  return { ids, probs, restMass, sampleRest: sample };
}
