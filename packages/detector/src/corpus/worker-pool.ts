/**
 * The scan's worker threads: documents go out in batches of consecutive indices to the
 * least-loaded worker, and come back (in any order) as outcomes kept by document index
 * until the main thread takes them in order.
 */
import type { Worker } from 'node:worker_threads';
import { DetectorError } from '../errors.js';
import { runningFromSources, startWorker } from '../spawn.js';
import type { ScanDoc } from './docscore.js';
import type { DocOutcome, FromWorker, ToWorker, WorkerInit } from './protocol.js';

type Outcome = DocOutcome;

/**
 * Worker threads with least-loaded dispatch. Outcomes are kept by document
 * index until the main thread takes them in order.
 */
export class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  /** Batch start index → worker, for load accounting. */
  readonly #owner = new Map<number, number>();
  #outstanding = 0;
  readonly #outcomes = new Map<number, Outcome>();
  #wake: (() => void) | undefined;
  /** Messages not yet waited for: next() returns at once when some arrived meanwhile. */
  #unseen = 0;
  #failure: DetectorError | undefined;
  #closing = false;

  static async start(n: number, init: WorkerInit): Promise<WorkerPool> {
    const p = new WorkerPool();
    const here = import.meta.url;
    const entry = new URL(runningFromSources(here) ? './worker.ts' : './worker.js', here);
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const w = startWorker(entry, init);
      p.#workers.push(w);
      p.#load.push(0);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMsg = (m: FromWorker): void => {
            if (m.type === 'ready') {
              w.off('message', onMsg);
              resolve();
            } else if (m.type === 'fatal') reject(new DetectorError(m.code, m.message));
          };
          w.on('message', onMsg);
          w.once('error', (e) => reject(new DetectorError('WORKER_FAILED', `scan worker failed to start: ${e.message}`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await p.close();
      throw e;
    }
    p.#workers.forEach((w, i) => {
      w.on('message', (m: FromWorker) => p.#onMessage(i, m));
      w.on('error', (e) => p.#fail(new DetectorError('WORKER_FAILED', `scan worker ${i} failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!p.#closing) p.#fail(new DetectorError('WORKER_FAILED', `scan worker ${i} exited with code ${code}`));
      });
    });
    return p;
  }

  /** Batches dispatched whose results have not arrived. */
  get outstanding(): number {
    return this.#outstanding;
  }

  dispatch(start: number, texts: ScanDoc[]): void {
    if (this.#failure) throw this.#failure;
    let best = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[best]!) best = i;
    this.#load[best]!++;
    this.#outstanding++;
    this.#owner.set(start, best);
    const m: ToWorker = { type: 'batch', start, texts };
    this.#workers[best]!.postMessage(m);
  }

  /** Resolves after at least one message arrived (or rejects on failure). */
  async next(): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#unseen === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = undefined;
    this.#unseen = 0;
    if (this.#failure) throw this.#failure;
  }

  take(index: number): Outcome | undefined {
    const o = this.#outcomes.get(index);
    if (o) this.#outcomes.delete(index);
    return o;
  }

  #onMessage(worker: number, m: FromWorker): void {
    if (m.type === 'batch') {
      this.#load[worker]!--;
      this.#outstanding--;
      this.#owner.delete(m.start);
      m.outcomes.forEach((o, i) => this.#outcomes.set(m.start + i, o));
    } else if (m.type === 'fatal') {
      this.#fail(new DetectorError(m.code, m.message));
      return;
    }
    this.#unseen++;
    this.#wake?.();
  }

  #fail(e: DetectorError): void {
    this.#failure ??= e;
    this.#unseen++;
    this.#wake?.();
  }

  /** Ask workers to finish (they free their tokenizers); terminate any that do not exit within 2 s. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.#workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve(), () => resolve()), 2000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              w.postMessage({ type: 'close' } satisfies ToWorker);
            } catch {
              void w.terminate();
            }
          }),
      ),
    );
  }
}
