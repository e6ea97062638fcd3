/**
 * Jobs run on worker threads, never on the queue worker's own event loop: a map job
 * tokenizes and scores for seconds or minutes, and BullMQ renews the job's lock from that
 * event loop (every lockDuration / 2). A job computed in-line would block the renewal,
 * lose its lock while still running, and be handed to a second worker as if this one had
 * died. Threads are kept between jobs of the same kind (a thread started from TypeScript
 * sources spends about a second compiling before its first job) — one per concurrent job
 * at most. A reduce job gets a thread that never ran a map job: a map thread keeps its
 * tokenizer's WebAssembly memory, which never shrinks, and the reduce job's memory budget
 * should not sit on top of it; idle threads of the other kind are ended when a job of a
 * new kind starts (the scan's phases come one after the other).
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

type Kind = JobPayload['kind'];

export class JobThreads {
  readonly #idle: { thread: Worker; kind: Kind }[] = [];
  readonly #all = new Set<Worker>();
  #next = 0;

  /** Run one job on an idle thread (or a new one). Aborting `signal` terminates that thread and rejects with JobAbandoned. */
  async run(payload: JobPayload, overrides: JobOverrides, signal?: AbortSignal): Promise<JobResult> {
    if (signal?.aborted) throw new JobAbandoned('abandoned before it started');
    const kind = payload.kind;
    const thread = this.#takeIdle(kind) ?? this.#start(kind);
    const id = ++this.#next;
    return new Promise<JobResult>((resolve, reject) => {
      const done = (keep: boolean): void => {
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        if (keep) this.#idle.push({ thread, kind });
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

  #takeIdle(kind: Kind): Worker | undefined {
    const i = this.#idle.findIndex((x) => x.kind === kind);
    return i >= 0 ? this.#idle.splice(i, 1)[0]!.thread : undefined;
  }

  #start(kind: Kind): Worker {
    for (const x of this.#idle.filter((y) => y.kind !== kind)) this.#drop(x.thread);
    const t = startWorker(entry, null);
    this.#all.add(t);
    return t;
  }

  #drop(t: Worker): void {
    this.#all.delete(t);
    const i = this.#idle.findIndex((x) => x.thread === t);
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
