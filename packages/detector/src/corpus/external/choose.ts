/**
 * scanCorpus with a memory budget (`memoryBytes`, the CLI's --memory): in memory or out of
 * core? The rule, decided before reading anything, on a bound that cannot be wrong:
 *
 *   - a spill directory given (`spillDir`)            → out of core, in that directory;
 *   - a compressed input (.gz)                        → out of core (its size bounds nothing);
 *   - otherwise the scan stays in memory only if the inputs' total size in bytes is at
 *     most half the distinct tuples the in-memory dedup set can hold within the budget
 *     (less the runtime's own reserve). Every token of text or id list takes at least one
 *     byte, so the corpus has at most that many distinct tuples, and the half leaves
 *     room for uneven partitions: the in-memory scan cannot overflow and stays exact.
 *     Else out of core, in a temporary directory removed afterwards.
 *
 * The bound is conservative (real text has ~4 bytes per token and repeats itself), so
 * corpora that would just fit are scanned out of core: slower, never inexact.
 */
import { partitionBits } from '../partitions.js';

/**
 * Bytes the process needs besides the dedup set or the reduce buffers: Node, the main
 * thread's tokenizer (o200k: ≈ 100 MiB), block buffers. Measured (docs/SCALE.md): an
 * out-of-core scan with 1 MiB of buffers peaks at 248 MiB on 0 workers and 359 MiB on 2,
 * run from TypeScript sources under tsx (built JavaScript needs less).
 */
export const RUNTIME_RESERVE_BYTES = 256 * 1024 * 1024;
/** Each worker thread beyond that (map threads hold a tokenizer while the main thread does not; reduce threads start fresh). */
export const THREAD_RESERVE_BYTES = 64 * 1024 * 1024;
/** The engine's buffers never get less than this, whatever the budget (a budget below the reserve is refused). */
const MIN_BUFFERS = 4 * 1024 * 1024;

/** The smallest budget a scan on `workers` threads accepts. */
export function minimumBudget(workers: number): number {
  return RUNTIME_RESERVE_BYTES + workers * THREAD_RESERVE_BYTES + MIN_BUFFERS;
}

/** What is left for the dedup set (in memory) or the reduce jobs' buffers (out of core); undefined: the budget is below minimumBudget. */
export function buffersWithin(memoryBytes: number, workers: number): number | undefined {
  return memoryBytes >= minimumBudget(workers) ? memoryBytes - minimumBudget(workers) + MIN_BUFFERS : undefined;
}

/** Distinct tuples the partitioned in-memory set holds within `budget` bytes (partitions.ts, TupleSet.forBudget: power-of-two tables at most half full). */
export function dedupCapacity(budget: number): number {
  const parts = 2 ** partitionBits(budget);
  let cap = 1024;
  while (cap * 2 * 16 <= budget / parts) cap *= 2;
  return parts * Math.floor(cap / 2);
}

export interface ModeChoice {
  outOfCore: boolean;
  /** Bytes for the dedup set (in memory) or the reduce buffers (out of core). */
  buffers: number;
  why: string;
}

export function chooseScanMode(inputs: readonly { path: string; bytes: number }[], memoryBytes: number, workers: number, spillDir: string | undefined): ModeChoice | undefined {
  const buffers = buffersWithin(memoryBytes, workers);
  if (buffers === undefined) return undefined;
  if (spillDir !== undefined) return { outOfCore: true, buffers, why: 'a spill directory was given' };
  const gz = inputs.find((f) => /\.gz$/i.test(f.path));
  if (gz) return { outOfCore: true, buffers, why: `${gz.path} is compressed: its size does not bound its tuples` };
  const bytes = inputs.reduce((a, f) => a + f.bytes, 0);
  const fits = dedupCapacity(buffers) / 2;
  return bytes <= fits
    ? { outOfCore: false, buffers, why: `${bytes} input bytes ≤ half the ${dedupCapacity(buffers)} distinct tuples the set holds in memory` }
    : { outOfCore: true, buffers, why: `${bytes} input bytes could hold more distinct tuples than half the ${dedupCapacity(buffers)} the set holds in memory` };
}
