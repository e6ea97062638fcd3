// The fixed hashing tables of HF transformers' and lm-watermarking's KGW seeding:
// randperm(1,000,003) under a seed, computed once per seed and cached (4 MB each).
import { torchRandperm } from './mt19937.js';
import { i64, i64FromBigInt, i64ToBigInt, lt64, mul64 } from './u64.js';

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
  const kc = mul64(i64FromBigInt(key), i64(0, table[candidate % KGW_TABLE_SIZE]! + 1));
  let best = mul64(kc, i64(0, table[window[0]! % KGW_TABLE_SIZE]! + 1));
  for (let i = 1; i < window.length; i++) {
    const v = mul64(kc, i64(0, table[window[i]! % KGW_TABLE_SIZE]! + 1));
    if (lt64(v, best)) best = v;
  }
  return i64ToBigInt(best);
}

const MOD = (1n << 64n) - 1n;

/** HF's `seed % (2**64 - 1)` (floor mod, so negative seeds wrap). */
export function hfSeedMod(x: bigint): bigint {
  return ((x % MOD) + MOD) % MOD;
}
