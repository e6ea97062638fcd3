/**
 * The token PRF: x = SipHash-2-4(k_scheme, LE64(seed) ‖ LE32(token)), a 64-bit value
 * read by each scheme in its own way (docs/SPEC.md §PRF):
 *   kgw/unigram: green iff hi32(x) < floor(γ·2^32)
 *   gumbel:      r = (floor(x / 2^11) + 0.5) / 2^53, in (0, 1)
 *   synthid:     g_l = bit l of x (l = 0 is the least significant), l < m
 */
import { sipSeedToken, type SipKey, type U64 } from './siphash.js';
import type { Seed } from './window.js';

export function tokenPrf(key: SipKey, seed: Seed, token: number, out: U64): U64 {
  return sipSeedToken(key, seed.hi, seed.lo, token, out);
}

/** Top 53 bits of x, centred in their cell: never 0, never 1. */
export function unit53(x: U64): number {
  return unit53Of(x.hi, x.lo);
}

/** unit53 of x given as its 32-bit halves (how batch kernels hand x back). */
export function unit53Of(hi: number, lo: number): number {
  return ((hi >>> 0) * 2 ** 21 + (lo >>> 11) + 0.5) / 2 ** 53;
}

/** KGW green-list threshold on hi32: green iff hi32 < T. γ_eff = T / 2^32 is what the test uses. */
export function gammaThreshold(gamma: number): number {
  return Math.floor(gamma * 2 ** 32);
}

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of g-values equal to 1 among layers 0..m-1 of x. */
export function gCount(x: U64, layers: number): number {
  return popcount32(x.lo & gMaskLo(layers)) + popcount32(x.hi & gMaskHi(layers));
}

/** SynthID: the bits of lo32(x) that hold layers 0..m-1 (layer l is bit l). */
export function gMaskLo(layers: number): number {
  return layers >= 32 ? 0xffffffff : 2 ** layers - 1;
}

/** SynthID: the bits of hi32(x) that hold layers 32..m-1 (0 when m ≤ 32). */
export function gMaskHi(layers: number): number {
  return layers >= 64 ? 0xffffffff : layers > 32 ? 2 ** (layers - 32) - 1 : 0;
}

/**
 * Payload: the colour that hi32(x) gives under KGW threshold T, floor(hi32 / T), when
 * it is one of the `colours` = 2^digitBits lists, else −1 (the token is in none).
 */
export function payloadColourOf(hi: number, threshold: number, colours: number): number {
  const c = Math.floor((hi >>> 0) / threshold);
  return c < colours ? c : -1;
}

/** g-value of layer l (0-based) of x. */
export function gBit(x: U64, l: number): number {
  return l < 32 ? (x.lo >>> l) & 1 : (x.hi >>> (l - 32)) & 1;
}
