export { Ledger, LedgerError, LEDGER_SCHEMA_VERSION } from './ledger.js';
export type { LedgerBinding, LedgerEntry, ResponseRecord, WindowQuery } from './ledger.js';
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
