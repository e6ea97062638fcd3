/**
 * A scan's two phases on the queue: all map jobs, then — only once every map job has
 * completed — all reduce jobs (a reduce job reads one partition's files from every
 * shard). The coordinator enqueues a phase, waits for it, then enqueues the next: the
 * barrier lives in one place, and a coordinator that is restarted simply enqueues and
 * waits again.
 *
 * Job ids are the run id, the phase and the index, so enqueueing a phase twice adds
 * nothing twice (BullMQ ignores an add whose id exists), a completed job counts as done
 * at once, and a job that had failed is retried. Redis holds no state that cannot be
 * rebuilt: the shared directory's done markers say which jobs are done.
 */
import type { Job, Queue } from 'bullmq';
import { queueFailure, queueUsage } from './errors.js';
import { jobIdOf, type JobPayload } from './payload.js';

/** The prefix a worker gives the reason of a job that failed on its input (the corpus, the key): exit 2, not 1. */
export const BAD_INPUT = 'bad input: ';

export interface PhaseOptions {
  /** Attempts per job before it fails (default 3). */
  attempts?: number;
  /** Delay between polls of the jobs' states (default 250 ms). */
  pollMs?: number;
  onProgress?: (done: number, total: number) => void;
  /** Something the user should know (a job that had vanished from the queue). */
  warn?: (line: string) => void;
  signal?: AbortSignal;
}

export const DEFAULT_ATTEMPTS = 3;

/** Add the jobs; those already there are kept as they are (BullMQ skips an add whose id exists). Their ids. */
async function addJobs(queue: Queue, payloads: readonly JobPayload[], attempts: number): Promise<string[]> {
  const jobs = payloads.map((p) => ({
    name: p.kind,
    data: p,
    opts: {
      jobId: jobIdOf(p),
      attempts,
      // a shared directory that hiccups gets a moment before the retry
      backoff: { type: 'exponential' as const, delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    },
  }));
  for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  return jobs.map((j) => j.opts.jobId);
}

/** Add the phase's jobs (existing ones are kept; failed ones are retried); their ids, in order. */
export async function enqueuePhase(queue: Queue, payloads: readonly JobPayload[], o: PhaseOptions = {}): Promise<string[]> {
  const ids = await addJobs(queue, payloads, o.attempts ?? DEFAULT_ATTEMPTS);
  for (const id of ids) {
    if ((await queue.getJobState(id)) === 'failed') await (await queue.getJob(id))?.retry('failed');
  }
  return ids;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Interrupted while waiting: the jobs stay queued (rerunning the same scan picks them up). */
export class WaitInterrupted extends Error {
  override name = 'WaitInterrupted';
}

/**
 * Wait until every job of the phase completed. Jobs are checked in order and each one only
 * until it is done, so the polling costs about one Redis call per job plus one per poll
 * interval. A failed job stops the wait with its reason. A job that is no longer in the
 * queue (Redis restarted without persistence, or someone cleared the queue) is not lost
 * work: the phase's jobs are added again — those still there are skipped, and a job whose
 * files are already done returns at once.
 */
export async function waitForPhase(queue: Queue, payloads: readonly JobPayload[], describe: (p: JobPayload) => string, o: PhaseOptions = {}): Promise<void> {
  const pollMs = o.pollMs ?? 250;
  const ours = new Map(payloads.map((p) => [jobIdOf(p), p]));
  const failedSince = newFailures(queue);
  await failedSince(); // the failures already there are other scans' (or a rerun's, retried by enqueuePhase)
  o.onProgress?.(0, payloads.length);
  for (let i = 0; i < payloads.length; ) {
    if (o.signal?.aborted) throw new WaitInterrupted('interrupted');
    const p = payloads[i]!;
    const id = jobIdOf(p);
    const state = await queue.getJobState(id);
    if (state === 'completed') {
      o.onProgress?.(++i, payloads.length);
      continue;
    }
    if (state === 'failed') throw failure(describe(p), (await queue.getJob(id))?.failedReason);
    if (state === 'unknown') {
      o.warn?.(`job ${id} is no longer in the queue (Redis restarted, or the queue was cleared): adding the phase's missing jobs again`);
      await addJobs(queue, payloads.slice(i), o.attempts ?? DEFAULT_ATTEMPTS);
      continue;
    }
    // a later job of ours that failed stops the scan now, not when the wait reaches it
    for (const job of await failedSince()) {
      const later = job.id !== undefined ? ours.get(job.id) : undefined;
      if (later) throw failure(describe(later), job.failedReason);
    }
    await sleep(pollMs, o.signal);
  }
}

function failure(what: string, reason: string | undefined): Error {
  const r = reason ?? 'unknown reason';
  return r.startsWith(BAD_INPUT) ? queueUsage(`${what}: ${r.slice(BAD_INPUT.length)}`) : queueFailure(`${what} failed: ${r}`);
}

/** Each call: the jobs that failed since the previous call (newest first; one counter read when none did). */
function newFailures(queue: Queue): () => Promise<Job[]> {
  let seen = -1;
  return async () => {
    const n = await queue.getFailedCount();
    const fresh = seen < 0 ? 0 : n - seen;
    seen = n;
    return fresh > 0 ? ((await queue.getJobs(['failed'], 0, fresh - 1, false)) as Job[]) : [];
  };
}

/** Remove the jobs that no worker holds (waiting, delayed, completed, failed); active ones are left to finish. */
export async function removeJobs(queue: Queue, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    try {
      await queue.remove(id);
    } catch {
      // locked by a worker: it completes on its own and is harmless
    }
  }
}
