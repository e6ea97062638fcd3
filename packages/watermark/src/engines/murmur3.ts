// MurmurHash3 x86_32 over u32 words (seed 0), as SGLang's watermark hashes contexts:
// the standard body per word, then h ^= 4 * count and fmix32.
import { fmix32 } from '../fmix32.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

export function murmur3Words(words: ArrayLike<number>, seed = 0): number {
  let h = seed >>> 0;
  for (let i = 0; i < words.length; i++) {
    let k = Math.imul(words[i]! >>> 0, C1);
    k = Math.imul(rotl(k >>> 0, 15), C2);
    h = rotl((h ^ k) >>> 0, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  return fmix32((h ^ (4 * words.length)) >>> 0);
}

/** One Murmur3 x86_32 body step h' = mix(h, word), as i32 (the kernels precompute key prefixes with it). */
export function murmur3Mix(h: number, word: number): number {
  let k = Math.imul(word >>> 0, C1);
  k = Math.imul(rotl(k >>> 0, 15), C2);
  return (Math.imul(rotl((h ^ k) >>> 0, 13), 5) + 0xe6546b64) | 0;
}
