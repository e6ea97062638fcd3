// 64-bit key helpers: engines take integer keys up to 2^64 - 1 (or signed int64);
// only their two u32 halves enter the PRFs, so parse once into words.

export interface U64Words {
  readonly lo: number;
  readonly hi: number;
}

const MASK64 = (1n << 64n) - 1n;

/** Accepts a bigint, a safe integer or a decimal string; throws on anything outside [min, max]. */
export function toBigInt(value: bigint | number | string, what = 'key'): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer (got ${value}); pass larger keys as bigint or string`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value.trim())) throw new RangeError(`${what} must be a decimal integer (got ${JSON.stringify(value)})`);
  return BigInt(value.trim());
}

export function checkRange(v: bigint, min: bigint, max: bigint, what: string): bigint {
  if (v < min || v > max) throw new RangeError(`${what} must be in [${min}, ${max}] (got ${v})`);
  return v;
}

/** Low and high u32 words of v mod 2^64 (two's complement for negatives). */
export function wordsOf(v: bigint): U64Words {
  const u = v & MASK64;
  return { lo: Number(u & 0xffffffffn), hi: Number(u >> 32n) };
}

/** Signed 64-bit wrap. */
export function wrap64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

export function u64FromWords(w: U64Words): bigint {
  return (BigInt(w.hi >>> 0) << 32n) | BigInt(w.lo >>> 0);
}
