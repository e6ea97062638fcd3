/**
 * Map job: one shard of the corpus → its documents scored, written as
 *   map/s<shard>/p<k>.bin   per partition k, the shard's scored tuples that partition owns,
 *                           in document and tuple order: (hi, lo, token, doc, j, score as
 *                           two words[, payload position << 8 | colour]) — `doc` is the
 *                           document's index in the shard, `j` the tuple's index in the
 *                           document's scored tuples;
 *   map/s<shard>/docs.bin   per document, in order: its source, line, id and per-document
 *                           result (or "empty"), v8-serialised and length-framed;
 *   map/s<shard>/done.json  the marker, written last.
 * Documents are scored exactly as scanCorpus scores them (the same Detector options and
 * scoreInline), so the per-document results and tuple scores are the in-memory scan's.
 * Rerunning the job overwrites every file (atomic renames): nothing is counted twice.
 */
import { serialize } from 'node:v8';
import { parseAnySpec, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { Detector, hasPayload, type DetectionResult, type DetectorOptions } from '../../detect.js';
import { DetectorError } from '../../errors.js';
import { partitionOf } from '../../tupleset.js';
import type { ScanDoc } from '../docscore.js';
import { readDocuments, type RawDocument, type ReaderOptions, type ReaderStats } from '../readers.js';
import { scoreInline } from '../scored-documents.js';
import { ensureDir, MapDoneSchema, readDone, scanPaths, writeJsonAtomic, type MapDone } from './done.js';
import { AtomicFile, FileKind, putF64, RecordWriter } from './format.js';
import { planHash, shardInput, type ScanPlan } from './plan.js';

/** Words of a map record: hi, lo, token, doc, j, score (2 words), and for payload specs position/colour. */
export function mapWords(spec: AnySpec): number {
  return hasPayload(spec) ? 8 : 7;
}

/** One document's entry in docs.bin. */
export interface MapDocEntry {
  source: string;
  line: number;
  id?: string;
  /** undefined: an empty document (counted, not scored). */
  result?: DetectionResult;
}

export interface MapJobOptions {
  /** Redo the job even when its done marker is valid (default false: a done job is skipped). */
  force?: boolean;
  /** Records buffered per partition file before a write (default 4096). */
  bufferRecords?: number;
  /** Test hook: called after each document's tuples were buffered (throwing simulates a crash mid-write). */
  afterDocument?: (doc: number) => void;
}

export async function runMapJob(plan: ScanPlan, shard: number, dir: string, key: WatermarkKey | EngineKey, opts: MapJobOptions = {}): Promise<MapDone> {
  const hash = planHash(plan);
  const input = shardInput(plan, shard);
  const shardDir = scanPaths.mapDir(dir, shard);
  if (!opts.force) {
    const done = readDone(scanPaths.mapDone(dir, shard), MapDoneSchema, hash, shardDir);
    if (done) return done;
  }
  ensureDir(shardDir);
  const spec = parseAnySpec(plan.spec);
  const o = plan.options;
  const detector = new Detector(spec, key, o.detector as DetectorOptions);
  const P = 2 ** plan.partitionBits, W = mapWords(spec), payload = W === 8;
  const writers: RecordWriter[] = [];
  const docsFile = new AtomicFile(scanPaths.mapDocs(dir, shard));
  try {
    for (let k = 0; k < P; k++) writers.push(new RecordWriter(scanPaths.mapTuples(dir, shard, k), W, opts.bufferRecords ?? 4096));
    const exclude = o.exclude.length > 0 ? detector.exclusion(o.exclude) : undefined;
    const score = scoreInline(detector, o.dedup, exclude, o.exclude);
    const stats: ReaderStats = { skippedLines: 0 };
    const framed = new FramedWriter(docsFile);
    let doc = 0, empty = 0, tuples = 0;
    for await (const raw of readDocuments(input.path, o.reader as ReaderOptions, stats, input.range)) {
      const out = score(doc, scanDoc(raw));
      const entry: MapDocEntry = { source: raw.source, line: raw.line, ...(raw.id !== undefined ? { id: raw.id } : {}) };
      if (out.kind === 'error') throw new DetectorError(out.code, `${raw.source}:${raw.line}: ${out.message}`);
      if (out.kind === 'empty') empty++;
      else {
        const d = out.doc;
        entry.result = d.result;
        const bits = plan.partitionBits;
        for (let j = 0; j < d.count; j++) {
          const h = d.hi[j]!, l = d.lo[j]!, t = d.token[j]!;
          const w = writers[partitionOf(h, l, t, bits)]!;
          const at = w.slot(), b = w.buf;
          b[at] = h;
          b[at + 1] = l;
          b[at + 2] = t;
          b[at + 3] = doc;
          b[at + 4] = j;
          putF64(b, at + 5, d.score[j]!);
          if (payload) b[at + 7] = (d.pos![j]! << 8) | (d.colour![j]! & 0xff);
        }
        tuples += d.count;
      }
      framed.write(serialize(entry));
      opts.afterDocument?.(doc);
      doc++;
    }
    const files: Record<string, number> = {};
    writers.forEach((w, k) => (files[`p${k}.bin`] = w.commit(FileKind.mapTuples, k, hash)));
    files['docs.bin'] = framed.commit(FileKind.mapDocs, shard, hash, doc);
    const done: MapDone = { type: 'tracemark-scan-job', version: 1, plan: hash, job: 'map', shard, documents: doc, emptyDocuments: empty, skippedLines: stats.skippedLines, tuples, files };
    writeJsonAtomic(scanPaths.mapDone(dir, shard), done);
    return done;
  } catch (e) {
    for (const w of writers) w.file.abort();
    docsFile.abort();
    throw e;
  } finally {
    detector.dispose();
  }
}

function scanDoc(raw: RawDocument): ScanDoc {
  if (!raw.ids) return raw.text;
  return raw.promptIds ? { ids: raw.ids, promptIds: raw.promptIds } : { ids: raw.ids };
}

/** Length-framed byte strings (u32 little-endian length, bytes), written in blocks. */
export class FramedWriter {
  readonly #file: AtomicFile;
  #parts: Uint8Array[] = [];
  #size = 0;

  constructor(file: AtomicFile) {
    this.#file = file;
  }

  write(bytes: Uint8Array): void {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length, 0);
    this.#parts.push(len, bytes);
    this.#size += 4 + bytes.length;
    if (this.#size >= 1 << 20) this.#flush();
  }

  #flush(): void {
    if (this.#size === 0) return;
    this.#file.append(Buffer.concat(this.#parts, this.#size));
    this.#parts = [];
    this.#size = 0;
  }

  commit(kind: FileKind, id: number, plan: string, count: number): number {
    this.#flush();
    return this.#file.commit({ kind, words: 0, id, count, plan });
  }
}
