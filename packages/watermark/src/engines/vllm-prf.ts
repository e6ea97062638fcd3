// vLLM's watermark PRFs (vllm/v1/watermarking/prfs): (key, context, token) -> u32 word.
// Contexts are the w generated tokens before a position, oldest first, -1 padded;
// every entry is reduced mod 2^32 inside the PRF.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { philox4x32 } from './philox.js';
import type { U64Words } from './u64.js';

const STATE_TAG = 0x574d4358; // "WMCX"
const TOKEN_TAG = 0x574d544b; // "WMTK"

export type VllmPrfName = 'philox' | 'philox_legacy' | 'hmac_sha256';

/** The absorbed context state (4 u32 words) of 1.3: one Philox call per block of 4 tokens. */
export function absorbContext(key: U64Words, context: ArrayLike<number>, out = new Uint32Array(4)): Uint32Array {
  out[0] = STATE_TAG;
  out[1] = context.length >>> 0;
  out[2] = 0;
  out[3] = 0;
  for (let o = 0; o < context.length; o += 4) {
    const b = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) b[j] = o + j < context.length ? context[o + j]! >>> 0 : (0xffffffff - j) >>> 0;
    philox4x32(out[0]! ^ b[0]!, out[1]! ^ b[1]!, out[2]! ^ b[2]!, out[3]! ^ b[3]!, (key.lo ^ o) >>> 0, key.hi, out);
  }
  return out;
}

const scratch = new Uint32Array(4);

/** Current ("word-select") layout: word t & 3 of Philox((t >> 2, s0, s1, s2), key ^ (s3, tag) ^ stream). */
export function philoxWord(key: U64Words, state: Uint32Array, token: number, stream: U64Words = { lo: 0, hi: 0 }): number {
  const t = token >>> 0;
  philox4x32(
    t >>> 2,
    state[0]!,
    state[1]!,
    state[2]!,
    (key.lo ^ state[3]! ^ stream.hi) >>> 0,
    (key.hi ^ TOKEN_TAG ^ stream.lo) >>> 0,
    scratch,
  );
  return scratch[t & 3]!;
}

/** philoxWord for the four tokens 4b..4b+3 in one Philox call: word of token t is out[t & 3] with b = t >> 2. */
export function philoxBlockWords(key: U64Words, state: Uint32Array, block: number, out: Uint32Array, stream: U64Words = { lo: 0, hi: 0 }): Uint32Array {
  philox4x32(block >>> 0, state[0]!, state[1]!, state[2]!, (key.lo ^ state[3]! ^ stream.hi) >>> 0, (key.hi ^ TOKEN_TAG ^ stream.lo) >>> 0, out);
  return out;
}

/** Early-PR layout (superseded, same version string): word 0 of Philox((t, s0, s1, s2), (lo ^ s3, hi ^ tag)). */
export function philoxLegacyWord(key: U64Words, state: Uint32Array, token: number): number {
  philox4x32(token >>> 0, state[0]!, state[1]!, state[2]!, (key.lo ^ state[3]!) >>> 0, (key.hi ^ TOKEN_TAG) >>> 0, scratch);
  return scratch[0]!;
}

const HMAC_TAG = new TextEncoder().encode('vllm-watermark-hmac-sha256-v1\0');

/** HMAC-SHA256 key: the integer key (0..2^256-1) as 32 bytes little-endian. */
export function hmacKeyBytes(key: bigint): Uint8Array {
  if (key < 0n || key >= 1n << 256n) throw new RangeError(`hmac_sha256 key must be in [0, 2^256) (got ${key})`);
  const out = new Uint8Array(32);
  let v = key;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Early-PR HMAC-SHA256 PRF: first 4 digest bytes, little-endian, of tag || len u32 || ctx i64... || token i64. */
export function hmacWord(keyBytes: Uint8Array, context: ArrayLike<number>, token: number): number {
  const msg = new Uint8Array(HMAC_TAG.length + 4 + 8 * (context.length + 1));
  msg.set(HMAC_TAG, 0);
  const dv = new DataView(msg.buffer);
  let off = HMAC_TAG.length;
  dv.setUint32(off, context.length, true);
  off += 4;
  const put = (x: number): void => {
    dv.setUint32(off, x >>> 0, true); // low word; the high word is the sign extension
    dv.setInt32(off + 4, x < 0 ? -1 : Math.floor(x / 4294967296), true);
    off += 8;
  };
  for (let i = 0; i < context.length; i++) put(context[i]!);
  put(token);
  const d = hmac(sha256, keyBytes, msg);
  return (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
}

/** vLLM's uniform: f32((top 24 bits + 1) / (2^24 + 1)), never 0 or 1. */
export function vllmUniform(word: number): number {
  return Math.fround(((word >>> 8) + 1) / 16777217);
}

// ---- Fast path: a whole text at once (same flags as vllmContexts; the words: vllm-words.ts) ----

/**
 * Which positions are scored: with `deduplicate`, the first occurrence of each exact
 * context tuple (w tokens before i, -1 padded) -- vllmContexts' rule, via an open-addressing
 * table of window start indexes compared element by element (no strings).
 */
export function vllmScoredFlags(padded: Float64Array, count: number, width: number, deduplicate: boolean): Uint8Array {
  const scored = new Uint8Array(count);
  if (!deduplicate) return scored.fill(1);
  let cap = 16;
  while (cap < 2 * count) cap <<= 1;
  const table = new Int32Array(cap).fill(-1);
  for (let i = 0; i < count; i++) {
    let h = 0x811c9dc5;
    for (let j = 0; j < width; j++) {
      const v = padded[i + j]!;
      h = Math.imul(h ^ (v | 0), 0x01000193);
      h = Math.imul(h ^ ((v / 4294967296) | 0), 0x01000193);
    }
    h ^= h >>> 15;
    let slot = h & (cap - 1);
    for (;;) {
      const s = table[slot]!;
      if (s < 0) {
        table[slot] = i;
        scored[i] = 1;
        break;
      }
      let same = true;
      for (let j = 0; j < width && same; j++) same = padded[s + j] === padded[i + j];
      if (same) break;
      slot = (slot + 1) & (cap - 1);
    }
  }
  return scored;
}

/** The text with `width` leading -1 pads: the context of position i is padded[i .. i + width). */
export function vllmPadded(tokens: ArrayLike<number>, width: number): Float64Array {
  const padded = new Float64Array(width + tokens.length).fill(-1, 0, width);
  for (let i = 0; i < tokens.length; i++) padded[width + i] = tokens[i]!;
  return padded;
}
