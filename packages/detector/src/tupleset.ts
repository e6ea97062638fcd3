/**
 * An exact set of (seed hi, seed lo, token) triples — the PRF inputs — on typed
 * arrays with open addressing and linear probing.
 *
 * Why not a JS Set of strings: building a string key per token costs more than
 * the whole PRF call. Here a lookup is a multiply-mix and one or two cache lines.
 *
 * `clear()` is O(1): every slot carries the generation in which it was written,
 * and a slot from an older generation counts as empty. So one set serves every
 * text a scorer sees without re-zeroing memory between texts.
 */
import { fmix32 } from '@tracemark/watermark';

const MIN_CAPACITY = 1 << 10;
/** Grow when more than this fraction of slots is used (linear probing stays short). */
const MAX_LOAD = 0.5;

export class TupleSet {
  #cap: number;
  #mask: number;
  /** 4 words per slot — hi, lo, token, generation — so a probe touches one cache line. A slot is live iff its generation is #curGen. */
  #slots: Int32Array;
  #curGen = 1;
  #size = 0;
  readonly #maxEntries: number;

  /**
   * @param maxEntries hard bound on distinct entries; `add` returns ADD_FULL for a
   *   new triple once the set holds this many. Memory is 16 bytes per slot and the
   *   slot count is a power of two kept ≥ 2 × entries; `forBudget` sizes a set
   *   so that it never grows past a byte budget.
   */
  constructor(initialCapacity = MIN_CAPACITY, maxEntries = Number.MAX_SAFE_INTEGER) {
    let cap = MIN_CAPACITY;
    while (cap < initialCapacity) cap *= 2;
    this.#cap = cap;
    this.#mask = cap - 1;
    this.#slots = new Int32Array(cap * 4);
    this.#maxEntries = maxEntries;
  }

  /** A set that never holds more than `bytes` of slots: the largest power-of-two table that fits, half full at most. */
  static forBudget(bytes: number, initialCapacity = MIN_CAPACITY): TupleSet {
    let cap = MIN_CAPACITY;
    while (cap * 2 * 16 <= bytes) cap *= 2;
    return new TupleSet(Math.min(initialCapacity, cap), Math.floor(cap * MAX_LOAD));
  }

  get size(): number {
    return this.#size;
  }
  get capacity(): number {
    return this.#cap;
  }
  /** Bytes held by the backing arrays. */
  get bytes(): number {
    return this.#cap * 16;
  }

  clear(): void {
    this.#size = 0;
    this.#curGen++;
    if (this.#curGen === 0x7fffffff) {
      this.#slots.fill(0);
      this.#curGen = 1;
    }
  }

  /** Ensure room for `n` more entries without rehashing in the middle of a hot loop. */
  reserve(n: number): void {
    const need = Math.min(this.#size + n, this.#maxEntries);
    if (need > this.#cap * MAX_LOAD) this.#resize(need);
  }

  /**
   * Insert; returns ADDED for a new triple, PRESENT for a repeat, ADD_FULL when the
   * triple is new but the set is at its entry bound (nothing is inserted).
   */
  add(hi: number, lo: number, token: number): AddResult {
    return this.#insertFrom(hash3(hi, lo, token) & this.#mask, hi, lo, token);
  }

  /**
   * add() for tuples [from, to) of parallel arrays, results into out[i − from].
   * For large tables each insert is a cache miss; touching the home slots of a
   * group of 16 first lets the CPU fetch them in parallel (~1.5× faster than
   * one add() after another). Same results as calling add() in order.
   */
  addBatch(hi: Int32Array, lo: Int32Array, token: Int32Array, from: number, to: number, out: Uint8Array): void {
    const G = 16;
    const home = this.#home;
    for (let b = from; b < to; b += G) {
      const e = Math.min(to, b + G);
      const a = this.#slots, mask = this.#mask;
      let touch = 0;
      for (let i = b; i < e; i++) {
        const h = hash3(hi[i]!, lo[i]!, token[i]!) & mask;
        home[i - b] = h;
        touch ^= a[(h << 2) + 3]!;
      }
      this.#sink = touch;
      for (let i = b; i < e; i++) {
        // a resize inside the group changes the mask: recompute the slot then
        const start = this.#slots === a ? home[i - b]! : hash3(hi[i]!, lo[i]!, token[i]!) & this.#mask;
        out[i - from] = this.#insertFrom(start, hi[i]!, lo[i]!, token[i]!);
      }
    }
  }

  #home = new Int32Array(16);
  #sink = 0;

  /** Linear probing from `start` (the tuple's home slot under the current mask). */
  #insertFrom(start: number, hi: number, lo: number, token: number): AddResult {
    const a = this.#slots, g = this.#curGen, mask = this.#mask;
    let slot = start;
    hi |= 0;
    lo |= 0;
    token |= 0;
    for (;;) {
      const k = slot << 2;
      if (a[k + 3] !== g) break;
      if (a[k + 2] === token && a[k + 1] === lo && a[k] === hi) return PRESENT;
      slot = (slot + 1) & mask;
    }
    if (this.#size >= this.#maxEntries) return ADD_FULL;
    const k = slot << 2;
    a[k] = hi;
    a[k + 1] = lo;
    a[k + 2] = token;
    a[k + 3] = g;
    this.#size++;
    if (this.#size > this.#cap * MAX_LOAD) this.#resize(this.#size * 2);
    return ADDED;
  }

  /** The live triples as (hi, lo, token, hi, lo, token, …) in slot order: what rebuilds an equal set. */
  entries(): Int32Array {
    const a = this.#slots, g = this.#curGen;
    const out = new Int32Array(this.#size * 3);
    let n = 0;
    for (let s = 0; s < this.#cap; s++) {
      const k = s << 2;
      if (a[k + 3] !== g) continue;
      out[n++] = a[k]!;
      out[n++] = a[k + 1]!;
      out[n++] = a[k + 2]!;
    }
    return out;
  }

  has(hi: number, lo: number, token: number): boolean {
    const a = this.#slots, g = this.#curGen, mask = this.#mask;
    let slot = hash3(hi, lo, token) & mask;
    hi |= 0;
    lo |= 0;
    token |= 0;
    for (;;) {
      const k = slot << 2;
      if (a[k + 3] !== g) return false;
      if (a[k + 2] === token && a[k + 1] === lo && a[k] === hi) return true;
      slot = (slot + 1) & mask;
    }
  }

  #resize(minEntries: number): void {
    let cap = this.#cap;
    while (minEntries > cap * MAX_LOAD) cap *= 2;
    if (cap === this.#cap) return;
    const old = this.#slots, oldCap = this.#cap, g = this.#curGen;
    const a = new Int32Array(cap * 4), mask = cap - 1;
    this.#cap = cap;
    this.#mask = mask;
    this.#slots = a;
    for (let s = 0; s < oldCap; s++) {
      const k = s << 2;
      if (old[k + 3] !== g) continue;
      const hi = old[k]!, lo = old[k + 1]!, t = old[k + 2]!;
      let slot = hash3(hi, lo, t) & mask;
      while (a[(slot << 2) + 3] === g) slot = (slot + 1) & mask;
      const nk = slot << 2;
      a[nk] = hi;
      a[nk + 1] = lo;
      a[nk + 2] = t;
      a[nk + 3] = g;
    }
  }
}

export const ADDED = 0;
export const PRESENT = 1;
export const ADD_FULL = 2;
export type AddResult = typeof ADDED | typeof PRESENT | typeof ADD_FULL;

/**
 * Mix of the triple (murmur3 finalizer). Seeds are already uniform SipHash
 * outputs, but unigram seeds are constant, so the token must be mixed in too.
 */
function hash3(hi: number, lo: number, token: number): number {
  return fmix32(Math.imul(lo ^ Math.imul(token, 0x9e3779b1), 0x85ebca6b) ^ hi);
}

/**
 * The partition (0 … 2^bits − 1) that owns a triple in a partitioned dedup set. The
 * slot hash is mixed once more so that a partition's triples still spread over all
 * slots of its own table (the table indexes by the low bits of hash3).
 */
export function partitionOf(hi: number, lo: number, token: number, bits: number): number {
  return bits === 0 ? 0 : fmix32(hash3(hi, lo, token) ^ 0x6a09e667) >>> (32 - bits);
}
