/**
 * runScanLocally: the whole out-of-core scan on this machine — every map job, then every
 * reduce job, then finalize — on worker threads (`workers` > 0, each running one job at a
 * time) or in this thread. The same job functions run under a queue across machines; here
 * the scheduling is a simple shared list. Jobs whose done marker is valid are skipped, so
 * rerunning after a crash (kill -9 included) continues where the scan stopped.
 *
 * Memory: a reduce job's buffers get `memoryBytes` divided by the jobs running at once;
 * map jobs hold a tokenizer, one document and a write buffer per partition.
 */
import { exportEngineKeyFile, isEngineKey, type EngineKey, type EngineKeyFile, type WatermarkKey } from '@tracemark/watermark';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { DetectorError, type DetectorErrorCode } from '../../errors.js';
import { runningFromSources, startWorker } from '../../spawn.js';
import type { ScanSummary } from '../scan.js';
import { ensureDir, scanPaths, writeJsonAtomic } from './done.js';
import { finalizeScan, type FinalizeOptions } from './finalize.js';
import { runMapJob } from './map-job.js';
import { parsePlan, planHash, type ScanPlan } from './plan.js';
import { DEFAULT_REDUCE_MEMORY, runReduceJob } from './reduce-job.js';

/**
 * V8 heap bounds of a job thread: without them a thread's heap grows lazily with garbage
 * (measured: map threads gained ~40 MiB each over a 100 MB corpus). Typed-array buffers
 * and the tokenizer's WebAssembly memory are outside these limits; a document larger than
 * the old space fails the job with a clear error rather than blowing the budget.
 */
const JOB_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 };

export interface JobWorkerInit {
  plan: ScanPlan;
  dir: string;
  key: { kind: 'tracemark'; bytes: Uint8Array } | { kind: 'engine'; file: EngineKeyFile };
}
export type JobRequest = { type: 'map'; shard: number } | { type: 'reduce'; partition: number; memoryBytes: number };
export type JobReply = { ok: true } | { ok: false; code: DetectorErrorCode; message: string };

export interface LocalScanOptions extends FinalizeOptions {
  /** Worker threads running jobs (default 0: all in this thread). */
  workers?: number;
  /** Bytes for the reduce jobs' buffers, shared by the jobs running at once (default 64 MiB). */
  memoryBytes?: number;
  /** Called when each phase ends, with its wall time (benchmarks). */
  onPhase?: (phase: 'map' | 'reduce' | 'finalize', ms: number) => void;
}

/**
 * Write the plan to dir/plan.json, or check the one there: a directory holds one scan
 * (rerunning the same scan reuses its finished jobs; another plan is refused).
 */
export function savePlan(dir: string, plan: ScanPlan): void {
  ensureDir(dir);
  const path = scanPaths.plan(dir);
  let existing: string | undefined;
  try {
    existing = readFileSync(path, 'utf8');
  } catch {
    /* a new scan */
  }
  if (existing !== undefined) {
    let same = false;
    try {
      same = planHash(parsePlan(JSON.parse(existing), path).plan) === planHash(plan);
    } catch {
      /* reported below */
    }
    if (!same) throw new DetectorError('BAD_OPTION', `${dir} holds another scan (its plan.json differs): choose an empty directory`);
    return;
  }
  writeJsonAtomic(path, plan);
}

/** The plan in dir/plan.json (zod-checked). */
export function loadPlan(dir: string): ScanPlan {
  const path = scanPaths.plan(dir);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DetectorError('IO_ERROR', `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not valid JSON'}`);
  }
  return parsePlan(json, path).plan;
}

export async function runScanLocally(plan: ScanPlan, dir: string, key: WatermarkKey | EngineKey, opts: LocalScanOptions = {}): Promise<ScanSummary> {
  const workers = opts.workers ?? 0;
  const memory = opts.memoryBytes ?? DEFAULT_REDUCE_MEMORY;
  // the output is written at the very end: a missing directory must not wait for hours of jobs
  if (opts.output !== undefined && !isDirectory(dirname(opts.output))) throw new DetectorError('IO_ERROR', `${opts.output}: the directory ${dirname(opts.output)} does not exist`);
  savePlan(dir, plan);
  const maps: JobRequest[] = plan.shards.map((_, shard) => ({ type: 'map', shard }));
  const P = 2 ** plan.partitionBits;
  let t0 = performance.now();
  const phase = (name: 'map' | 'reduce' | 'finalize'): void => {
    const t = performance.now();
    opts.onPhase?.(name, t - t0);
    t0 = t;
  };
  if (workers === 0) {
    for (let s = 0; s < plan.shards.length; s++) await runMapJob(plan, s, dir, key);
    phase('map');
    for (let k = 0; k < P; k++) await runReduceJob(plan, k, dir, { memoryBytes: memory });
    phase('reduce');
  } else {
    const reduceMemory = Math.floor(memory / Math.min(workers, P));
    const reduces: JobRequest[] = Array.from({ length: P }, (_, partition) => ({ type: 'reduce', partition, memoryBytes: reduceMemory }));
    const init: JobWorkerInit = { plan, dir, key: isEngineKey(key) ? { kind: 'engine', file: exportEngineKeyFile(key) } : { kind: 'tracemark', bytes: key.secretBytes() } };
    const here = import.meta.url;
    const entry = new URL(runningFromSources(here) ? './job-worker.ts' : './job-worker.js', here);
    // fresh threads for the reduce jobs: a map thread keeps its tokenizer's WebAssembly memory, which never shrinks
    const onThreads = async (jobs: JobRequest[], n: number): Promise<void> => {
      const pool = Array.from({ length: n }, () => startWorker(entry, init, JOB_HEAP_LIMITS));
      try {
        await runAll(pool, jobs);
      } finally {
        await Promise.all(pool.map((w) => w.terminate()));
      }
    };
    await onThreads(maps, Math.min(workers, maps.length));
    phase('map');
    await onThreads(reduces, Math.min(workers, P));
    phase('reduce');
  }
  const { onPhase: _p, memoryBytes: _m, ...fin } = opts;
  const summary = await finalizeScan(plan, dir, key, { ...fin, workers });
  phase('finalize');
  return summary;
}

/** Run the jobs on the workers, each taking the next job when it finishes one; the first failure stops the rest. */
async function runAll(pool: Worker[], jobs: JobRequest[]): Promise<void> {
  let next = 0;
  let failed: DetectorError | undefined;
  const one = (w: Worker, job: JobRequest): Promise<JobReply> =>
    new Promise((resolve) => {
      const settle = (r: JobReply): void => {
        w.off('message', settle);
        w.off('error', onErr);
        w.off('exit', onExit);
        resolve(r);
      };
      // a thread over its heap limits ends with an error; one that is terminated, with an exit
      const onErr = (e: Error): void => settle({ ok: false, code: 'WORKER_FAILED', message: `a scan job thread failed: ${e.message}` });
      const onExit = (code: number): void => settle({ ok: false, code: 'WORKER_FAILED', message: `a scan job thread exited (code ${code})` });
      w.on('message', settle);
      w.on('error', onErr);
      w.on('exit', onExit);
      w.postMessage(job);
    });
  await Promise.all(
    pool.map(async (w) => {
      while (!failed && next < jobs.length) {
        const r = await one(w, jobs[next++]!);
        if (!r.ok) failed ??= new DetectorError(r.code, r.message);
      }
    }),
  );
  if (failed) throw failed;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
