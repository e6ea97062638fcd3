/**
 * Reduce job: one partition → reduce/p<k>.bin, the partition's distinct tuples at their
 * FIRST occurrence in document order, as (shard, doc, j, score as two words[, payload
 * position/colour]) in (shard, doc, j) order.
 *
 * The map files are read shard by shard, each in document and tuple order, so the
 * records arrive in corpus order; FirstOccurrences (first-occurrences.ts) keeps each
 * tuple's earliest record within the memory budget — in one pass through an exact set
 * when it fits, through hash pieces spilled to disk otherwise — whatever the partition's
 * size.
 *
 * The output appears atomically and the done marker last; a rerun redoes the job (its
 * scratch files live in a directory of their own and are removed when it ends).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DetectorError } from '../../errors.js';
import { ensureDir, MapDoneSchema, readDone, ReduceDoneSchema, scanPaths, writeJsonAtomic, type ReduceDone } from './done.js';
import { FileKind, RecordReader, RecordWriter } from './format.js';
import { mapWords } from './map-job.js';
import { planHash, type ScanPlan } from './plan.js';
import { FirstOccurrences } from './first-occurrences.js';
import { parseAnySpec } from '@tracemark/watermark';

/** Default memory for one reduce job's buffers. */
export const DEFAULT_REDUCE_MEMORY = 64 * 1024 * 1024;

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
  const openMap = (s: number): RecordReader => new RecordReader(scanPaths.mapTuples(dir, s, partition), { kind: FileKind.mapTuples, id: partition, plan: hash, words: mw, size: mapDone[s]!.files[`p${partition}.bin`] }, 4096);
  let tuples = 0;
  for (let s = 0; s < plan.shards.length; s++) {
    const rd = openMap(s); // checks every header before any work
    tuples += rd.count;
    rd.close();
  }
  // the map files in shard order, each record given its shard: corpus order
  const blocks = function* (): Generator<{ buf: Int32Array; n: number }> {
    const rec = new Int32Array(4096 * runW);
    for (let s = 0; s < plan.shards.length; s++) {
      const rd = openMap(s);
      try {
        for (let b = rd.next(); b.n > 0; b = rd.next()) {
          const buf = b.buf;
          for (let i = 0; i < b.n; i++) {
            const at = i * mw, o = i * runW;
            rec[o] = buf[at]!;
            rec[o + 1] = buf[at + 1]!;
            rec[o + 2] = buf[at + 2]!;
            rec[o + 3] = s;
            for (let w = 3; w < mw; w++) rec[o + w + 1] = buf[at + w]!;
          }
          yield { buf: rec, n: b.n };
        }
      } finally {
        rd.close();
      }
    }
  };
  const first = new FirstOccurrences({ words: runW, memory, tmpDir, plan: hash, id: partition });
  const out = new RecordWriter(scanPaths.reduced(dir, partition), rw, 4096);
  try {
    const distinct = first.run(blocks, tuples, out, opts.afterRecord);
    const size = out.commit(FileKind.reduced, partition, hash);
    const done: ReduceDone = { type: 'tracemark-scan-job', version: 1, plan: hash, job: 'reduce', partition, tuples, distinct, runs: first.spilled, files: { [`p${partition}.bin`]: size } };
    writeJsonAtomic(scanPaths.reduceDone(dir, partition), done);
    return done;
  } catch (e) {
    out.file.abort();
    throw e;
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
