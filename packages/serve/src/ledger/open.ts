/**
 * One opener for every command that uses a ledger (serve, the proxy, `ledger …`,
 * attribution): a `postgres://` / `postgresql://` URL opens the PostgreSQL ledger
 * (pg/pg-ledger.ts), anything else the SQLite file (ledger.ts). With a binding the
 * ledger is opened for writing (created, migrated, its binding checked); without one,
 * for reading only. Failures are LedgerErrors with one line that never holds a password.
 */
import { Ledger } from './ledger.js';
import { PgLedger } from './pg/pg-ledger.js';
import { isPostgresUrl, redactLocation } from './pg/url.js';
import type { LedgerBinding, LedgerStore } from './store.js';

export { isPostgresUrl, redactLocation };

export interface OpenLedgerOptions {
  /** Open for writing, bound to this spec and key; without it: read-only. */
  binding?: LedgerBinding;
  /** Warnings of the PostgreSQL connection (e.g. an idle connection lost). */
  warn?: (message: string) => void;
}

export async function openLedgerStore(location: string, o: OpenLedgerOptions = {}): Promise<LedgerStore> {
  if (isPostgresUrl(location)) {
    const url = location.trim();
    const opts = o.warn ? { warn: o.warn } : {};
    return o.binding ? PgLedger.openForWriting(url, o.binding, opts) : PgLedger.openForReading(url, opts);
  }
  return o.binding ? Ledger.openForWriting(location, o.binding) : Ledger.openForReading(location);
}
