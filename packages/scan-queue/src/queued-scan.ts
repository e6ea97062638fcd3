/**
 * `tracemark scan --queue`: the coordinator of a scan across machines. It plans the scan
 * (the detector's planScan: shards of the corpus, partitions of the tuples), writes the
 * plan to the shared directory, enqueues one map job per shard, waits for all of them,
 * enqueues one reduce job per partition, waits, and finalizes here — the same pooling in
 * document order as an in-memory scan, so the summary is the one `tracemark scan` prints.
 *
 * What a crash leaves: a killed worker's job goes back to the queue (worker.ts) and is
 * redone from scratch by another worker; a killed coordinator leaves its jobs queued and
 * the workers finish them — rerunning the same command with the same shared directory
 * finds the plan and the run record, enqueues nothing twice, and finalizes. A Redis that
 * restarts empty loses the queue, not the work: the coordinator adds the lost jobs again
 * (phases.ts). Jobs are removed from Redis once the scan has finalized.
 *
 * The corpus files, the key file and the shared directory must be readable at the same
 * absolute paths on every worker machine (a worker may be given its own --key instead).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { finalizeScan, planScan, type PlanOptions, type ScanPlan, type ScanSummary } from '@tracemark/detector';
import type { AnySpec, EngineKey, WatermarkKey } from '@tracemark/watermark';
import { queueUsage } from './errors.js';
import type { JobPayload, MapPayload, ReducePayload } from './payload.js';
import { PAYLOAD_VERSION } from './payload.js';
import { enqueuePhase, removeJobs, waitForPhase, type PhaseOptions } from './phases.js';
import { connectionOptions, parseRedisUrl } from './redis-url.js';
import { assertRedisReachable } from './reach.js';
import { checkSharedDir, prepareSharedDir } from './shared-dir.js';
import { DEFAULT_QUEUE_NAME } from './worker.js';

export interface QueuedScanOptions extends Omit<PlanOptions, 'shardBytes'> {
  /** redis://host:port[/db] */
  queue: string;
  queueName?: string;
  /** A directory every worker mounts at the same path. */
  sharedDir: string;
  /** The key file's path, as workers will read it (made absolute here); the key itself never goes to Redis. */
  keyPath: string;
  /** About this many shards (map jobs): the corpus bytes are cut into pieces of total / shards (files are never merged, .gz files never cut). */
  shards?: number;
  /** Memory budget of each reduce job (default: the detector's). */
  memoryBytes?: number;
  /** Attempts per job (default 3). */
  attempts?: number;
  pollMs?: number;
  /** Per-document results as JSONL (written here, by the coordinator). */
  output?: string;
  keepTop?: number;
  onProgress?: (phase: 'map' | 'reduce' | 'finalize', done: number, total: number) => void;
  /** What is going on (the run id, the job counts). */
  log?: (line: string) => void;
  /** What may need doing (no worker is connected yet). */
  warn?: (line: string) => void;
  /** Stop waiting (the jobs stay queued; rerun to continue). */
  signal?: AbortSignal;
}

export interface QueuedScanResult {
  summary: ScanSummary;
  plan: ScanPlan;
  /** The run id (prefix of the job ids). */
  run: string;
  /** True when the shared directory already held this scan (an interrupted run continued). */
  resumed: boolean;
}

function shardBytesFor(inputs: readonly string[], shards: number): number {
  let total = 0;
  for (const p of inputs) {
    try {
      total += statSync(p).size;
    } catch {
      throw queueUsage(`corpus file not found: ${p}`);
    }
  }
  return Math.max(1, Math.ceil(total / shards));
}

function describeShard(plan: ScanPlan, s: number): string {
  const shard = plan.shards[s]!;
  const path = plan.inputs[shard.file]!.path;
  return `map job of shard ${s} (${path}${shard.range ? ` from line ${shard.range.firstLine}` : ''})`;
}

export async function runQueuedScan(spec: AnySpec, key: WatermarkKey | EngineKey, inputs: readonly string[], o: QueuedScanOptions): Promise<QueuedScanResult> {
  const target = parseRedisUrl(o.queue);
  const dir = checkSharedDir(o.sharedDir);
  await assertRedisReachable(target);
  const log = o.log ?? (() => {});
  const warn = o.warn ?? log;
  const files = inputs.map((p) => resolve(p));
  const { queue: _q, queueName, sharedDir: _d, keyPath, shards, memoryBytes, attempts, pollMs, output, keepTop, onProgress, log: _l, warn: _w, signal, ...planOptions } = o;
  const plan = planScan(spec, files, { ...planOptions, ...(shards !== undefined ? { shardBytes: shardBytesFor(files, shards) } : {}) });
  const shared = prepareSharedDir(dir, plan);
  const common = { v: PAYLOAD_VERSION, run: shared.run, dir, plan: shared.planPath, planHash: shared.planHash, key: resolve(keyPath) } as const;
  const partitions = 2 ** plan.partitionBits;
  const queue = new Queue(queueName ?? DEFAULT_QUEUE_NAME, { connection: connectionOptions(target) });
  queue.on('error', () => {}); // reconnects by itself; a lasting outage shows as a wait that does not end
  const ids: string[] = [];
  const phase = (p: 'map' | 'reduce'): PhaseOptions => ({
    ...(attempts !== undefined ? { attempts } : {}),
    ...(pollMs !== undefined ? { pollMs } : {}),
    ...(signal !== undefined ? { signal } : {}),
    warn,
    onProgress: (done, total) => onProgress?.(p, done, total),
  });
  try {
    await warnWithoutWorkers(queue, o.queue, warn);
    log(`${shared.resumed ? 'continuing' : 'starting'} queue run ${shared.run}: ${plan.shards.length} map jobs, then ${partitions} reduce jobs`);
    const maps: JobPayload[] = plan.shards.map((_, shard) => ({ ...common, kind: 'map', shard }));
    const mapIds = await enqueuePhase(queue, maps, phase('map'));
    ids.push(...mapIds);
    await waitForPhase(queue, maps, (p) => describeShard(plan, (p as MapPayload).shard), phase('map'));
    const reduces: JobPayload[] = Array.from({ length: partitions }, (_, partition) => ({ ...common, kind: 'reduce', partition, ...(memoryBytes !== undefined ? { memoryBytes } : {}) }));
    const reduceIds = await enqueuePhase(queue, reduces, phase('reduce'));
    ids.push(...reduceIds);
    await waitForPhase(queue, reduces, (p) => `reduce job of partition ${(p as ReducePayload).partition}`, phase('reduce'));
    let n = 0;
    const summary = await finalizeScan(plan, dir, key, {
      ...(output !== undefined ? { output } : {}),
      ...(keepTop !== undefined ? { keepTop } : {}),
      onDocument: () => onProgress?.('finalize', ++n, 0),
    });
    await removeJobs(queue, ids);
    return { summary, plan, run: shared.run, resumed: shared.resumed };
  } catch (e) {
    // A failed scan takes its queued jobs back (an interrupted one leaves them for a rerun).
    if (!signal?.aborted) await removeJobs(queue, ids);
    throw e;
  } finally {
    await queue.close();
  }
}

async function warnWithoutWorkers(queue: Queue, url: string, log: (line: string) => void): Promise<void> {
  let n: number;
  try {
    n = await queue.getWorkersCount();
  } catch {
    return; // CLIENT LIST may be disabled (managed Redis): nothing to say
  }
  if (n === 0) log(`no worker is connected to the queue yet: start \`tracemark worker --queue ${parseRedisUrl(url).display}\` on each machine; the jobs wait for them`);
}
