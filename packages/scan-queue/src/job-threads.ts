/**
 * Jobs run on worker threads, never on the queue worker's own event loop: a map job
 * tokenizes and scores for seconds or minutes, and BullMQ renews the job's lock from that
 * event loop (every lockDuration / 2). A job computed in-line would block the renewal,
 * lose its lock while still running, and be handed to a second worker as if this one had
 * died. Threads are kept between jobs (a thread started from TypeScript sources spends
 * about a second compiling before its first job) — one per concurrent job at most.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '@tracemark/detector';
import type { JobPayload } from './payload.js';
import type { JobOverrides, JobResult } from './run-job.js';

export interface ThreadRequest {
  id: number;
  payload: JobPayload;
  overrides: JobOverrides;
}

export type ThreadReply = { id: number; ok: true; result: JobResult } | { id: number; ok: false; message: string; retryable: boolean };

/** A job that failed in its thread; `retryable` is false for errors a rerun would repeat (bad input). */
export class JobError extends Error {
  override name = 'JobError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The job was abandoned (its thread terminated) because the signal aborted. */
export class JobAbandoned extends Error {
  override name = 'JobAbandoned';
}

const entry = new URL(import.meta.url.endsWith('.ts') ? './job-thread.ts' : './job-thread.js', import.meta.url);

export class JobThreads {
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();
  #next = 0;

  /** Run one job on an idle thread (or a new one). Aborting `signal` terminates that thread and rejects with JobAbandoned. */
  async run(payload: JobPayload, overrides: JobOverrides, signal?: AbortSignal): Promise<JobResult> {
    if (signal?.aborted) throw new JobAbandoned('abandoned before it started');
    const thread = this.#idle.pop() ?? this.#start();
    const id = ++this.#next;
    return new Promise<JobResult>((resolve, reject) => {
      const done = (keep: boolean): void => {
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        if (keep) this.#idle.push(thread);
        else this.#drop(thread);
      };
      const onMessage = (m: ThreadReply): void => {
        if (m.id !== id) return;
        done(true);
        if (m.ok) resolve(m.result);
        else reject(new JobError(m.message, m.retryable));
      };
      // A thread that throws outside a job or exits (out of memory) fails the job; a retry may succeed.
      const onError = (e: Error): void => {
        done(false);
        reject(new JobError(`job thread failed: ${e.message}`, true));
      };
      const onExit = (code: number): void => {
        done(false);
        reject(new JobError(`job thread exited (code ${code})`, true));
      };
      const onAbort = (): void => {
        done(false);
        reject(new JobAbandoned('abandoned: the worker is stopping'));
      };
      thread.on('message', onMessage);
      thread.on('error', onError);
      thread.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      const req: ThreadRequest = { id, payload, overrides };
      thread.postMessage(req);
    });
  }

  #start(): Worker {
    const t = startWorker(entry, null);
    this.#all.add(t);
    return t;
  }

  #drop(t: Worker): void {
    this.#all.delete(t);
    const i = this.#idle.indexOf(t);
    if (i >= 0) this.#idle.splice(i, 1);
    void t.terminate();
  }

  /** Terminate every thread (idle or not). */
  async close(): Promise<void> {
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(all.map((t) => t.terminate()));
  }
}
