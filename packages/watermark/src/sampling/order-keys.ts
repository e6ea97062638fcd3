/**
 * Float32 logits as order-preserving unsigned keys (sign, exponent, mantissa), their
 * 16-bit buckets, and the constants of the sparse extraction's bounds (candidates.ts,
 * buckets.ts). Comparing keys is comparing logits, and a bucket spans < 0.8 % of its
 * values' magnitude.
 */

export const NBUCKET = 65536;
/** Buckets more than this many nats below the maximum are bounded together. */
export const MAX_DEPTH = 64;
export const EXP_NEG_DEPTH = Math.exp(-MAX_DEPTH);
/** Keys below this bucket are negative NaNs; 0x7f holds −∞. From 0xff80 up: +∞ and NaNs. */
export const NEG_INF_BUCKET = 0x7f;
export const POS_INF_BUCKET = 0xff80;
/** Relative slack on computed bounds, covering floating-point rounding of sums and products. */
export const SLACK = 1 + 1e-9;
/** Lower bounds are derived from upper bounds (which carry SLACK): twice the slack back. */
export const LOWER = 1 - 2e-9;
/** Largest vocabulary for which (logit, id) packs into one exactly ordered double. */
export const MAX_SORTED_VOCAB = 2 ** 21;

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Order-preserving unsigned key of a float32's bits. */
export function ordKey(bits: number): number {
  return (bits ^ ((bits >> 31) | 0x80000000)) >>> 0;
}

/** The float32 value whose order-preserving key is `key`. */
export function keyValue(key: number): number {
  i32[0] = key >= 0x80000000 ? key ^ 0x80000000 : ~key;
  return f32[0]!;
}

/** Sort key: ascending key = descending logit, then ascending id. */
export function descKey(l: number, id: number): number {
  f32[0] = l;
  return (0xffffffff - ordKey(i32[0]!)) * MAX_SORTED_VOCAB + id;
}

export function bucketOf(l: number): number {
  f32[0] = l;
  return ordKey(i32[0]!) >>> 16;
}

export function bitsOf(l: number): number {
  f32[0] = l;
  return i32[0]!;
}

/** Visits every finite token whose order key is below `key`, with its weight (a dense pass). */
export function forEachBelow(
  logits: Float32Array,
  key: number,
  M: number,
  invT: number,
  fn: (id: number, weight: number) => void,
): void {
  for (let v = 0; v < logits.length; v++) {
    const l = logits[v]!;
    if (l > -Infinity && ordKey(bitsOf(l)) < key) fn(v, Math.exp((l - M) * invT));
  }
}

export function throwNaN(i: number): never {
  throw new RangeError(`logits[${i}] is NaN`);
}

export function checkMax(M: number): void {
  if (M === Infinity) throw new RangeError('logits must be finite or -Infinity (found +Infinity)');
  if (M === -Infinity) throw new RangeError('every logit is -Infinity: no token can be sampled');
}
