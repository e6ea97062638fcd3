export { Ledger, LEDGER_SCHEMA_VERSION } from './ledger.js';
export { LedgerError } from './store.js';
export type {
  Awaitable,
  AccountWindowsRow,
  LedgerBinding,
  LedgerCounts,
  LedgerEntry,
  LedgerStore,
  ResponseRecord,
  WindowQuery,
  WindowsResult,
} from './store.js';
export {
  WindowFilter,
  loadFilter,
  decodeFilter,
  encodeFilterJson,
  encodeFilterBinary,
  FILTER_MAGIC,
  FILTER_VERSION,
} from './filter.js';
export type { FilterHeader } from './filter.js';
export { pairToBigInt, packU64, unpackU64, sortUnique, u64ToHex, hexToU64 } from './u64.js';
export { LedgerWriter } from './writer.js';
export { exportFilter, filterFormatOf, lookupText, ledgerInfo } from './queries.js';
export type { FilterQuery, ExportedFilter, LookupResult, LedgerInfo } from './queries.js';
export { openLedgerStore, isPostgresUrl, redactLocation } from './open.js';
export type { OpenLedgerOptions } from './open.js';
export { PgLedger } from './pg/pg-ledger.js';
export type { PgLedgerOptions, PgDurability } from './pg/pg-ledger.js';
