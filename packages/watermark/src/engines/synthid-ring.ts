// SynthID's repetition mask keeps the last `size` context hashes (a ring that starts full of
// zeros) and masks a window whose hash is among them. This counts the ring's hashes in an
// open-addressing table of 64-bit keys, so a lookup costs a probe instead of building a
// string key per window.
import { fmix32 } from '../fmix32.js';

export class HashRing {
  readonly #ringHi: Int32Array;
  readonly #ringLo: Int32Array;
  #at = 0;
  #cap = 0;
  #keyHi = new Int32Array(0);
  #keyLo = new Int32Array(0);
  #count = new Int32Array(0);
  #used = new Uint8Array(0);
  /** Slots holding a key (with a count of 0 or more): the table is rebuilt from the ring when half full. */
  #slots = 0;

  constructor(readonly size: number) {
    this.#ringHi = new Int32Array(size);
    this.#ringLo = new Int32Array(size);
    this.#rebuild();
  }

  /** Is (hi, lo) among the last `size` hashes pushed (zeros before the first)? */
  has(hi: number, lo: number): boolean {
    const s = this.#find(hi | 0, lo | 0);
    return this.#used[s] === 1 && this.#count[s]! > 0;
  }

  /** Push (hi, lo), dropping the oldest hash. */
  push(hi: number, lo: number): void {
    const at = this.#at;
    this.#count[this.#find(this.#ringHi[at]!, this.#ringLo[at]!)]!--;
    this.#ringHi[at] = hi | 0;
    this.#ringLo[at] = lo | 0;
    this.#at = at + 1 === this.size ? 0 : at + 1;
    this.#add(hi | 0, lo | 0);
    if (this.#slots * 2 > this.#cap) this.#rebuild();
  }

  #find(hi: number, lo: number): number {
    const mask = this.#cap - 1;
    let s = fmix32(Math.imul(lo, 0x9e3779b1) ^ hi) & mask;
    while (this.#used[s] === 1 && (this.#keyHi[s] !== hi || this.#keyLo[s] !== lo)) s = (s + 1) & mask;
    return s;
  }

  #add(hi: number, lo: number): void {
    const s = this.#find(hi, lo);
    if (this.#used[s] === 0) {
      this.#used[s] = 1;
      this.#keyHi[s] = hi;
      this.#keyLo[s] = lo;
      this.#count[s] = 0;
      this.#slots++;
    }
    this.#count[s]!++;
  }

  #rebuild(): void {
    let cap = 16;
    while (cap < 4 * this.size) cap <<= 1;
    this.#cap = cap;
    this.#keyHi = new Int32Array(cap);
    this.#keyLo = new Int32Array(cap);
    this.#count = new Int32Array(cap);
    this.#used = new Uint8Array(cap);
    this.#slots = 0;
    for (let i = 0; i < this.size; i++) this.#add(this.#ringHi[i]!, this.#ringLo[i]!);
  }
}
