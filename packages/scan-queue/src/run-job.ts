/**
 * One queue job, run in a job thread: read the plan from the shared directory, check it
 * is the plan the job was enqueued for, and call the detector's job function — a map
 * job (a shard → per-partition tuple files) or a reduce job (a partition → its first
 * occurrences). Both are idempotent: their outputs appear atomically behind a done
 * marker, a job whose marker is valid returns at once, and a job killed half-way is
 * redone from scratch, overwriting. So a job BullMQ hands to a second worker (the first
 * died, or lost its lock) can never be counted twice.
 *
 * The key is read here, from the path in the payload or the worker's own --key; only
 * its path ever went through Redis.
 */
import { readFileSync } from 'node:fs';
import { DetectorError, loadAnyKey, parsePlan, planHash, runMapJob, runReduceJob } from '@tracemark/detector';
import type { JobPayload } from './payload.js';

export interface JobOverrides {
  /** This worker's key file, instead of the path in the payload. */
  key?: string;
  /** This worker's memory budget for reduce jobs, instead of the scan's. */
  memoryBytes?: number;
}

export interface JobResult {
  kind: JobPayload['kind'];
  index: number;
  /** Tuples the job read (map: written to partition files; reduce: read from them). */
  tuples: number;
  /** Reduce: distinct tuples kept; map: documents read. */
  count: number;
  /** Reduce: files spilled to disk (0: the partition fitted in the memory budget). */
  runs: number;
}

function readPlan(path: string, expectedHash: string): ReturnType<typeof parsePlan> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DetectorError('IO_ERROR', `${path}: ${code === 'ENOENT' ? 'missing (is the shared directory mounted at the same path on this machine?)' : code ?? 'not valid JSON'}`);
  }
  const parsed = parsePlan(json, path);
  // A plan.json replaced under queued jobs (another scan in the same directory) is refused, not mixed in.
  if (planHash(parsed.plan) !== expectedHash) throw new DetectorError('BAD_OPTION', `${path}: not the plan this job was enqueued for (the shared directory now holds another scan)`);
  return parsed;
}

export async function runJob(p: JobPayload, o: JobOverrides): Promise<JobResult> {
  const { plan, spec } = readPlan(p.plan, p.planHash);
  if (p.kind === 'map') {
    const key = loadAnyKey(o.key ?? p.key, spec);
    const done = await runMapJob(plan, p.shard, p.dir, key);
    return { kind: 'map', index: p.shard, tuples: done.tuples, count: done.documents, runs: 0 };
  }
  const memoryBytes = o.memoryBytes ?? p.memoryBytes;
  const done = await runReduceJob(plan, p.partition, p.dir, memoryBytes !== undefined ? { memoryBytes } : {});
  return { kind: 'reduce', index: p.partition, tuples: done.tuples, count: done.distinct, runs: done.runs };
}
