/**
 * The MurmurHash3 32-bit finaliser: a bijection of uint32 whose every output bit
 * depends on every input bit. It is not keyed and not a PRF: it spreads values that
 * are already distinct (hash-table slots, the sampler's per-token uniforms, the
 * seeded test generator), never anything an adversary must not predict.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
