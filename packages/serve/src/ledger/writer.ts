/**
 * Group commit for the server: requests that finish in the same event-loop turn
 * share one transaction (one fsync), and each request's promise settles only after
 * that commit. The server awaits it before sending a response's final bytes, so
 * "the client has the whole response" implies "its ledger row is on disk", while
 * throughput under load is not capped at one fsync per response.
 *
 * Batches are committed one after another (a store with asynchronous I/O never has
 * two transactions of this writer open at once), in the order they were appended.
 */
import type { LedgerStore, ResponseRecord } from './store.js';

interface Pending {
  record: ResponseRecord;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class LedgerWriter {
  #pending: Pending[] = [];
  #scheduled = false;
  #closed: Promise<void> | null = null;
  /** The batch being committed (a synchronous store finishes it before the next turn). */
  #committing: Promise<void> = Promise.resolve();
  /** Rows committed by this writer (for status output). */
  committed = 0;

  constructor(readonly ledger: LedgerStore) {}

  append(record: ResponseRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('ledger writer is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate: after this turn's I/O callbacks, so simultaneous finishers batch up.
        setImmediate(() => void this.#flush());
      }
    });
  }

  #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return this.#committing;
    const commit = async (): Promise<void> => {
      try {
        await this.ledger.recordMany(batch.map((p) => p.record));
        this.committed += batch.length;
        for (const p of batch) p.resolve();
      } catch (e) {
        const err = new Error(`ledger write failed: ${(e as Error).message}`);
        for (const p of batch) p.reject(err);
      }
    };
    this.#committing = this.#committing.then(commit);
    return this.#committing;
  }

  /** Commit anything pending, refuse further appends, close the ledger (idempotent). */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    const flushed = this.#flush();
    this.#closed = flushed.then(() => this.ledger.close());
    return this.#closed;
  }
}
