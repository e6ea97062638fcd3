/**
 * The provenance ledger: one SQLite row per response choice the server issued.
 *
 * Durability: WAL journal with synchronous=FULL, so every committed row has been
 * fsync'd to the WAL before `record` returns. The server calls `record` before it
 * sends a response's final bytes, so a response a client received completely has
 * its row on disk even if the server is killed (kill -9) or the machine loses power
 * right after. (synchronous=NORMAL would survive kill -9 too, since the OS still
 * holds the written pages, but not a power cut; FULL costs one fsync per response.)
 *
 * A ledger is bound to one watermark spec (its id and key fingerprint are stored in
 * `meta` on creation): window hashes depend on the key, so mixing specs in one file
 * would make its filters meaningless. Rotate the key → start a new ledger.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync } from 'node:fs';
import type { AccountWindowsRow, LedgerCounts, LedgerStore, WindowsResult } from './store.js';
import { LedgerError, type LedgerBinding, type LedgerEntry, type ResponseRecord, type WindowQuery } from './store.js';
import { packU64, sortUnique, toSigned, unpackU64 } from './u64.js';
import { LEDGER_SCHEMA_VERSION, migrate, OLDEST_SCHEMA_VERSION, packIds, storedSchemaVersion, V2_COLUMNS } from './migrate.js';
import { ENTRY_COLUMNS, toEntry, V2_ENTRY_COLUMNS, type EntryRow } from './entry-row.js';

export { LEDGER_SCHEMA_VERSION };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  k TEXT PRIMARY KEY,
  v TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS responses (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  response_id       TEXT    NOT NULL,
  choice            INTEGER NOT NULL,
  account           TEXT    NOT NULL,
  account_id        INTEGER,
  created_at        TEXT    NOT NULL,
  created_ms        INTEGER NOT NULL,
  spec_id           TEXT    NOT NULL,
  model_id          TEXT    NOT NULL,
  endpoint          TEXT    NOT NULL,
  finish_reason     TEXT    NOT NULL,
  text_sha256       TEXT    NOT NULL,
  prompt_sha256     TEXT    NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  window_count      INTEGER NOT NULL,
  windows           BLOB    NOT NULL,
  ${V2_COLUMNS},
  UNIQUE (response_id, choice)
);
CREATE INDEX IF NOT EXISTS responses_by_text ON responses (text_sha256);
CREATE INDEX IF NOT EXISTS responses_by_account ON responses (account, created_ms);
-- Every window hash ever emitted and the first response (seq) that emitted it.
CREATE TABLE IF NOT EXISTS windows (
  hash      INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL
);
`;

export class Ledger implements LedgerStore {
  readonly path: string;
  readonly binding: LedgerBinding;
  readonly schemaVersion: number;
  readonly #db: Database.Database;
  readonly #columns: string;
  readonly #insertResponse: Database.Statement | null;
  readonly #insertWindow: Database.Statement | null;
  readonly #recordTx: (r: ResponseRecord) => number;
  readonly #recordManyTx: (rs: readonly ResponseRecord[]) => number[];
  #closed = false;

  private constructor(path: string, db: Database.Database, binding: LedgerBinding, readonly readOnly: boolean, version: number) {
    this.path = path;
    this.#db = db;
    this.binding = binding;
    this.schemaVersion = version;
    // A version-1 ledger opened for reading has no params / upstream_id / token_ids columns.
    this.#columns = version >= 2 ? V2_ENTRY_COLUMNS : ENTRY_COLUMNS;
    this.#insertResponse = readOnly
      ? null
      : db.prepare(
          `INSERT INTO responses (response_id, choice, account, account_id, created_at, created_ms, spec_id, model_id, endpoint,
             finish_reason, text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows, params, upstream_id, token_ids)
           VALUES (@responseId, @choice, @account, @accountId, @createdAt, @createdMs, @specId, @modelId, @endpoint,
             @finishReason, @textSha256, @promptSha256, @promptTokens, @completionTokens, @windowCount, @windows, @params, @upstreamId, @tokenIds)`,
        );
    this.#insertWindow = readOnly ? null : db.prepare('INSERT OR IGNORE INTO windows (hash, first_seq) VALUES (?, ?)');
    this.#recordTx = db.transaction((r: ResponseRecord): number => {
      const windows = sortUnique(r.windows);
      const info = this.#insertResponse!.run({
        responseId: r.responseId,
        choice: r.choice,
        account: r.account,
        accountId: r.accountId,
        createdAt: r.created.toISOString(),
        createdMs: r.created.getTime(),
        specId: this.binding.specId,
        modelId: r.modelId,
        endpoint: r.endpoint,
        finishReason: r.finishReason,
        textSha256: r.textSha256,
        promptSha256: r.promptSha256,
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        windowCount: windows.length,
        windows: Buffer.from(packU64(windows).buffer),
        params: r.params ?? null,
        upstreamId: r.upstreamId ?? null,
        tokenIds: packIds(r.tokenIds),
      });
      const seq = Number(info.lastInsertRowid);
      for (const w of windows) this.#insertWindow!.run(toSigned(w), seq);
      return seq;
    });
    // Nested db.transaction calls become savepoints: one commit (one fsync) for the batch.
    this.#recordManyTx = db.transaction((rs: readonly ResponseRecord[]): number[] => rs.map((r) => this.#recordTx(r)));
  }

  /**
   * Open (creating if needed) a ledger for writing, bound to `binding`. A ledger
   * created for another spec or key is refused. A new ledger file is created mode 0600
   * (it says which account received which text); SQLite gives its -wal and -shm files
   * the database file's mode. An existing file keeps its mode (openServeInputs warns
   * when it is readable by group or others).
   */
  static openForWriting(path: string, binding: LedgerBinding): Ledger {
    let db: Database.Database;
    try {
      createPrivate(path);
      db = new Database(path);
    } catch (e) {
      throw new LedgerError(`cannot open ledger ${path}: ${(e as Error).message}`);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
      const stored = storedSchemaVersion(db);
      if (stored !== null && stored >= OLDEST_SCHEMA_VERSION && stored < LEDGER_SCHEMA_VERSION) migrate(db, stored);
      const existing = readBinding(db);
      if (existing === null) {
        const put = db.prepare('INSERT INTO meta (k, v) VALUES (?, ?)');
        db.transaction(() => {
          put.run('schema', String(LEDGER_SCHEMA_VERSION));
          put.run('spec_id', binding.specId);
          put.run('key_fingerprint', binding.keyFingerprint);
          put.run('spec_json', binding.specJson);
        })();
      } else if (existing.specId !== binding.specId) {
        throw new LedgerError(
          `ledger ${path} belongs to spec ${existing.specId} (key ${existing.keyFingerprint}), not ${binding.specId}: use a new ledger file for a new spec or key`,
        );
      }
      return new Ledger(path, db, binding, false, LEDGER_SCHEMA_VERSION);
    } catch (e) {
      db.close();
      throw e instanceof LedgerError ? e : new LedgerError(`cannot use ledger ${path}: ${(e as Error).message}`);
    }
  }

  /** Open an existing ledger for queries (lookup, export-filter). */
  static openForReading(path: string): Ledger {
    if (!existsSync(path)) throw new LedgerError(`ledger not found: ${path}`);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new LedgerError(`cannot open ledger ${path}: ${(e as Error).message}`);
    }
    try {
      db.pragma('busy_timeout = 5000');
      const binding = readBinding(db);
      if (binding === null) throw new LedgerError(`${path} is not a tracemark ledger (no spec binding)`);
      return new Ledger(path, db, binding, true, storedSchemaVersion(db)!);
    } catch (e) {
      db.close();
      throw e instanceof LedgerError ? e : new LedgerError(`${path} is not a readable tracemark ledger: ${(e as Error).message}`);
    }
  }

  /** Write one response choice durably (fsync'd when this returns). Returns its seq. */
  record(r: ResponseRecord): number {
    this.#check();
    if (this.readOnly) throw new LedgerError('ledger is open read-only');
    return this.#recordTx(r);
  }

  /**
   * Write several responses in one transaction: one fsync for all of them (group
   * commit). All or none are written.
   */
  recordMany(rs: readonly ResponseRecord[]): number[] {
    this.#check();
    if (this.readOnly) throw new LedgerError('ledger is open read-only');
    return this.#recordManyTx(rs);
  }

  /** Responses whose text has this SHA-256 (hex), oldest first. */
  lookupTextSha256(sha256Hex: string): LedgerEntry[] {
    this.#check();
    const rows = this.#db
      .prepare(`SELECT ${this.#columns} FROM responses WHERE text_sha256 = ? ORDER BY seq`)
      .all(sha256Hex.toLowerCase()) as EntryRow[];
    return rows.map(toEntry);
  }

  /** One response by its seq (1, 2, … in commit order), or null. */
  entry(seq: number): LedgerEntry | null {
    this.#check();
    const row = this.#db.prepare(`SELECT ${this.#columns} FROM responses WHERE seq = ?`).get(seq) as EntryRow | undefined;
    return row ? toEntry(row) : null;
  }

  /** The response that first emitted a window hash, or null. */
  firstResponseForWindow(hash: bigint): LedgerEntry | null {
    this.#check();
    const row = this.#db
      .prepare(`SELECT ${this.#columns} FROM responses WHERE seq = (SELECT first_seq FROM windows WHERE hash = ?)`)
      .get(toSigned(hash)) as EntryRow | undefined;
    return row ? toEntry(row) : null;
  }

  /** The packed windows one response emitted. */
  windowsOf(seq: number): BigUint64Array {
    this.#check();
    const row = this.#db.prepare('SELECT windows FROM responses WHERE seq = ?').get(seq) as { windows: Buffer } | undefined;
    if (!row) throw new LedgerError(`no response with seq ${seq}`);
    return unpackU64(row.windows);
  }

  /**
   * The supervised filter: the union of window hashes sent to any of `accounts`
   * (optionally within a time range), sorted and deduplicated.
   */
  windowsForAccounts(q: WindowQuery): WindowsResult {
    this.#check();
    if (q.accounts.length === 0) throw new LedgerError('no accounts given');
    const placeholders = q.accounts.map(() => '?').join(', ');
    const stmt = this.#db.prepare(
      `SELECT account, windows FROM responses WHERE account IN (${placeholders}) AND created_ms >= ? AND created_ms < ? ORDER BY seq`,
    );
    const all = new Set<bigint>();
    const perAccount: Record<string, number> = Object.fromEntries(q.accounts.map((a) => [a, 0]));
    let responses = 0;
    for (const row of stmt.iterate(...q.accounts, q.sinceMs ?? -8.64e15, q.untilMs ?? 8.64e15) as Iterable<{
      account: string;
      windows: Buffer;
    }>) {
      responses++;
      perAccount[row.account] = (perAccount[row.account] ?? 0) + 1;
      for (const w of unpackU64(row.windows)) all.add(w);
    }
    return { windows: sortUnique(all), responses, perAccount };
  }

  /** Every account that received a response, in order of its first response, with the union of its windows. */
  accountWindows(): AccountWindowsRow[] {
    this.#check();
    const acc = new Map<string, AccountWindowsRow>();
    const rows = this.#db.prepare('SELECT account, account_id, windows FROM responses ORDER BY seq').iterate() as Iterable<{
      account: string;
      account_id: number | null;
      windows: Buffer;
    }>;
    for (const r of rows) {
      let a = acc.get(r.account);
      if (!a) acc.set(r.account, (a = { account: r.account, accountId: r.account_id, windows: new Set() }));
      for (const w of unpackU64(r.windows)) a.windows.add(w);
    }
    return [...acc.values()];
  }

  /** The connection's durability settings (journal mode, synchronous level: 2 = FULL). */
  durability(): { journalMode: string; synchronous: number } {
    this.#check();
    return {
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.#db.pragma('synchronous', { simple: true })),
    };
  }

  /** Counts for status output. */
  stats(): LedgerCounts {
    this.#check();
    const r = this.#db
      .prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT account) AS a, COALESCE(SUM(completion_tokens), 0) AS t FROM responses')
      .get() as { n: number; a: number; t: number };
    const w = this.#db.prepare('SELECT COUNT(*) AS n FROM windows').get() as { n: number };
    return { responses: r.n, windows: w.n, accounts: r.a, completionTokens: r.t };
  }

  /** Close cleanly: checkpoint the WAL into the main file (writers only), then close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.readOnly) {
      try {
        this.#db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // A concurrent reader can block the checkpoint; the WAL is still durable.
      }
    }
    this.#db.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new LedgerError('ledger is closed');
  }
}

function readBinding(db: Database.Database): LedgerBinding | null {
  let rows: { k: string; v: string }[];
  try {
    rows = db.prepare('SELECT k, v FROM meta').all() as { k: string; v: string }[];
  } catch {
    return null;
  }
  const m = new Map(rows.map((r) => [r.k, r.v]));
  const specId = m.get('spec_id');
  const keyFingerprint = m.get('key_fingerprint');
  const specJson = m.get('spec_json');
  if (specId === undefined || keyFingerprint === undefined || specJson === undefined) return null;
  const schema = Number(m.get('schema'));
  if (!Number.isInteger(schema) || schema < OLDEST_SCHEMA_VERSION || schema > LEDGER_SCHEMA_VERSION) {
    throw new LedgerError(
      `ledger schema version ${m.get('schema')} is not supported (this build reads ${OLDEST_SCHEMA_VERSION}–${LEDGER_SCHEMA_VERSION})`,
    );
  }
  return { specId, keyFingerprint, specJson };
}

/** Create an empty (valid, zero-page) SQLite file readable by its owner only, unless `path` exists. */
function createPrivate(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:') || existsSync(path)) return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch {
    // Exists now, or cannot be created: SQLite opens it or says why it cannot.
  }
}
