/**
 * Finalize: the reduce outputs and the map jobs' per-document results → the ScanSummary
 * (and per-document output file) scanCorpus returns for the same corpus.
 *
 * Documents are taken in corpus order (shard by shard, each shard's docs.bin in order).
 * For each, its novel tuples — the first occurrences the reduce jobs kept, one sorted
 * stream per partition, gathered for this (shard, doc) and put in tuple order j — go to
 * the EvidencePool as the document's tuples with every one marked new. The pool then adds
 * the same scores in the same order as the in-memory scan, which skips the repeated
 * tuples of the same sequence: the pooled sum, every document's novel sum and Fisher's
 * accumulator are identical bit for bit; counts are exact integers anyway.
 */
import { closeSync, readSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { parseAnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { Detector, type DetectorOptions } from '../../detect.js';
import { DetectorError } from '../../errors.js';
import { EvidencePool } from '../../pool/index.js';
import type { ScanPosition } from '../checkpoint.js';
import { atomicOutput, type DocOutput } from '../doc-output.js';
import type { DocumentResult, ScanSummary } from '../scan.js';
import { summaryOf } from '../summary.js';
import { recordDocument } from '../record-document.js';
import { emptyTotals } from '../tally.js';
import { MapDoneSchema, readDone, ReduceDoneSchema, scanPaths, type MapDone, type ReduceDone } from './done.js';
import { FileKind, getF64, HEADER_BYTES, openChecked, RecordReader } from './format.js';
import type { MapDocEntry } from './map-job.js';
import { mapWords } from './map-job.js';
import { planHash, type ScanPlan } from './plan.js';
import { reducedWords } from './reduce-job.js';

export interface FinalizeOptions {
  /** Write per-document results as JSONL here (atomically, on success only). */
  output?: string;
  /** List the n most marked documents in the summary (default 0). */
  keepTop?: number;
  /** Called for each document, in order (awaited). */
  onDocument?: (d: DocumentResult) => void | Promise<void>;
  /** Reported as the summary's `workers`. */
  workers?: number;
}

const EMPTY_I32 = new Int32Array(0);

export async function finalizeScan(plan: ScanPlan, dir: string, key: WatermarkKey | EngineKey, opts: FinalizeOptions = {}): Promise<ScanSummary> {
  const hash = planHash(plan);
  const spec = parseAnySpec(plan.spec);
  const maps: MapDone[] = plan.shards.map((_, s) => {
    const d = readDone(scanPaths.mapDone(dir, s), MapDoneSchema, hash, scanPaths.mapDir(dir, s));
    if (!d) throw new DetectorError('BAD_OPTION', `finalize: the map job of shard ${s} is not done`);
    return d;
  });
  const P = 2 ** plan.partitionBits;
  const reduces: ReduceDone[] = Array.from({ length: P }, (_, k) => {
    const d = readDone(scanPaths.reduceDone(dir, k), ReduceDoneSchema, hash, scanPaths.reduceDir(dir));
    if (!d) throw new DetectorError('BAD_OPTION', `finalize: the reduce job of partition ${k} is not done`);
    return d;
  });
  const keepTop = opts.keepTop ?? 0;
  const detector = new Detector(spec, key, plan.options.detector as DetectorOptions);
  const pool = new EvidencePool(detector.model, { globalDedup: true, externalDedup: true, fisher: true });
  const W = reducedWords(mapWords(spec)), payload = W === 6;
  const streams = reduces.map((r, k) => new Cursor(new RecordReader(scanPaths.reduced(dir, k), { kind: FileKind.reduced, id: k, plan: hash, words: W, size: r.files[`p${k}.bin`] }, 4096)));
  const at: ScanPosition = { complete: true, docsDone: 0, outputBytes: 0, totals: emptyTotals(), top: [] };
  const t = at.totals;
  let output: DocOutput | undefined;
  const byJ = new ByJ();
  let score = new Float64Array(1024), pos = new Uint8Array(1024), colour = new Int8Array(1024), js = new Int32Array(1024), novelty = new Uint8Array(1024);
  try {
    if (opts.output !== undefined) output = atomicOutput(opts.output);
    let index = 0;
    for (let s = 0; s < plan.shards.length; s++) {
      const docs = new FramedReader(scanPaths.mapDocs(dir, s), s, hash, maps[s]!.files['docs.bin']!);
      try {
        for (let d = 0; d < maps[s]!.documents; d++, index++) {
          const entry = deserialize(docs.next()) as MapDocEntry;
          if (entry.result === undefined) {
            t.emptyDocuments++;
            continue;
          }
          // this document's first occurrences from every partition, then in tuple order
          let n = 0;
          for (const c of streams) {
            while (c.is(s, d)) {
              if (n === score.length) [score, pos, colour, js, novelty] = [grow(score), grow(pos), grow(colour), grow(js), new Uint8Array(2 * n)];
              const b = c.buf, o = c.at;
              js[n] = b[o + 2]!;
              score[n] = getF64(b, o + 3);
              if (payload) {
                pos[n] = b[o + 5]! >>> 8;
                colour[n] = b[o + 5]! << 24 >> 24;
              }
              n++;
              c.advance();
            }
          }
          byJ.sort(js, score, pos, colour, n);
          const novel = pool.add(
            { count: n, hi: EMPTY_I32, lo: EMPTY_I32, token: EMPTY_I32, score: score.subarray(0, n), ...(payload ? { pos: pos.subarray(0, n), colour: colour.subarray(0, n) } : {}) },
            { index, novelty: novelty.subarray(0, n) },
          ).test!;
          await recordDocument(at, { index, source: entry.source, line: entry.line, id: entry.id }, entry.result, novel, { keepTop, onDocument: opts.onDocument, output });
        }
        docs.end();
      } finally {
        docs.close();
      }
    }
    streams.forEach((c, k) => {
      if (!c.done) throw new DetectorError('IO_ERROR', `${scanPaths.reduced(dir, k)}: holds tuples of documents the map jobs did not write (a foreign or corrupt file)`);
    });
    t.skippedLines = maps.reduce((a, m) => a + m.skippedLines, 0);
    at.docsDone = index;
    await output?.commit();
    const distinct = reduces.reduce((a, r) => a + r.distinct, 0);
    // the set lives on disk: dedupBytes reports the reduce outputs' size
    const bytes = reduces.reduce((a, r, k) => a + r.files[`p${k}.bin`]! - HEADER_BYTES, 0);
    return summaryOf(spec, plan.inputs.length, opts.workers ?? 0, at, pool, { entries: distinct, bytes }, keepTop, undefined);
  } catch (e) {
    await output?.abort();
    throw e;
  } finally {
    for (const c of streams) c.close();
    detector.dispose();
  }
}

function grow<T extends Float64Array | Uint8Array | Int8Array | Int32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(2 * a.length);
  b.set(a);
  return b;
}

/**
 * Puts a document's gathered tuples in tuple order j (the partitions' streams interleave):
 * j values are distinct and below the document's tuple count, so a scatter by j and a
 * gather in order is linear in the document's size.
 */
class ByJ {
  #mark = new Int32Array(1024);
  #score = new Float64Array(1024);
  #pc = new Int32Array(1024);
  #stamp = 0;

  sort(js: Int32Array, score: Float64Array, pos: Uint8Array, colour: Int8Array, n: number): void {
    if (n < 2) return;
    let sorted = true, max = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0 && js[i - 1]! > js[i]!) sorted = false;
      if (js[i]! > max) max = js[i]!;
    }
    if (sorted) return;
    if (this.#mark.length <= max) {
      this.#mark = new Int32Array(2 * (max + 1));
      this.#score = new Float64Array(2 * (max + 1));
      this.#pc = new Int32Array(2 * (max + 1));
      this.#stamp = 0;
    }
    const stamp = ++this.#stamp;
    for (let i = 0; i < n; i++) {
      const j = js[i]!;
      this.#mark[j] = stamp;
      this.#score[j] = score[i]!;
      this.#pc[j] = (pos[i]! << 8) | (colour[i]! & 0xff);
    }
    let k = 0;
    for (let j = 0; j <= max; j++) {
      if (this.#mark[j] !== stamp) continue;
      js[k] = j;
      score[k] = this.#score[j]!;
      pos[k] = this.#pc[j]! >>> 8;
      colour[k] = (this.#pc[j]! << 24) >> 24;
      k++;
    }
  }
}

/** The current record of a reduce output, read block by block. */
class Cursor {
  readonly #rd: RecordReader;
  buf: Int32Array = EMPTY_I32;
  at = 0;
  #n = 0;
  #i = 0;
  done = false;

  constructor(rd: RecordReader) {
    this.#rd = rd;
    this.#load();
  }

  is(shard: number, doc: number): boolean {
    return !this.done && this.buf[this.at]! === shard && this.buf[this.at + 1]! === doc;
  }

  advance(): void {
    if (++this.#i === this.#n) this.#load();
    else this.at += this.#rd.words;
  }

  #load(): void {
    const b = this.#rd.next();
    this.buf = b.buf;
    this.#n = b.n;
    this.#i = 0;
    this.at = 0;
    this.done = b.n === 0;
  }

  close(): void {
    this.#rd.close();
  }
}

/** The length-framed entries of a map job's docs.bin, in order. */
class FramedReader {
  readonly #path: string;
  readonly #fd: number;
  readonly #end: number;
  #pos = HEADER_BYTES;
  #buf = Buffer.alloc(1 << 20);
  #have = 0;
  #off = 0;

  constructor(path: string, shard: number, plan: string, size: number) {
    const { fd, header } = openChecked(path, { kind: FileKind.mapDocs, id: shard, plan, size });
    this.#path = path;
    this.#fd = fd;
    this.#end = HEADER_BYTES + header.bytes;
  }

  next(): Buffer {
    const len = this.#take(4).readUInt32LE(0);
    return Buffer.from(this.#take(len));
  }

  #take(n: number): Buffer {
    if (this.#have - this.#off < n) {
      const rest = this.#buf.subarray(this.#off, this.#have);
      const buf = n > this.#buf.length ? Buffer.alloc(2 * n) : this.#buf;
      rest.copy(buf, 0);
      this.#buf = buf;
      this.#have = rest.length;
      this.#off = 0;
      while (this.#have < n) {
        const got = this.#pos < this.#end ? readSync(this.#fd, buf, this.#have, Math.min(buf.length - this.#have, this.#end - this.#pos), this.#pos) : 0;
        if (got === 0) throw new DetectorError('IO_ERROR', `${this.#path}: truncated (fewer documents than its done marker records)`);
        this.#have += got;
        this.#pos += got;
      }
    }
    const out = this.#buf.subarray(this.#off, this.#off + n);
    this.#off += n;
    return out;
  }

  /** All entries were read: nothing may be left. */
  end(): void {
    if (this.#off !== this.#have || this.#pos !== this.#end) throw new DetectorError('IO_ERROR', `${this.#path}: more documents than its done marker records`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
