/**
 * The scan's corpus-wide dedup set, split into partitions by a hash of the tuple
 * (partitionOf). Each tuple is owned by exactly one partition, so the partitions can
 * live in different threads: worker w owns the partitions p with p mod workers = w
 * (ownerOf), and with no workers the main thread owns them all.
 *
 * The number of partitions depends only on the memory budget — never on the worker
 * count — and each partition is a TupleSet with an equal share of the budget. So every
 * decision (new, repeat, or over budget) and the reported entries and bytes are the same
 * whichever thread holds which partition: a scan's results do not depend on `workers`.
 */
import { ADDED, TupleSet, partitionOf, type AddResult } from '../tupleset.js';

/** Partitions at most (16: up to 16 workers own equal shares; measured: 64 small tables cost ≈ 40 ns/token more than 16 in one thread). */
export const MAX_PARTITION_BITS = 4;
/** A partition's table never starts below 1024 slots (16 KiB) and doubles to 32 KiB: fewer partitions for tiny budgets. */
const MIN_PARTITION_BYTES = 32 * 1024;
/** All partitions together start at least at 2^21 slots (32 MiB, committed as touched), as the single set did. */
const MIN_INITIAL_SLOTS = 1 << 21;

/**
 * How big the partitions start: the budget bounds them; `expectedTuples` (an estimate of
 * the corpus's distinct tuples, e.g. from its size) sizes them so that they need not grow.
 * Growing is expensive: every entry is re-inserted (a cache miss each) into a table 4×
 * larger, which is then touched page by page — measured at about half the set's time
 * with two owner threads (docs/SCALE.md).
 */
export interface DedupSizing {
  budgetBytes: number;
  expectedTuples: number;
}

/** Initial slots of all partitions together: room for the expected tuples at most half full, with slack for uneven partitions. */
export function initialSlots(expectedTuples: number): number {
  let slots = MIN_INITIAL_SLOTS;
  while (slots < 2.5 * expectedTuples && slots < 2 ** 40) slots *= 2;
  return slots;
}

/** log2 of the partition count for a dedup budget. */
export function partitionBits(budgetBytes: number): number {
  let bits = MAX_PARTITION_BITS;
  while (bits > 0 && budgetBytes / 2 ** bits < MIN_PARTITION_BYTES) bits--;
  return bits;
}

/** The worker that owns partition p. */
export function ownerOf(partition: number, workers: number): number {
  return partition % workers;
}

export class PartitionedDedup {
  readonly bits: number;
  readonly #sets: (TupleSet | undefined)[];
  /** Scratch for grouping a batch by partition. */
  #order = new Int32Array(0);
  #hi = new Int32Array(0);
  #lo = new Int32Array(0);
  #tok = new Int32Array(0);
  #res = new Uint8Array(0);
  #where = new Int32Array(0);
  readonly #part: Int32Array;
  readonly #start: Int32Array;

  /** `owns(p)`: this instance holds partition p (default: all). */
  constructor(sizing: DedupSizing, owns: (p: number) => boolean = () => true) {
    this.bits = partitionBits(sizing.budgetBytes);
    const n = 2 ** this.bits;
    const share = sizing.budgetBytes / n, initial = initialSlots(sizing.expectedTuples) / n;
    this.#sets = Array.from({ length: n }, (_, p) => (owns(p) ? TupleSet.forBudget(share, initial) : undefined));
    this.#part = new Int32Array(n);
    this.#start = new Int32Array(n + 1);
  }

  get partitions(): number {
    return this.#sets.length;
  }
  /** Distinct tuples held (owned partitions). */
  get size(): number {
    return this.#sets.reduce((a, s) => a + (s ? s.size : 0), 0);
  }
  /** Bytes of the owned partitions' tables. */
  get bytes(): number {
    return this.#sets.reduce((a, s) => a + (s ? s.bytes : 0), 0);
  }

  partitionOf(hi: number, lo: number, token: number): number {
    return partitionOf(hi, lo, token, this.bits);
  }

  /**
   * Insert tuples [0, n) in order; out[i] = ADDED / PRESENT / ADD_FULL. Tuples are
   * grouped by partition first (a stable counting sort, so each partition sees its tuples
   * in their original order) and each group goes through TupleSet.addBatch, whose
   * prefetching overlaps the cache misses.
   */
  addBatch(hi: Int32Array, lo: Int32Array, token: Int32Array, n: number, out: Uint8Array): void {
    if (n === 0) return;
    if (this.#sets.length === 1) {
      this.#owned(0).addBatch(hi, lo, token, 0, n, out);
      return;
    }
    this.#grow(n);
    const part = this.#part.fill(0), start = this.#start, order = this.#order, bits = this.bits;
    for (let i = 0; i < n; i++) {
      const p = partitionOf(hi[i]!, lo[i]!, token[i]!, bits);
      order[i] = p; // the partition for now; replaced by the tuple's place below
      part[p]!++;
    }
    start[0] = 0;
    for (let p = 0; p < part.length; p++) start[p + 1] = start[p]! + part[p]!;
    part.set(start.subarray(0, part.length));
    const gh = this.#hi, gl = this.#lo, gt = this.#tok;
    const where = this.#where;
    for (let i = 0; i < n; i++) {
      const k = part[order[i]!]!++;
      gh[k] = hi[i]!;
      gl[k] = lo[i]!;
      gt[k] = token[i]!;
      where[k] = i;
    }
    const res = this.#res;
    for (let p = 0; p < this.#sets.length; p++) {
      const a = start[p]!, b = start[p + 1]!;
      if (b > a) this.#owned(p).addBatch(gh, gl, gt, a, b, res.subarray(a, b));
    }
    for (let k = 0; k < n; k++) out[where[k]!] = res[k]!;
  }

  /** The owned partitions' tuples as (hi, lo, token) triples, partition by partition. */
  entries(): Int32Array {
    const parts = this.#sets.map((s) => (s ? s.entries() : new Int32Array(0)));
    const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /**
   * Insert the owned ones of `triples` (a checkpoint's set, in any order) into empty
   * partitions. False when a triple repeats (a corrupt checkpoint).
   */
  restore(triples: Int32Array): boolean {
    const n = triples.length / 3;
    const hi = new Int32Array(n), lo = new Int32Array(n), token = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const h = triples[3 * i]!, l = triples[3 * i + 1]!, t = triples[3 * i + 2]!;
      if (!this.#sets[partitionOf(h, l, t, this.bits)]) continue;
      hi[m] = h;
      lo[m] = l;
      token[m] = t;
      m++;
    }
    const res = new Uint8Array(m);
    this.addBatch(hi, lo, token, m, res);
    return res.every((r) => r === ADDED);
  }

  #owned(p: number): TupleSet {
    const s = this.#sets[p];
    if (!s) throw new Error(`partition ${p} is not owned here`);
    return s;
  }

  #grow(n: number): void {
    if (this.#order.length >= n) return;
    const cap = Math.max(n, 2 * this.#order.length);
    this.#order = new Int32Array(cap);
    this.#hi = new Int32Array(cap);
    this.#lo = new Int32Array(cap);
    this.#tok = new Int32Array(cap);
    this.#res = new Uint8Array(cap);
    this.#where = new Int32Array(cap);
  }
}

export type { AddResult };
