/**
 * Sampling randomness. Every step draws exactly four rng() values, in this order:
 *   two → a 53-bit uniform u (the "rest" decision, which must resolve probabilities ~1e-12),
 *   two → a 64-bit nonce from which each token gets its own exponential E_v = −ln U_v.
 * Dense and sparse paths consume the rng identically, so with the same seed they make
 * the same decisions; the per-token exponentials make the draw independent of how many
 * tokens are looked at (see embedder.ts, "coupling").
 *
 * The token hash is not a secret PRF (the watermark key is never involved): it only has
 * to make U_v look independent across tokens for a given nonce. With fmix32 the
 * MurmurHash3 finaliser and all arithmetic on uint32:
 *   b = fmix32(fmix32(v ⊕ nonceLo) ⊕ nonceHi),  c = fmix32(b + 0x9e3779b9),
 *   U_v = (b·2^21 + (c >> 11) + 0.5) / 2^53.
 * b is a bijection of v, so distinct tokens never tie.
 */
import { fmix32 } from '../fmix32.js';
import type { Rng } from './types.js';

/** A 53-bit uniform in [0, 1) from two rng() values (32 + 21 bits). */
export function uniform53(rng: Rng): number {
  const a = Math.floor(rng() * 4294967296);
  const b = Math.floor(rng() * 2097152);
  return (a * 2097152 + b) / 9007199254740992;
}

/** A uniform 32-bit integer from one rng() value. */
export function rngU32(rng: Rng): number {
  return Math.floor(rng() * 4294967296) >>> 0;
}

/** U_v in (0, 1) for token v under nonce (hi, lo): never 0, never 1. */
export function tokenUniform(nonceHi: number, nonceLo: number, v: number): number {
  const b = fmix32(fmix32((v ^ nonceLo) >>> 0) ^ nonceHi);
  const c = fmix32((b + 0x9e3779b9) | 0);
  return (b * 2097152 + (c >>> 11) + 0.5) / 9007199254740992;
}

/** E_v = −ln U_v ~ Exp(1): the token's arrival time in the exponential race. */
export function tokenExp(nonceHi: number, nonceLo: number, v: number): number {
  return -Math.log(tokenUniform(nonceHi, nonceLo, v));
}
