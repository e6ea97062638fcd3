import { mulHi32 } from './philox.js';

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

// 64-bit two's-complement arithmetic on (hi, lo) u32 pairs, for hot loops: BigInt.asIntN
// in a loop-carried variable also trips a Turbofan bug in Node 20 (fatal
// "Phi of kRepTagged (SignedBigInt64) cannot be changed to kRepWord64").

export interface I64 {
  hi: number; // u32 bits
  lo: number; // u32 bits
}

export function i64(hi: number, lo: number): I64 {
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

export function i64FromBigInt(v: bigint): I64 {
  const w = wordsOf(v);
  return { hi: w.hi, lo: w.lo };
}

export function i64ToBigInt(v: I64): bigint {
  return BigInt.asIntN(64, (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0));
}

/** Sign-extended 32-bit integer as a 64-bit value. */
export function i64FromInt32(x: number): I64 {
  return { hi: x < 0 ? 0xffffffff : 0, lo: x >>> 0 };
}

export function mul64(a: I64, b: I64): I64 {
  return {
    hi: (mulHi32(a.lo, b.lo) + Math.imul(a.hi, b.lo) + Math.imul(a.lo, b.hi)) >>> 0,
    lo: Math.imul(a.lo, b.lo) >>> 0,
  };
}

export function add64(a: I64, b: I64): I64 {
  const lo = (a.lo + b.lo) >>> 0;
  return { hi: (a.hi + b.hi + (lo < a.lo ? 1 : 0)) >>> 0, lo };
}

/** Signed comparison a < b. */
export function lt64(a: I64, b: I64): boolean {
  const ah = a.hi | 0;
  const bh = b.hi | 0;
  return ah < bh || (ah === bh && a.lo < b.lo);
}

/** Arithmetic right shift by 0 < s < 32. */
export function sar64(a: I64, s: number): I64 {
  return { hi: ((a.hi | 0) >> s) >>> 0, lo: ((a.lo >>> s) | (a.hi << (32 - s))) >>> 0 };
}
