/**
 * Seeded uniform generator for reproducible generation and tests: xoshiro128**
 * (Blackman & Vigna), state filled by splitmix32 from the seed. Not for secrets:
 * keys come from the platform CSPRNG.
 */
import { fmix32 } from '../fmix32.js';
import type { Rng } from './types.js';

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  return fmix32(state.s);
}

/** A deterministic Rng in [0, 1) with 32 bits of resolution per draw. Seeds: any integer or string. */
export function seededRng(seed: number | string): Rng {
  let s0: number;
  if (typeof seed === 'string') {
    // FNV-1a over UTF-16 code units: stable across platforms.
    let h = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
    s0 = h >>> 0;
  } else {
    s0 = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
  }
  const st = { s: s0 };
  let a = splitmix32(st), b = splitmix32(st), c = splitmix32(st), d = splitmix32(st);
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r / 2 ** 32;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
