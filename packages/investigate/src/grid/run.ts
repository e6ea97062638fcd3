/**
 * The whole radioactivity grid: its jobs split over worker threads (greedy by rough
 * cost), their results merged in a fixed order. Everything is seeded, so the results do
 * not depend on the number of workers or on scheduling — only the timings do.
 */
import { startWorker } from '@tracemark/detector';
import { FULL_SIZES, gridJobs, jobCost, type GridSizes } from './definition.js';
import { runJobs } from './jobs.js';
import { GridSimulation, type GridLog } from './simulation.js';
import type { JobResults, RadioactivityResults } from './types.js';
import type { GridWorkerData, GridWorkerMessage } from './worker.js';

export interface RadioactivityGridOptions {
  /** Default FULL_SIZES (docs/RADIOACTIVITY.md); QUICK_SIZES for a smoke run. */
  sizes?: GridSizes;
  /** Worker threads (default 2); 0 runs every job in this thread. */
  workers?: number;
  /** Progress lines (default: none). */
  onLog?: GridLog;
  /** Also log per-stage timings. */
  profile?: boolean;
}

/** Splits job indices over `workers` buckets, the costliest first into the cheapest bucket. */
export function assignJobs(sizes: GridSizes, workers: number): number[][] {
  const buckets: { jobs: number[]; cost: number }[] = Array.from({ length: workers }, () => ({ jobs: [], cost: 0 }));
  gridJobs(sizes)
    .map((j, i) => ({ i, c: jobCost(j) }))
    .sort((a, b) => b.c - a.c)
    .forEach(({ i, c }) => {
      const b = buckets.reduce((x, y) => (y.cost < x.cost ? y : x));
      b.jobs.push(i);
      b.cost += c;
    });
  return buckets.map((b) => b.jobs);
}

export async function runRadioactivityGrid(options: RadioactivityGridOptions = {}): Promise<RadioactivityResults> {
  const t0 = performance.now();
  const sizes = options.sizes ?? FULL_SIZES;
  const workers = options.workers ?? 2;
  const log = options.onLog ?? (() => {});
  const profile = options.profile ?? false;
  const all = gridJobs(sizes);
  let parts: JobResults[];
  if (workers <= 0) {
    const sim = new GridSimulation(sizes, { log, profile });
    // the same JSON round trip as a worker's results, so both paths give equal values
    parts = [JSON.parse(JSON.stringify(runJobs(sim, all.map((_, i) => i)))) as JobResults];
  } else {
    parts = await Promise.all(assignJobs(sizes, workers).map((jobs, w) => inWorker({ sizes, jobs, profile }, w, log)));
  }
  return {
    sizes,
    grid: parts.flatMap((p) => p.grid).sort((a, b) => sizes.schemes.indexOf(a.scheme as never) - sizes.schemes.indexOf(b.scheme as never) || a.h - b.h),
    attribution: parts.find((p) => p.attribution)?.attribution ?? null,
    innocent: parts.flatMap((p) => p.innocent),
    seconds: (performance.now() - t0) / 1000,
    workers: Math.max(0, workers),
  };
}

function inWorker(data: GridWorkerData, index: number, log: GridLog): Promise<JobResults> {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  return new Promise<JobResults>((resolve, reject) => {
    const w = startWorker(entry, data);
    let results: JobResults | undefined;
    w.on('message', (m: GridWorkerMessage) => {
      if ('log' in m) log(m.log);
      else resolve((results = JSON.parse(m.results) as JobResults));
    });
    w.on('error', (e) => reject(new Error(`radioactivity worker ${index} failed: ${e.message}`)));
    w.on('exit', (code) => {
      if (!results) reject(new Error(`radioactivity worker ${index} exited with ${code} before its results`));
    });
  });
}
