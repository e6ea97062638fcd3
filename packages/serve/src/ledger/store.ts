/**
 * What the server, the filter export, lookup and the investigation inputs need from
 * a provenance ledger, independent of where it is stored. The SQLite `Ledger` and the
 * PostgreSQL `PgLedger` (pg/) implement it; `openLedgerStore` (open.ts) picks one.
 *
 * Every method may answer synchronously or with a promise (`Awaitable`), and every
 * caller awaits: SQLite (better-sqlite3) is synchronous and fastest called directly,
 * a PostgreSQL client is asynchronous, and one interface serves both without
 * wrapping every SQLite call in a promise or blocking on network I/O.
 */

export interface LedgerBinding {
  /** SHA-256 (hex) of the canonical spec JSON. */
  specId: string;
  keyFingerprint: string;
  /** Canonical spec JSON (public: the spec holds no secret), kept for investigators. */
  specJson: string;
}

export interface ResponseRecord {
  responseId: string;
  choice: number;
  account: string;
  accountId: number | null;
  created: Date;
  modelId: string;
  endpoint: 'completions' | 'chat.completions';
  finishReason: string;
  textSha256: string;
  promptSha256: string;
  promptTokens: number;
  completionTokens: number;
  /** Window hashes (u64) of every position that had context; deduplicated here. */
  windows: Iterable<bigint>;
  /** Schema 2 (the upstream proxy): the request parameters as JSON (prompt / messages left out). */
  params?: string | null;
  /** Schema 2: the id the upstream engine gave the response. */
  upstreamId?: string | null;
  /** Schema 2: the upstream's completion token ids, when it returned them. */
  tokenIds?: Uint32Array | null;
}

export interface LedgerEntry {
  seq: number;
  responseId: string;
  choice: number;
  account: string;
  accountId: number | null;
  createdAt: string;
  createdMs: number;
  specId: string;
  modelId: string;
  endpoint: string;
  finishReason: string;
  textSha256: string;
  promptSha256: string;
  promptTokens: number;
  completionTokens: number;
  windowCount: number;
  /** Schema ≥ 2 only (absent when reading a version-1 ledger); null on rows the proxy did not write. */
  params?: string | null;
  upstreamId?: string | null;
  tokenIds?: Uint32Array | null;
}

export interface WindowQuery {
  accounts: readonly string[];
  /** Inclusive lower bound on the response time (epoch ms). */
  sinceMs?: number;
  /** Exclusive upper bound (epoch ms). */
  untilMs?: number;
}

export class LedgerError extends Error {
  override name = 'LedgerError';
}

export type Awaitable<T> = T | Promise<T>;

/** The union of window hashes a query selected, and how many responses contributed. */
export interface WindowsResult {
  /** Sorted ascending, unique. */
  windows: BigUint64Array;
  responses: number;
  /** Responses per asked account (0 for an account with none). */
  perAccount: Record<string, number>;
}

/** One account's responses, summarised for attribution. */
export interface AccountWindowsRow {
  account: string;
  /** The payload id of the account's first response (null without a payload). */
  accountId: number | null;
  /** The union of the windows of its responses. */
  windows: Set<bigint>;
}

export interface LedgerCounts {
  responses: number;
  windows: number;
  accounts: number;
  completionTokens: number;
}

export interface LedgerStore {
  /** The spec and key the ledger is bound to (window hashes depend on the key). */
  readonly binding: LedgerBinding;
  /** The schema version the store holds (LEDGER_SCHEMA_VERSION). */
  readonly schemaVersion: number;
  /** Write one response choice durably; resolves with its seq (1, 2, … in commit order). */
  record(r: ResponseRecord): Awaitable<number>;
  /** Write several in one transaction (group commit): all or none. */
  recordMany(rs: readonly ResponseRecord[]): Awaitable<number[]>;
  /** Responses whose text has this SHA-256 (hex, any case), oldest first. */
  lookupTextSha256(sha256Hex: string): Awaitable<LedgerEntry[]>;
  /** One response by its seq, or null. */
  entry(seq: number): Awaitable<LedgerEntry | null>;
  /** The response that first emitted a window hash, or null. */
  firstResponseForWindow(hash: bigint): Awaitable<LedgerEntry | null>;
  /** The windows one response emitted (sorted, unique). */
  windowsOf(seq: number): Awaitable<BigUint64Array>;
  /** The supervised filter: windows sent to any of the accounts (optionally in a time range). */
  windowsForAccounts(q: WindowQuery): Awaitable<WindowsResult>;
  /** Every account that received a response, in order of its first response, with its windows. */
  accountWindows(): Awaitable<AccountWindowsRow[]>;
  stats(): Awaitable<LedgerCounts>;
  /** Commit and release the store (idempotent). */
  close(): Awaitable<void>;
}
