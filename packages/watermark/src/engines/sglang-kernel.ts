// SGLang's keyed Murmur3 hashes through the WebAssembly kernel: the key words are the
// same for every position, so the Murmur3 state after them is computed once here.
import type { SglangKernelKeys } from '../kernel/engine-kernel.js';
import { murmur3Mix } from './murmur3.js';
import type { U64Words } from './u64.js';

/** Kernel inputs for key A (and key B with the routing coin, for dual key). */
export function sglangKernelKeys(a: U64Words, b: U64Words | null): SglangKernelKeys {
  const preA = murmur3Mix(murmur3Mix(0, a.lo), a.hi);
  if (!b) return { preA, preB: 0, preCoin: 0, dual: false };
  const preB = murmur3Mix(murmur3Mix(0, b.lo), b.hi);
  return { preA, preB, preCoin: murmur3Mix(murmur3Mix(preA, b.lo), b.hi), dual: true };
}
