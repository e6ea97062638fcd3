/**
 * A reduce job's core: the FIRST occurrence of each distinct tuple in a stream of records
 * that arrive in document order, within a memory budget.
 *
 * When the stream's distinct tuples fit an exact set (TupleSet: 16 bytes per slot, at most
 * half full) the stream passes once through the set and every tuple seen for the first
 * time is written out — in arrival order, which is document order: nothing is sorted.
 * (With more records than the set holds, that pass is tried first and abandoned when the
 * set overflows.) When they do not fit, the stream is split by
 * a hash of the tuple into up to 64 pieces on disk (each piece keeps document order and
 * holds every copy of its tuples), and each piece is deduplicated the same way — split
 * again, with another hash, if its distinct tuples still overflow the set. Pieces hold
 * disjoint tuples, so the first occurrences are the union of the pieces' first
 * occurrences, which a k-way merge by (shard, doc, j) puts back in document order.
 *
 * Records in: hi, lo, token, shard, doc, j, score (2 words)[, position/colour].
 * Records out: the same from word 3 on (shard, doc, j, …).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fmix32 } from '@tracemark/watermark';
import { DetectorError } from '../../errors.js';
import { ADD_FULL, ADDED, TupleSet } from '../../tupleset.js';
import { ensureDir } from './done.js';
import { FileKind, RecordReader, RecordWriter } from './format.js';

/** Blocks of records in document order. */
export type Blocks = () => Generator<{ buf: Int32Array; n: number }>;

export interface DedupContext {
  /** Words of an input record (output records have 3 fewer). */
  words: number;
  /** Bytes for the exact set (and the split's write buffers). */
  memory: number;
  tmpDir: string;
  plan: string;
  id: number;
}

const MAX_PIECES = 64;
/** Splitting again and again means one tuple fills a piece: cannot happen with distinct tuples ≤ records. */
const MAX_DEPTH = 8;

export class FirstOccurrences {
  readonly #c: DedupContext;
  readonly #slots: number;
  #files = 0;
  /** Pieces and split files written to disk. */
  spilled = 0;
  #hi = new Int32Array(4096);
  #lo = new Int32Array(4096);
  #tok = new Int32Array(4096);
  #res = new Uint8Array(4096);

  constructor(c: DedupContext) {
    this.#c = c;
    // the set takes at most half the budget: the rest is for read blocks and, when splitting, write buffers
    let slots = 1024;
    while (slots * 2 * 16 <= c.memory / 2) slots *= 2;
    this.#slots = slots;
  }

  /** Distinct tuples one set holds. */
  get capacity(): number {
    return this.#slots / 2;
  }

  /**
   * The first occurrences of `count` records (out records, document order) into `out`;
   * returns how many. Spills to tmpDir when the set may not hold them.
   */
  run(blocks: Blocks, count: number, out: RecordWriter, emitted?: (n: number) => void): number {
    if (count <= this.capacity) {
      if (!this.#inMemory(blocks, count, out, emitted)) throw new DetectorError('IO_ERROR', 'reduce: the set overflowed below its capacity');
      return out.count;
    }
    // More records than the set holds, but repeats may leave few distinct tuples: try one
    // pass first (an overflow shows early, when the set fills) before splitting on disk.
    const W = this.#c.words - 3;
    const whole = this.#newFile(W, 4096);
    let pieces: string[];
    if (this.#inMemory(blocks, count, whole)) {
      whole.commit(FileKind.run, this.#c.id, this.#c.plan, false);
      pieces = [whole.file.path];
    } else {
      whole.file.abort();
      pieces = this.#pieces(blocks, count, 0);
    }
    try {
      const readers = pieces.map((p) => new RecordReader(p, { kind: FileKind.run, id: this.#c.id, plan: this.#c.plan, words: W }, Math.max(16, Math.floor(this.#c.memory / 2 / (pieces.length * W * 4)))));
      mergeByFirstWords(readers, (b, at) => {
        out.push(b, at);
        emitted?.(out.count);
      });
    } finally {
      for (const p of pieces) rmSync(p, { force: true });
    }
    return out.count;
  }

  /** One pass through an exact set; false (nothing usable written) when it overflowed. */
  #inMemory(blocks: Blocks, count: number, out: RecordWriter, emitted?: (n: number) => void): boolean {
    let initial = 1024;
    while (initial < 2 * count && initial < this.#slots) initial *= 2;
    const set = new TupleSet(initial, this.capacity);
    const W = this.#c.words;
    for (const { buf, n } of blocks()) {
      if (this.#hi.length < n) [this.#hi, this.#lo, this.#tok, this.#res] = [new Int32Array(n), new Int32Array(n), new Int32Array(n), new Uint8Array(n)];
      const hi = this.#hi, lo = this.#lo, tok = this.#tok, res = this.#res;
      for (let i = 0; i < n; i++) {
        hi[i] = buf[i * W]!;
        lo[i] = buf[i * W + 1]!;
        tok[i] = buf[i * W + 2]!;
      }
      set.addBatch(hi, lo, tok, 0, n, res);
      for (let i = 0; i < n; i++) {
        const r = res[i]!;
        if (r === ADDED) {
          out.push(buf, i * W + 3);
          emitted?.(out.count);
        } else if (r === ADD_FULL) return false;
      }
    }
    return true;
  }

  /** Split by hash (salt = depth) and deduplicate each piece; the pieces' outputs, each in document order. */
  #pieces(blocks: Blocks, count: number, depth: number): string[] {
    if (depth >= MAX_DEPTH) throw new DetectorError('IO_ERROR', `reduce: the memory budget (${this.#c.memory} bytes) cannot hold the distinct tuples of one hash piece`);
    const W = this.#c.words;
    const S = Math.min(MAX_PIECES, Math.max(2, 2 * Math.ceil(count / this.capacity)));
    const buffer = Math.max(64, Math.floor(this.#c.memory / (2 * S * W * 4)));
    const parts = Array.from({ length: S }, () => this.#newFile(W, buffer));
    const salt = Math.imul(depth + 1, 0x27d4eb2f);
    try {
      for (const { buf, n } of blocks()) {
        for (let i = 0; i < n; i++) {
          const at = i * W;
          const h = fmix32(Math.imul(buf[at + 1]! ^ Math.imul(buf[at + 2]!, 0x9e3779b1), 0x85ebca6b) ^ buf[at]! ^ salt) >>> 0;
          parts[h % S]!.push(buf, at);
        }
      }
      for (const p of parts) p.commit(FileKind.run, this.#c.id, this.#c.plan, false);
    } catch (e) {
      for (const p of parts) p.file.abort();
      throw e;
    }
    const out: string[] = [];
    for (const p of parts) {
      const path = p.file.path, n = p.count;
      try {
        if (n === 0) continue;
        const sub = fileBlocks(path, W, this.#c);
        const w = this.#newFile(W - 3, 4096);
        if (this.#inMemory(sub, n, w)) {
          w.commit(FileKind.run, this.#c.id, this.#c.plan, false);
          out.push(w.file.path);
        } else {
          w.file.abort();
          out.push(...this.#pieces(sub, n, depth + 1));
        }
      } finally {
        rmSync(path, { force: true });
      }
    }
    return out;
  }

  #newFile(words: number, buffer: number): RecordWriter {
    if (this.#files === 0) ensureDir(this.#c.tmpDir);
    this.spilled++;
    return new RecordWriter(join(this.#c.tmpDir, `f${this.#files++}.bin`), words, buffer);
  }
}

function fileBlocks(path: string, words: number, c: DedupContext): Blocks {
  return function* () {
    const rd = new RecordReader(path, { kind: FileKind.run, id: c.id, plan: c.plan, words }, 4096);
    try {
      for (let b = rd.next(); b.n > 0; b = rd.next()) yield b;
    } finally {
      rd.close();
    }
  };
}

/** k-way merge of files sorted by their first three words (distinct across files); the readers are closed. */
export function mergeByFirstWords(readers: RecordReader[], emit: (buf: Int32Array, at: number) => void): void {
  try {
    const W = readers[0]?.words ?? 0;
    const bufs: Int32Array[] = [], ns: number[] = [], pos: number[] = [];
    const heap: number[] = [];
    const less = (r: number, s: number): boolean => {
      const a = bufs[r]!, b = bufs[s]!, i = pos[r]! * W, j = pos[s]! * W;
      return (a[i]! - b[j]! || a[i + 1]! - b[j + 1]! || a[i + 2]! - b[j + 2]! || r - s) < 0;
    };
    const down = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    readers.forEach((rd, r) => {
      const b = rd.next();
      bufs.push(b.buf);
      ns.push(b.n);
      pos.push(0);
      if (b.n > 0) heap.push(r);
    });
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    while (heap.length > 0) {
      const r = heap[0]!;
      emit(bufs[r]!, pos[r]! * W);
      if (++pos[r]! === ns[r]!) {
        const nb = readers[r]!.next();
        bufs[r] = nb.buf;
        ns[r] = nb.n;
        pos[r] = 0;
        if (nb.n === 0) {
          heap[0] = heap[heap.length - 1]!;
          heap.pop();
        }
      }
      if (heap.length > 0) down(0);
    }
  } finally {
    for (const rd of readers) rd.close();
  }
}
