/**
 * A worker's share of the scan's dedup set: the partitions it owns, fed with buckets of
 * tuples from every scoring worker (itself included) and answering, per tuple, whether it
 * is new in the corpus.
 *
 * "New" means: not in any earlier document. So the owner applies buckets strictly in
 * document order — batches are consecutive document ranges, and a bucket that arrives
 * before its predecessors waits — which makes every decision the one a single thread
 * would make.
 *
 * The main thread pools documents in order but may stop (limit, abort) or checkpoint at a
 * document D while owners are already further on. Owners therefore keep the buckets the
 * main thread has not pooled yet, with their decisions, and a snapshot at D leaves out
 * the tuples that documents ≥ D inserted: the checkpoint holds exactly the set of
 * documents < D, as a single-threaded scan's would.
 */
import { ADDED, TupleSet } from '../tupleset.js';
import type { PartitionedDedup } from './partitions.js';

/**
 * The tuples of documents [start, end) bound for one owner; document start + i has the
 * tuples [offsets[i], offsets[i + 1]).
 */
export interface Bucket {
  start: number;
  end: number;
  offsets: Int32Array;
  hi: Int32Array;
  lo: Int32Array;
  token: Int32Array;
}

/** The owner's set as of a document: what a checkpoint and the summary need. */
export interface OwnerState {
  entries: number;
  bytes: number;
  tuples?: Int32Array;
}

export class PartitionOwner {
  readonly #dedup: PartitionedDedup;
  readonly #emit: (start: number, flags: Uint8Array) => void;
  #next: number;
  readonly #waiting = new Map<number, Bucket>();
  /** Applied buckets the main thread may not have pooled yet, with their decisions. */
  #log: { b: Bucket; flags: Uint8Array }[] = [];

  /** `emit` receives each bucket's decisions (ADDED / PRESENT / ADD_FULL per tuple), in document order. */
  constructor(dedup: PartitionedDedup, firstIndex: number, emit: (start: number, flags: Uint8Array) => void) {
    this.#dedup = dedup;
    this.#next = firstIndex;
    this.#emit = emit;
  }

  receive(b: Bucket): void {
    this.#waiting.set(b.start, b);
    for (let x = this.#waiting.get(this.#next); x; x = this.#waiting.get(this.#next)) {
      this.#waiting.delete(x.start);
      this.#next = x.end;
      const flags = new Uint8Array(x.hi.length);
      this.#dedup.addBatch(x.hi, x.lo, x.token, x.hi.length, flags);
      this.#log.push({ b: x, flags: flags.slice() });
      this.#emit(x.start, flags);
    }
  }

  /** The main thread has pooled documents < upTo: their buckets need not be kept. */
  pooled(upTo: number): void {
    if (this.#log.length > 0 && this.#log[0]!.b.end <= upTo) this.#log = this.#log.filter((e) => e.b.end > upTo);
  }

  /** The set as it was after document upTo − 1 (with its tuples when asked). */
  state(upTo: number, withTuples: boolean): OwnerState {
    this.pooled(upTo);
    const later = new TupleSet();
    for (const { b, flags } of this.#log) {
      for (let i = Math.max(0, upTo - b.start); i < b.end - b.start; i++) {
        for (let j = b.offsets[i]!; j < b.offsets[i + 1]!; j++) if (flags[j] === ADDED) later.add(b.hi[j]!, b.lo[j]!, b.token[j]!);
      }
    }
    const d = this.#dedup;
    const out: OwnerState = { entries: d.size - later.size, bytes: d.bytes };
    if (withTuples) {
      const all = d.entries();
      if (later.size === 0) out.tuples = all;
      else {
        const kept = new Int32Array(all.length - 3 * later.size);
        let n = 0;
        for (let k = 0; k < all.length; k += 3) {
          if (later.has(all[k]!, all[k + 1]!, all[k + 2]!)) continue;
          kept[n++] = all[k]!;
          kept[n++] = all[k + 1]!;
          kept[n++] = all[k + 2]!;
        }
        out.tuples = kept;
      }
    }
    return out;
  }
}
