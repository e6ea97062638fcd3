/**
 * External sort of fixed-size records under a memory budget: records are collected in a
 * chunk; a full chunk is sorted by its first three words (the key) and written as a
 * sorted run; at the end the runs are merged k-way (in passes of at most `fanIn` runs,
 * each run read through a block of `blockRecords`). When everything fitted in one chunk
 * nothing is written: the sorted chunk is emitted from memory.
 *
 * With `firstOnly`, records with equal keys are kept once: the first pushed. Within a
 * chunk the sort is stable (ties: push order); across runs the earlier run wins (runs are
 * consecutive pieces of the input, and a pass merges consecutive runs), so the record
 * kept is always the earliest pushed — the reduce job's "first occurrence in document
 * order", because it pushes records in document order.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from './done.js';
import { FileKind, RecordReader, RecordWriter } from './format.js';

export type Emit = (buf: Int32Array, at: number) => void;

export interface SpillOptions {
  words: number;
  firstOnly: boolean;
  chunkRecords: number;
  /** Directory for the runs (created on the first spill, removed by close()). */
  tmpDir: string;
  plan: string;
  id: number;
  fanIn: number;
  blockRecords: number;
}

function compareKeys(a: Int32Array, ia: number, b: Int32Array, ib: number): number {
  return a[ia]! - b[ib]! || a[ia + 1]! - b[ib + 1]! || a[ia + 2]! - b[ib + 2]!;
}

export class RunSpiller {
  readonly o: SpillOptions;
  #chunk: Int32Array;
  #n = 0;
  #runs: string[] = [];
  /** Runs written (all passes). */
  spilled = 0;

  constructor(o: SpillOptions) {
    this.o = { ...o, chunkRecords: Math.max(2, o.chunkRecords), fanIn: Math.max(2, o.fanIn), blockRecords: Math.max(1, o.blockRecords) };
    this.#chunk = new Int32Array(this.o.chunkRecords * o.words);
  }

  push(src: Int32Array, at: number): void {
    if (this.#n === this.o.chunkRecords) this.#spill();
    const W = this.o.words, c = this.#chunk, o = this.#n++ * W;
    for (let w = 0; w < W; w++) c[o + w] = src[at + w]!;
  }

  /** Emit every record (firstOnly: every first of its key) in key order; then the spiller is spent. */
  drain(emit: Emit): void {
    if (this.#runs.length === 0) {
      this.#sortedChunk(emit);
      this.#n = 0;
      return;
    }
    if (this.#n > 0) this.#spill();
    this.#chunk = new Int32Array(0); // the budget now goes to the merge's blocks
    while (this.#runs.length > this.o.fanIn) {
      const next: string[] = [];
      for (let i = 0; i < this.#runs.length; i += this.o.fanIn) {
        const group = this.#runs.slice(i, i + this.o.fanIn);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        const w = this.#newRun();
        this.#merge(group, (b, at) => w.push(b, at));
        next.push(this.#commitRun(w));
        for (const g of group) rmSync(g, { force: true });
      }
      this.#runs = next;
    }
    this.#merge(this.#runs, emit);
  }

  /** Remove the runs (idempotent). */
  close(): void {
    if (this.spilled > 0) rmSync(this.o.tmpDir, { recursive: true, force: true });
    this.#runs = [];
  }

  #sortedChunk(emit: Emit): void {
    const W = this.o.words, c = this.#chunk, n = this.#n;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => compareKeys(c, a * W, c, b * W) || a - b);
    let last = -1;
    for (let i = 0; i < n; i++) {
      const at = idx[i]! * W;
      if (this.o.firstOnly && last >= 0 && compareKeys(c, at, c, last) === 0) continue;
      emit(c, at);
      last = at;
    }
  }

  #newRun(): RecordWriter {
    if (this.spilled === 0) ensureDir(this.o.tmpDir);
    return new RecordWriter(join(this.o.tmpDir, `r${this.spilled++}.bin`), this.o.words, 4096);
  }

  #commitRun(w: RecordWriter): string {
    w.commit(FileKind.run, this.o.id, this.o.plan, false);
    return w.file.path;
  }

  #spill(): void {
    const w = this.#newRun();
    this.#sortedChunk((b, at) => w.push(b, at));
    this.#runs.push(this.#commitRun(w));
    this.#n = 0;
  }

  /** k-way merge of sorted runs; equal keys: the earlier run first (firstOnly: only it). */
  #merge(paths: string[], emit: Emit): void {
    const W = this.o.words;
    const readers = paths.map((p) => new RecordReader(p, { kind: FileKind.run, id: this.o.id, plan: this.o.plan, words: W }, this.o.blockRecords));
    try {
      const bufs: Int32Array[] = [], ns: number[] = [], pos: number[] = [];
      const heap: number[] = [];
      const less = (r: number, s: number): boolean => {
        const d = compareKeys(bufs[r]!, pos[r]! * W, bufs[s]!, pos[s]! * W);
        return d < 0 || (d === 0 && r < s);
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
      const last = new Int32Array(3);
      let have = false;
      while (heap.length > 0) {
        const r = heap[0]!, at = pos[r]! * W, b = bufs[r]!;
        if (!(this.o.firstOnly && have && compareKeys(b, at, last, 0) === 0)) {
          emit(b, at);
          last[0] = b[at]!;
          last[1] = b[at + 1]!;
          last[2] = b[at + 2]!;
          have = true;
        }
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
}
