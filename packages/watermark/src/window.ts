/**
 * Context windows → 64-bit seeds, for the three hashing modes of the spec.
 *
 *   left: seed = SipHash(k_context, LE32(t[i-h]) ‖ … ‖ LE32(t[i-1]))
 *   min:  seed = min over the window of SipHash(k_context, LE32(t_j))   (order-free)
 *   self: seed = min(min-seed of the window, SipHash(k_context, LE32(candidate)))
 *
 * For h = 1, left and min coincide (both are H(t[i-1])), so both use the memo.
 * "min" compares the 64-bit outputs as unsigned integers. In self mode the seed
 * depends on the candidate token, so generation computes the window part once
 * per step and folds each candidate in with `selfSeed`.
 */
import { sipTokens, sipU32, type SipKey, type U64 } from './siphash.js';
import type { ContextMode } from './spec.js';

export interface Seed {
  hi: number;
  lo: number;
}

const tmp: U64 = { hi: 0, lo: 0 };

/** Token ids below this get their H(t) memoised (o200k_base has 200,019 tokens). */
const CACHE_SIZE = 1 << 18;

export class WindowHasher {
  // H(t) memo: the per-token hash is all that min/self modes and h = 1 need, and
  // natural text repeats tokens constantly, so this removes one of the two SipHash
  // calls per position. Allocated on first use (2.3 MB).
  #hHi: Uint32Array | null = null;
  #hLo: Uint32Array | null = null;
  #hSet: Uint8Array | null = null;

  constructor(
    private readonly key: SipKey,
    readonly width: number,
    readonly mode: ContextMode,
  ) {}

  /** H(t) = SipHash-2-4(K_context, LE32(t)), memoised. */
  tokenHash(t: number, out: U64): U64 {
    if (t >= CACHE_SIZE || t < 0) return sipU32(this.key, t, out);
    if (this.#hSet === null) {
      this.#hHi = new Uint32Array(CACHE_SIZE);
      this.#hLo = new Uint32Array(CACHE_SIZE);
      this.#hSet = new Uint8Array(CACHE_SIZE);
    }
    if (this.#hSet[t] === 0) {
      sipU32(this.key, t, out);
      this.#hHi![t] = out.hi;
      this.#hLo![t] = out.lo;
      this.#hSet[t] = 1;
      return out;
    }
    out.hi = this.#hHi![t]!;
    out.lo = this.#hLo![t]!;
    return out;
  }

  /**
   * Seed of the window tokens[end-h .. end-1] (for self mode: the window's min part).
   * Returns false when fewer than h tokens precede `end`: such positions are neither
   * watermarked nor scored.
   */
  windowSeed(tokens: ArrayLike<number>, end: number, out: Seed): boolean {
    const h = this.width;
    if (end < h) return false;
    if (this.mode === 'left' && h > 1) {
      sipTokens(this.key, tokens, end - h, h, tmp);
      out.hi = tmp.hi;
      out.lo = tmp.lo;
      return true;
    }
    let bh = 0xffffffff, bl = 0xffffffff;
    for (let j = end - h; j < end; j++) {
      this.tokenHash(tokens[j]!, tmp);
      if (tmp.hi < bh || (tmp.hi === bh && tmp.lo < bl)) {
        bh = tmp.hi;
        bl = tmp.lo;
      }
    }
    out.hi = bh;
    out.lo = bl;
    return true;
  }

  /** Self mode: fold the candidate into the window's min-seed. Other modes: the window seed itself. */
  tokenSeed(window: Seed, token: number, out: Seed): Seed {
    if (this.mode !== 'self') {
      out.hi = window.hi;
      out.lo = window.lo;
      return out;
    }
    this.tokenHash(token, tmp);
    if (tmp.hi < window.hi || (tmp.hi === window.hi && tmp.lo < window.lo)) {
      out.hi = tmp.hi;
      out.lo = tmp.lo;
    } else {
      out.hi = window.hi;
      out.lo = window.lo;
    }
    return out;
  }
}
