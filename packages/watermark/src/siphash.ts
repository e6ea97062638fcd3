/**
 * SipHash-2-4 (Aumasson & Bernstein, 2012) on 32-bit limbs.
 *
 * Why hand-written: the PRF runs once per candidate token at generation and once
 * per scored token at detection. A call into a general hashing library costs
 * ~1 µs of per-call overhead; this plain-JS version costs tens of nanoseconds.
 *
 * A 64-bit word is kept as two uint32 halves (hi, lo). Keys are passed as a
 * SipKey: the four 32-bit limbs of k0 and k1 (k0 = bytes 0..7 LE, k1 = bytes 8..15 LE).
 */

export interface SipKey {
  readonly k0h: number;
  readonly k0l: number;
  readonly k1h: number;
  readonly k1l: number;
}

/** Result of the fast entry points: the 64-bit output as two uint32 halves. */
export interface U64 {
  hi: number;
  lo: number;
}

export function sipKeyFromBytes(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new Error(`SipHash key must be 16 bytes, got ${key.length}`);
  return {
    k0l: readLE32(key, 0),
    k0h: readLE32(key, 4),
    k1l: readLE32(key, 8),
    k1h: readLE32(key, 12),
  };
}

function readLE32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

// The state lives in module-level variables so the hot entry points allocate nothing.
let v0h = 0, v0l = 0, v1h = 0, v1l = 0, v2h = 0, v2l = 0, v3h = 0, v3l = 0;

function init(k: SipKey): void {
  // "somepseudorandomlygeneratedbytes"
  v0h = (k.k0h ^ 0x736f6d65) >>> 0; v0l = (k.k0l ^ 0x70736575) >>> 0;
  v1h = (k.k1h ^ 0x646f7261) >>> 0; v1l = (k.k1l ^ 0x6e646f6d) >>> 0;
  v2h = (k.k0h ^ 0x6c796765) >>> 0; v2l = (k.k0l ^ 0x6e657261) >>> 0;
  v3h = (k.k1h ^ 0x74656462) >>> 0; v3l = (k.k1l ^ 0x79746573) >>> 0;
}

function sipRound(): void {
  let lo: number, h: number, l: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  lo = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
  h = v1h; l = v1l;
  v1h = (((h << 13) | (l >>> 19)) ^ v0h) >>> 0; v1l = (((l << 13) | (h >>> 19)) ^ v0l) >>> 0;
  h = v0h; v0h = v0l; v0l = h;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  lo = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
  h = v3h; l = v3l;
  v3h = (((h << 16) | (l >>> 16)) ^ v2h) >>> 0; v3l = (((l << 16) | (h >>> 16)) ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  lo = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo;
  h = v3h; l = v3l;
  v3h = (((h << 21) | (l >>> 11)) ^ v0h) >>> 0; v3l = (((l << 21) | (h >>> 11)) ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  lo = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo;
  h = v1h; l = v1l;
  v1h = (((h << 17) | (l >>> 15)) ^ v2h) >>> 0; v1l = (((l << 17) | (h >>> 15)) ^ v2l) >>> 0;
  h = v2h; v2h = v2l; v2l = h;
}

function absorb(mh: number, ml: number): void {
  v3h = (v3h ^ mh) >>> 0; v3l = (v3l ^ ml) >>> 0;
  sipRound();
  sipRound();
  v0h = (v0h ^ mh) >>> 0; v0l = (v0l ^ ml) >>> 0;
}

function finish(out: U64): U64 {
  v2l = (v2l ^ 0xff) >>> 0;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  out.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  out.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  return out;
}

/** SipHash-2-4 of arbitrary bytes; returns the 64-bit output as hi/lo halves. */
export function siphash24(key: SipKey, msg: Uint8Array, out: U64 = { hi: 0, lo: 0 }): U64 {
  init(key);
  const n = msg.length;
  const end = n - (n % 8);
  let i = 0;
  for (; i < end; i += 8) absorb(readLE32(msg, i + 4), readLE32(msg, i));
  // Final block: remaining bytes little-endian, message length mod 256 in the top byte.
  let lo = 0, hi = (n & 0xff) << 24;
  const rem = n - end;
  for (let j = 0; j < rem; j++) {
    const byte = msg[end + j]!;
    if (j < 4) lo |= byte << (8 * j);
    else hi |= byte << (8 * (j - 4));
  }
  absorb(hi >>> 0, lo >>> 0);
  return finish(out);
}

/** The 8 output bytes in the reference implementation's order (little-endian). */
export function siphash24Bytes(key: SipKey, msg: Uint8Array): Uint8Array {
  const r = siphash24(key, msg);
  const b = new Uint8Array(8);
  for (let j = 0; j < 4; j++) {
    b[j] = (r.lo >>> (8 * j)) & 0xff;
    b[4 + j] = (r.hi >>> (8 * j)) & 0xff;
  }
  return b;
}

/**
 * SipHash-2-4 of the 4-byte message LE32(a). Equal to siphash24(key, LE32(a)),
 * without building the byte array.
 */
export function sipU32(key: SipKey, a: number, out: U64): U64 {
  init(key);
  absorb(0x04000000, a >>> 0);
  return finish(out);
}

/**
 * SipHash-2-4 of the 12-byte message LE64(seed) ‖ LE32(token), the token PRF's input.
 */
export function sipSeedToken(key: SipKey, seedHi: number, seedLo: number, token: number, out: U64): U64 {
  init(key);
  absorb(seedHi >>> 0, seedLo >>> 0);
  absorb(0x0c000000, token >>> 0);
  return finish(out);
}

/**
 * SipHash-2-4 of LE32(t[from]) ‖ … ‖ LE32(t[from+count-1]): a context window of token ids.
 */
export function sipTokens(key: SipKey, tokens: ArrayLike<number>, from: number, count: number, out: U64): U64 {
  init(key);
  const n = count * 4;
  let i = 0;
  for (; i + 1 < count; i += 2) absorb(tokens[from + i + 1]! >>> 0, tokens[from + i]! >>> 0);
  if (i < count) absorb(((n & 0xff) << 24) >>> 0, tokens[from + i]! >>> 0);
  else absorb(((n & 0xff) << 24) >>> 0, 0);
  return finish(out);
}
