// The fixed hashing tables of HF transformers' and lm-watermarking's KGW seeding:
// randperm(1,000,003) under a seed, computed once per seed and cached (4 MB each).
import { torchRandperm } from './mt19937.js';

export const KGW_TABLE_SIZE = 1_000_003;
const cache = new Map<number, Int32Array>();

export function kgwTable(seed: number): Int32Array {
  const key = seed >>> 0;
  let t = cache.get(key);
  if (!t) {
    t = torchRandperm(KGW_TABLE_SIZE, key);
    cache.set(key, t);
  }
  return t;
}

/** Min over a in window of wrap64(key * (T[a]+1) * (T[c]+1)), signed (the anchored min-hash). */
export function minHashSeed(table: Int32Array, key: bigint, window: ArrayLike<number>, candidate: number): bigint {
  const tc = BigInt(table[candidate % KGW_TABLE_SIZE]! + 1);
  let best: bigint | null = null;
  for (let i = 0; i < window.length; i++) {
    const v = BigInt.asIntN(64, key * BigInt(table[window[i]! % KGW_TABLE_SIZE]! + 1) * tc);
    if (best === null || v < best) best = v;
  }
  return best!;
}

const MOD = (1n << 64n) - 1n;

/** HF's `seed % (2**64 - 1)` (floor mod, so negative seeds wrap). */
export function hfSeedMod(x: bigint): bigint {
  return ((x % MOD) + MOD) % MOD;
}
