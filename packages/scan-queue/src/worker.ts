/**
 * A queue worker (`tracemark worker`): takes the scan's map and reduce jobs from the
 * BullMQ queue and runs each on a job thread until stopped.
 *
 * Crashes: while a job runs, this process holds its lock in Redis and renews it every
 * lockMs / 2 (the event loop stays free because jobs run on threads). A worker killed
 * with SIGKILL stops renewing; after at most lockMs the lock is gone, and the next
 * stalled check of any live worker (every stalledMs) moves the job back to the wait
 * list, where another worker takes it — so recovery takes at most lockMs + stalledMs. A
 * job that stalls more than maxStalled times fails (a job that kills every worker that
 * runs it must not go round forever). All workers of a queue should use the same
 * settings.
 *
 * Stopping: stop('finish') takes no new job and lets the running ones finish;
 * stop('release') abandons them at once (their threads are terminated) and moves them
 * back to the wait list for another worker, without counting an attempt.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { JobAbandoned, JobError, JobThreads } from './job-threads.js';
import { parsePayload } from './payload.js';
import { BAD_INPUT } from './phases.js';
import { connectionOptions, parseRedisUrl } from './redis-url.js';
import { assertRedisReachable } from './reach.js';
import type { JobOverrides, JobResult } from './run-job.js';

export const DEFAULT_QUEUE_NAME = 'tracemark-scan';
export const DEFAULT_LOCK_MS = 30_000;
export const DEFAULT_STALLED_MS = 15_000;
export const DEFAULT_MAX_STALLED = 2;

export interface ScanWorkerOptions extends JobOverrides {
  /** redis://host:port[/db] (the password, if any, is never printed). */
  queue: string;
  queueName?: string;
  /** Jobs run at once, each on its own thread (default 1). */
  concurrency?: number;
  /** How long a job's lock lives without renewal (default 30 s). */
  lockMs?: number;
  /** How often this worker looks for stalled jobs (default 15 s). */
  stalledMs?: number;
  /** Stalls after which a job fails (default 2). */
  maxStalled?: number;
  /** Shown in logs and stored on the jobs it runs (default host:pid). */
  name?: string;
  /** One line per job event (start, done, released, error). */
  log?: (line: string) => void;
}

export interface RunningWorker {
  readonly name: string;
  /** Stop taking jobs; 'finish' lets the running ones end, 'release' hands them back at once. */
  stop(mode: 'finish' | 'release'): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly closed: Promise<void>;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function describe(r: JobResult): string {
  return r.kind === 'map' ? `${r.count} documents, ${r.tuples} tuples` : `${r.tuples} tuples, ${r.count} distinct, ${r.runs} files spilled`;
}

export async function startScanWorker(o: ScanWorkerOptions): Promise<RunningWorker> {
  const target = parseRedisUrl(o.queue);
  await assertRedisReachable(target);
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const log = o.log ?? (() => {});
  const overrides: JobOverrides = {
    ...(o.key !== undefined ? { key: o.key } : {}),
    ...(o.memoryBytes !== undefined ? { memoryBytes: o.memoryBytes } : {}),
  };
  const threads = new JobThreads();
  const processor = async (job: Job, token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const parsed = parsePayload(job.data);
    if (!parsed.ok) {
      log(`rejected ${job.id}: ${parsed.error}`);
      throw new UnrecoverableError(parsed.error);
    }
    const t0 = performance.now();
    log(`start ${job.id} (attempt ${job.attemptsStarted}, stalled ${job.stalledCounter})`);
    try {
      const r = await threads.run(parsed.payload, overrides, signal);
      log(`done ${job.id} in ${seconds(performance.now() - t0)}: ${describe(r)}`);
      return r;
    } catch (e) {
      if (e instanceof JobAbandoned) {
        await job.moveToWait(token);
        log(`released ${job.id}`);
        throw new WaitingError();
      }
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof JobError && !e.retryable) {
        log(`failed ${job.id}: ${message}`);
        throw new UnrecoverableError(`${BAD_INPUT}${message}`);
      }
      log(`error ${job.id}: ${message} (retried while attempts remain)`);
      throw e;
    }
  };
  const worker = new Worker(o.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    connection: connectionOptions(target),
    name,
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockMs ?? DEFAULT_LOCK_MS,
    stalledInterval: o.stalledMs ?? DEFAULT_STALLED_MS,
    maxStalledCount: o.maxStalled ?? DEFAULT_MAX_STALLED,
  });
  // Connection errors while running: BullMQ reconnects by itself; say so once per message.
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) log(`redis: ${(lastError = e.message)}`);
  });
  await worker.waitUntilReady();
  let stopping: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const stop = (mode: 'finish' | 'release'): Promise<void> => {
    if (mode === 'release') worker.cancelAllJobs('released: the worker is stopping');
    stopping ??= (async () => {
      try {
        await worker.close();
      } finally {
        await threads.close();
        resolveClosed();
      }
    })();
    return stopping;
  };
  return { name, stop, closed };
}
