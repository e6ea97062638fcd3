/**
 * The scorer's per-thread state: the WASM kernel's memory layout, the kernel
 * instance and dedup set shared by every Scorer of the thread, and the tuple scratch.
 */
import type { TupleList } from '../scorer.js';
import { TupleSet } from '../tupleset.js';
import { instantiateSip, type SipExports } from './sipkernel.js';

/** Positions scored per kernel call. */
export const BLOCK = 16384;
/** Slack for the h ≤ 8 tokens of context copied in front of each block. */
const PAD = 16;

// Kernel memory layout (bytes). One block of positions at a time keeps it at ~1 MB.
export const KEY_CTX = 0;
export const KEY_SCHEME = 16;
export const KEY_POS = 32;
export const TOKS = 64;
export const HASH = TOKS + (BLOCK + PAD) * 4;
export const WIN = HASH + (BLOCK + PAD) * 8;
export const CSEED = WIN + (BLOCK + PAD) * 8;
export const CTOK = CSEED + BLOCK * 8;
export const ZERO = CTOK + BLOCK * 4; // stays all-zero: the payload-position PRF hashes token 0
export const OUT = ZERO + BLOCK * 4;
export const POS = OUT + BLOCK * 8;
const MEM_END = POS + BLOCK * 8;

/**
 * Per-thread scratch shared by every Scorer: the WASM kernel (instantiating one
 * costs ~0.5 ms, too much for one-key-per-text calibration) and the per-text
 * dedup set. Scoring is synchronous, so one text at a time uses them.
 */
interface Shared {
  k: SipExports;
  u32: Uint32Array;
  i32: Int32Array;
  cIdx: Int32Array;
  sc: Float64Array;
  set: TupleSet;
}
let sharedState: Shared | undefined;
/** A dedup set grown past this many slots by a huge text is dropped after use instead of kept. */
const KEEP_SET_SLOTS = 1 << 22;

export function shared(): Shared {
  if (!sharedState) {
    const k = instantiateSip();
    const have = k.memory.buffer.byteLength;
    if (MEM_END > have) k.memory.grow(Math.ceil((MEM_END - have) / 65536));
    sharedState = {
      k,
      u32: new Uint32Array(k.memory.buffer),
      i32: new Int32Array(k.memory.buffer),
      cIdx: new Int32Array(BLOCK),
      sc: new Float64Array(BLOCK),
      set: new TupleSet(1 << 12),
    };
  }
  return sharedState;
}

let scratch: TupleList | undefined;

/** Per-thread scratch for the tuples of one text (score() is synchronous). */
export function scratchTuples(n: number): TupleList {
  if (!scratch || scratch.hi.length < n) {
    const cap = Math.max(n, 1 << 12);
    scratch = { count: 0, hi: new Int32Array(cap), lo: new Int32Array(cap), token: new Int32Array(cap), score: new Float64Array(cap) };
  }
  return scratch;
}

export function releaseLargeSet(): void {
  if (scratch && scratch.hi.length > KEEP_SET_SLOTS) scratch = undefined;
  if (sharedState && sharedState.set.capacity > KEEP_SET_SLOTS) sharedState.set = new TupleSet(1 << 12);
}

export function writeKey(u32: Uint32Array, off: number, k: { k0h: number; k0l: number; k1h: number; k1l: number }): void {
  const o = off >> 2;
  u32[o] = k.k0l;
  u32[o + 1] = k.k0h;
  u32[o + 2] = k.k1l;
  u32[o + 3] = k.k1h;
}
