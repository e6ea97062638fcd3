/**
 * Context windows → 64-bit seeds, for the three hashing modes of the spec.
 *
 *   left: seed = SipHash(k_context, LE32(t[i-h]) ‖ … ‖ LE32(t[i-1]))
 *   min:  seed = min over the window of SipHash(k_context, LE32(t_j))   (order-free)
 *   self: seed = min(min-seed of the window, SipHash(k_context, LE32(candidate)))
 *
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

export class WindowHasher {
  constructor(
    private readonly key: SipKey,
    readonly width: number,
    readonly mode: ContextMode,
  ) {}

  /**
   * Seed of the window tokens[end-h .. end-1] (for self mode: the window's min part).
   * Returns false when fewer than h tokens precede `end`: such positions are neither
   * watermarked nor scored.
   */
  windowSeed(tokens: ArrayLike<number>, end: number, out: Seed): boolean {
    const h = this.width;
    if (end < h) return false;
    if (this.mode === 'left') {
      sipTokens(this.key, tokens, end - h, h, tmp);
      out.hi = tmp.hi;
      out.lo = tmp.lo;
      return true;
    }
    let bh = 0xffffffff, bl = 0xffffffff;
    for (let j = end - h; j < end; j++) {
      sipU32(this.key, tokens[j]!, tmp);
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
    sipU32(this.key, token, tmp);
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
