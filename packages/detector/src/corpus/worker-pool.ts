/**
 * The scan's worker threads: documents go out in batches of consecutive indices to the
 * least-loaded worker, and come back (in any order) as outcomes kept by document index
 * until the main thread takes them in order.
 *
 * With corpus-wide dedup each worker also owns partitions of the dedup set (owner.ts): a
 * batch is complete when its scoring worker's outcomes and every owner's decisions have
 * arrived; the decisions are then put back in tuple order (DocScored.novelty), so the
 * main thread pools exactly as it would have decided itself.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { DetectorError } from '../errors.js';
import { runningFromSources, startWorker } from '../spawn.js';
import type { ScanDoc } from './docscore.js';
import type { OwnerState } from './owner.js';
import type { DocOutcome, FromWorker, ToWorker, WorkerInit } from './protocol.js';

interface Arriving {
  outcomes?: DocOutcome[];
  owners?: Uint8Array | undefined;
  flags: (Uint8Array | undefined)[];
  got: number;
}

export class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  #dedup = false;
  #outstanding = 0;
  /** Batches (by start index) whose parts are still arriving. */
  readonly #arriving = new Map<number, Arriving>();
  readonly #outcomes = new Map<number, DocOutcome>();
  #wake: (() => void) | undefined;
  /** Messages not yet waited for: next() returns at once when some arrived meanwhile. */
  #unseen = 0;
  #failure: DetectorError | undefined;
  #closing = false;
  #states: OwnerState[] = [];
  #stateWait: { resolve: () => void; reject: (e: DetectorError) => void } | undefined;

  /** Start n workers; `firstIndex` is this run's first document, `tuples` a checkpoint's dedup set. */
  static async start(n: number, init: WorkerInit, firstIndex: number, tuples: Int32Array | null): Promise<WorkerPool> {
    const p = new WorkerPool();
    p.#dedup = init.globalDedup !== null;
    const here = import.meta.url;
    const entry = new URL(runningFromSources(here) ? './worker.ts' : './worker.js', here);
    for (let i = 0; i < n; i++) {
      p.#workers.push(startWorker(entry, init));
      p.#load.push(0);
    }
    try {
      await p.#each((w) => w.type === 'ready');
      // a port between every two workers, for buckets of tuples; shared memory for a checkpoint's set
      const ports: (MessagePort | null)[][] = Array.from({ length: n }, () => Array<MessagePort | null>(n).fill(null));
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const c = new MessageChannel();
          ports[i]![j] = c.port1;
          ports[j]![i] = c.port2;
        }
      }
      let shared: Int32Array | null = null;
      if (tuples && tuples.length > 0) {
        shared = new Int32Array(new SharedArrayBuffer(tuples.byteLength));
        shared.set(tuples);
      }
      const setup = p.#each((m) => m.type === 'setup', (m) => m.type === 'setup' && !m.ok ? new DetectorError('BAD_OPTION', 'the checkpoint is corrupt (repeated tuples)') : undefined);
      p.#workers.forEach((w, i) => {
        const peers = ports[i]!;
        const m: ToWorker = { type: 'setup', self: i, peers, firstIndex, tuples: shared };
        w.postMessage(m, peers.filter((x): x is MessagePort => x !== null));
      });
      await setup;
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

  /** Resolves when every worker sent a message matching `done` (rejects on fatal, error, or `bad`). */
  #each(done: (m: FromWorker) => boolean, bad: (m: FromWorker) => DetectorError | undefined = () => undefined): Promise<void> {
    return Promise.all(
      this.#workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const onMsg = (m: FromWorker): void => {
              if (m.type === 'fatal') reject(new DetectorError(m.code, m.message));
              else if (done(m)) {
                w.off('message', onMsg);
                const e = bad(m);
                if (e) reject(e);
                else resolve();
              }
            };
            w.on('message', onMsg);
            w.once('error', (e) => reject(new DetectorError('WORKER_FAILED', `scan worker failed to start: ${e.message}`)));
          }),
      ),
    ).then(() => undefined);
  }

  /** Batches dispatched and not yet scored. */
  get scoring(): number {
    return this.#load.reduce((a, b) => a + b, 0);
  }

  /** Batches dispatched whose results have not all arrived. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** `pooled`: documents before it are pooled (owners may forget how they got there). */
  dispatch(start: number, texts: ScanDoc[], pooled: number): void {
    if (this.#failure) throw this.#failure;
    let best = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[best]!) best = i;
    this.#load[best]!++;
    this.#outstanding++;
    this.#arriving.set(start, { flags: Array(this.#workers.length), got: 0 });
    const m: ToWorker = { type: 'batch', start, texts, pooled };
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

  take(index: number): DocOutcome | undefined {
    const o = this.#outcomes.get(index);
    if (o) this.#outcomes.delete(index);
    return o;
  }

  /** The dedup set (all partitions) as of document upTo: call only when the main thread has pooled up to it. */
  async dedupState(upTo: number, tuples: boolean): Promise<OwnerState> {
    if (this.#failure) throw this.#failure;
    this.#states = [];
    const done = new Promise<void>((resolve, reject) => (this.#stateWait = { resolve, reject }));
    for (const w of this.#workers) w.postMessage({ type: 'state', upTo, tuples } satisfies ToWorker);
    await done;
    this.#stateWait = undefined;
    const parts = this.#states;
    const out: OwnerState = { entries: 0, bytes: 0 };
    for (const s of parts) {
      out.entries += s.entries;
      out.bytes += s.bytes;
    }
    if (tuples) {
      out.tuples = new Int32Array(parts.reduce((a, s) => a + s.tuples!.length, 0));
      let at = 0;
      for (const s of parts) {
        out.tuples.set(s.tuples!, at);
        at += s.tuples!.length;
      }
    }
    return out;
  }

  #onMessage(worker: number, m: FromWorker): void {
    if (m.type === 'fatal') return this.#fail(new DetectorError(m.code, m.message));
    if (m.type === 'state') {
      this.#states[m.owner] = m;
      if (this.#states.filter(Boolean).length === this.#workers.length) this.#stateWait?.resolve();
      return;
    }
    if (m.type === 'batch') {
      this.#load[worker]!--;
      const a = this.#arriving.get(m.start)!;
      a.outcomes = m.outcomes;
      a.owners = m.owners;
      this.#complete(m.start, a);
    } else if (m.type === 'novelty') {
      const a = this.#arriving.get(m.start)!;
      a.flags[m.owner] = m.flags;
      a.got++;
      this.#complete(m.start, a);
    }
    this.#unseen++;
    this.#wake?.();
  }

  /** Once outcomes and all decisions are in: decisions back into each document's tuple order. */
  #complete(start: number, a: Arriving): void {
    if (!a.outcomes || (this.#dedup && a.got < this.#workers.length)) return;
    this.#arriving.delete(start);
    this.#outstanding--;
    const at = new Int32Array(this.#workers.length);
    let k = 0;
    a.outcomes.forEach((o, i) => {
      if (o.kind === 'doc' && this.#dedup) {
        const d = o.doc, novelty = new Uint8Array(d.count);
        for (let j = 0; j < d.count; j++) {
          const w = a.owners ? a.owners[k++]! : 0;
          novelty[j] = a.flags[w]![at[w]!++]!;
        }
        d.novelty = novelty;
      }
      this.#outcomes.set(start + i, o);
    });
  }

  #fail(e: DetectorError): void {
    this.#failure ??= e;
    this.#stateWait?.reject(this.#failure);
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
