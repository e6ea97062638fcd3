/**
 * Reduce job: one partition → reduce/p<k>.bin, the partition's distinct tuples at their
 * FIRST occurrence in document order, as (shard, doc, j, score as two words[, payload
 * position/colour]) sorted by (shard, doc, j).
 *
 * The map files are read shard by shard, each in document and tuple order, so the
 * records arrive in corpus order. Pass 1 (sort.ts, firstOnly) sorts them by tuple under
 * the memory budget, spilling sorted runs, and keeps each tuple's earliest record; pass 2
 * sorts those back into (shard, doc, j) order, spilling too when they do not fit. Both
 * passes bound memory by `memoryBytes` whatever the partition's size.
 *
 * The output appears atomically and the done marker last; a rerun redoes the job (its
 * scratch runs live in a directory of their own and are removed when it ends).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DetectorError } from '../../errors.js';
import { ensureDir, MapDoneSchema, readDone, ReduceDoneSchema, scanPaths, writeJsonAtomic, type ReduceDone } from './done.js';
import { FileKind, RecordReader, RecordWriter } from './format.js';
import { mapWords } from './map-job.js';
import { planHash, type ScanPlan } from './plan.js';
import { RunSpiller } from './sort.js';
import { parseAnySpec } from '@tracemark/watermark';

/** Default memory for one reduce job's buffers. */
export const DEFAULT_REDUCE_MEMORY = 64 * 1024 * 1024;
/** Runs merged at once: more means fewer passes but smaller read blocks. */
const FAN_IN = 64;
/** Bytes per buffered record beyond its words: the sort's index (4) and V8's copy of it while sorting (8). */
const SORT_OVERHEAD = 12;

export interface ReduceJobOptions {
  /** Bytes for this job's buffers (default 64 MiB; at least 64 KiB is used). */
  memoryBytes?: number;
  force?: boolean;
  /** Test hook: called after each record written to the output (throwing simulates a crash mid-write). */
  afterRecord?: (n: number) => void;
}

/** Words of a reduced record: shard, doc, j, score (2), [payload position/colour]. */
export function reducedWords(mapW: number): number {
  return mapW - 2;
}

export async function runReduceJob(plan: ScanPlan, partition: number, dir: string, opts: ReduceJobOptions = {}): Promise<ReduceDone> {
  const hash = planHash(plan);
  const P = 2 ** plan.partitionBits;
  if (!(Number.isInteger(partition) && partition >= 0 && partition < P)) throw new DetectorError('BAD_OPTION', `partition ${partition} is outside the plan's ${P} partitions`);
  const outDir = scanPaths.reduceDir(dir);
  if (!opts.force) {
    const done = readDone(scanPaths.reduceDone(dir, partition), ReduceDoneSchema, hash, outDir);
    if (done) return done;
  }
  const mapDone = plan.shards.map((_, s) => {
    const d = readDone(scanPaths.mapDone(dir, s), MapDoneSchema, hash, scanPaths.mapDir(dir, s));
    if (!d) throw new DetectorError('BAD_OPTION', `reduce of partition ${partition}: the map job of shard ${s} is not done`);
    return d;
  });
  ensureDir(outDir);
  const memory = Math.max(64 * 1024, opts.memoryBytes ?? DEFAULT_REDUCE_MEMORY);
  const mw = mapWords(parseAnySpec(plan.spec)), rw = reducedWords(mw);
  const runW = mw + 1; // a map record with its shard: hi, lo, token, shard, doc, j, score, [pc]
  const tmpDir = join(outDir, `.tmp-p${partition}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const block = (words: number, share: number): number => Math.max(16, Math.floor(share / (FAN_IN * words * 4)));
  // pass 1 takes the whole budget while reading; its merge and pass 2's chunk then share it
  const pass1 = new RunSpiller({ words: runW, firstOnly: true, chunkRecords: Math.floor(memory / (runW * 4 + SORT_OVERHEAD)), tmpDir: join(tmpDir, '1'), plan: hash, id: partition, fanIn: FAN_IN, blockRecords: block(runW, memory / 2) });
  const pass2 = new RunSpiller({ words: rw, firstOnly: false, chunkRecords: Math.floor(memory / 2 / (rw * 4 + SORT_OVERHEAD)), tmpDir: join(tmpDir, '2'), plan: hash, id: partition, fanIn: FAN_IN, blockRecords: block(rw, memory / 2) });
  const out = new RecordWriter(scanPaths.reduced(dir, partition), rw, 4096);
  try {
    let tuples = 0;
    const rec = new Int32Array(runW);
    for (let s = 0; s < plan.shards.length; s++) {
      const rd = new RecordReader(scanPaths.mapTuples(dir, s, partition), { kind: FileKind.mapTuples, id: partition, plan: hash, words: mw, size: mapDone[s]!.files[`p${partition}.bin`] }, 4096);
      try {
        rec[3] = s;
        for (let b = rd.next(); b.n > 0; b = rd.next()) {
          const buf = b.buf;
          for (let i = 0; i < b.n; i++) {
            const at = i * mw;
            rec[0] = buf[at]!;
            rec[1] = buf[at + 1]!;
            rec[2] = buf[at + 2]!;
            for (let w = 3; w < mw; w++) rec[w + 1] = buf[at + w]!;
            pass1.push(rec, 0);
          }
          tuples += b.n;
        }
      } finally {
        rd.close();
      }
    }
    // first occurrences, re-keyed by their place in the corpus (shard, doc, j)
    let distinct = 0;
    pass1.drain((b, at) => {
      pass2.push(b, at + 3);
      distinct++;
    });
    pass1.close();
    let written = 0;
    pass2.drain((b, at) => {
      out.push(b, at);
      opts.afterRecord?.(++written);
    });
    pass2.close();
    const size = out.commit(FileKind.reduced, partition, hash);
    const done: ReduceDone = { type: 'tracemark-scan-job', version: 1, plan: hash, job: 'reduce', partition, tuples, distinct, runs: pass1.spilled + pass2.spilled, files: { [`p${partition}.bin`]: size } };
    writeJsonAtomic(scanPaths.reduceDone(dir, partition), done);
    return done;
  } catch (e) {
    out.file.abort();
    throw e;
  } finally {
    pass1.close();
    pass2.close();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
