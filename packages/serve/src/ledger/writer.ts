/**
 * Group commit for the server: requests that finish in the same event-loop turn
 * share one transaction (one fsync), and each request's promise settles only after
 * that commit. The server awaits it before sending a response's final bytes, so
 * "the client has the whole response" implies "its ledger row is on disk", while
 * throughput under load is not capped at one fsync per response.
 */
import type { Ledger, ResponseRecord } from './ledger.js';

interface Pending {
  record: ResponseRecord;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class LedgerWriter {
  #pending: Pending[] = [];
  #scheduled = false;
  #closed = false;
  /** Rows committed by this writer (for status output). */
  committed = 0;

  constructor(readonly ledger: Ledger) {}

  append(record: ResponseRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('ledger writer is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate: after this turn's I/O callbacks, so simultaneous finishers batch up.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      this.ledger.recordMany(batch.map((p) => p.record));
      this.committed += batch.length;
      for (const p of batch) p.resolve();
    } catch (e) {
      const err = new Error(`ledger write failed: ${(e as Error).message}`);
      for (const p of batch) p.reject(err);
    }
  }

  /** Commit anything pending, refuse further appends, close the ledger. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.ledger.close();
  }
}
