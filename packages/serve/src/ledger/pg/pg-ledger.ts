/**
 * The provenance ledger in PostgreSQL, for several serving / proxy replicas writing at
 * once (`--ledger postgres://…`). Same logical tables, schema version and answers as
 * the SQLite `Ledger` (schema.ts); the LedgerStore methods return promises.
 *
 * Concurrency. Every writing transaction takes one advisory lock (WRITE_LOCK) before it
 * draws a seq, and PostgreSQL releases it only after the commit is durable. So seqs
 * increase in commit order across all replicas (a reader that has seen seq n never
 * later finds a smaller one appear), and the first writer of a window hash is the one
 * with the smallest seq: `firstResponseForWindow` means what it means in SQLite. The
 * lock is held for one group commit of one replica (LedgerWriter batches a process's
 * finishing responses), which is one statement (rows.ts), so replicas take turns per
 * batch, not per row, and never wait on another replica's round trip. A statement that
 * fails leaves a gap in seq (sequences are not transactional).
 *
 * Durability. A commit returns once PostgreSQL says it is durable by its settings:
 * with `synchronous_commit = on` (the default) the WAL is flushed first, so a row whose
 * response a client received survives a replica's kill -9 and PostgreSQL crashing or
 * losing power. `durability()` reports the server's settings; docs/SERVE.md §10 measures
 * `on` against `off` (commit before the flush: survives kill -9 of a replica, not a
 * PostgreSQL crash).
 *
 * The connection URL's password is never printed: messages name `redactLocation(url)`.
 */
import pg from 'pg';
import { LedgerError, type AccountWindowsRow, type LedgerBinding, type LedgerCounts, type LedgerEntry, type LedgerStore, type ResponseRecord, type WindowQuery, type WindowsResult } from '../store.js';
import { sortUnique, toSigned, unpackU64 } from '../u64.js';
import { batchParams, ENTRY_COLUMNS, INSERT_BATCH, INSERT_RESPONSE, insertParams, toEntry, V2_ENTRY_COLUMNS, type PgRow } from './rows.js';
import { LEDGER_SCHEMA_VERSION, migrateTo, MIGRATION_LOCK, readVersion, unsupported, WRITE_LOCK } from './schema.js';
import { checkIn, checkOut, openPool, type PgLedgerOptions } from './pool.js';
import { redactLocation, scrub } from './url.js';

export type { PgLedgerOptions };

export interface PgDurability {
  synchronousCommit: string;
  fsync: string;
}

export class PgLedger implements LedgerStore {
  /** The URL with its password redacted: safe to print. */
  readonly location: string;
  readonly #url: string;
  readonly #pool: pg.Pool;
  readonly #columns: string;
  #closed: Promise<void> | null = null;

  private constructor(url: string, pool: pg.Pool, readonly binding: LedgerBinding, readonly readOnly: boolean, readonly schemaVersion: number) {
    this.#url = url;
    this.location = redactLocation(url);
    this.#pool = pool;
    this.#columns = schemaVersion >= 2 ? V2_ENTRY_COLUMNS : ENTRY_COLUMNS;
  }

  /**
   * Open (creating the tables if needed, migrating an older version) a ledger for
   * writing, bound to `binding`; a ledger bound to another spec or key is refused.
   */
  static async openForWriting(url: string, binding: LedgerBinding, o: PgLedgerOptions = {}): Promise<PgLedger> {
    const pool = openPool(url, o);
    const where = redactLocation(url);
    try {
      const c = await checkOut(pool);
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
        await migrateTo(c);
        const existing = await readBinding(c);
        if (existing === null) {
          const put = 'INSERT INTO meta (k, v) VALUES ($1, $2)';
          await c.query(put, ['spec_id', binding.specId]);
          await c.query(put, ['key_fingerprint', binding.keyFingerprint]);
          await c.query(put, ['spec_json', binding.specJson]);
        } else if (existing.specId !== binding.specId || existing.keyFingerprint !== binding.keyFingerprint) {
          throw new LedgerError(
            `ledger ${where} belongs to spec ${existing.specId} (key ${existing.keyFingerprint}), not ${binding.specId} (key ${binding.keyFingerprint}): use a new database for a new spec or key`,
          );
        }
        await c.query("INSERT INTO meta (k, v) VALUES ('schema', $1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", [String(LEDGER_SCHEMA_VERSION)]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        checkIn(c);
      }
      return new PgLedger(url, pool, binding, false, LEDGER_SCHEMA_VERSION);
    } catch (e) {
      await pool.end().catch(() => {});
      throw asLedgerError(e, url, `cannot use ledger ${where}`);
    }
  }

  /** Open an existing ledger for queries (lookup, export-filter, attribution); changes nothing. */
  static async openForReading(url: string, o: PgLedgerOptions = {}): Promise<PgLedger> {
    const pool = openPool(url, o);
    const where = redactLocation(url);
    try {
      const version = await readVersion(pool);
      if (version === null) throw new LedgerError(`${where} is not a tracemark ledger (no ledger tables)`);
      const binding = await readBinding(pool);
      if (binding === null) throw new LedgerError(`${where} is not a tracemark ledger (no spec binding)`);
      return new PgLedger(url, pool, binding, true, version);
    } catch (e) {
      await pool.end().catch(() => {});
      throw asLedgerError(e, url, `cannot read ledger ${where}`);
    }
  }

  async record(r: ResponseRecord): Promise<number> {
    this.#writable();
    const res = await this.#run(() => this.#pool.query<{ seq: string }>(insertQuery(this.binding.specId, r)));
    return Number(res.rows[0]!.seq);
  }

  /** Several responses in one statement (one durable commit): all or none. */
  async recordMany(rs: readonly ResponseRecord[]): Promise<number[]> {
    this.#writable();
    if (rs.length === 0) return [];
    if (rs.length === 1) return [await this.record(rs[0]!)];
    const res = await this.#run(() =>
      this.#pool.query<{ seq: string; response_id: string; choice: number }>({ name: 'tracemark_insert_batch', text: INSERT_BATCH, values: batchParams(WRITE_LOCK, this.binding.specId, rs) }),
    );
    const seqOf = new Map(res.rows.map((x) => [`${x.choice} ${x.response_id}`, Number(x.seq)]));
    return rs.map((r) => seqOf.get(`${r.choice} ${r.responseId}`)!);
  }

  async lookupTextSha256(sha256Hex: string): Promise<LedgerEntry[]> {
    const r = await this.#query<PgRow>(`SELECT ${this.#columns} FROM responses WHERE text_sha256 = $1 ORDER BY seq`, [sha256Hex.toLowerCase()]);
    return r.rows.map(toEntry);
  }

  async entry(seq: number): Promise<LedgerEntry | null> {
    const r = await this.#query<PgRow>(`SELECT ${this.#columns} FROM responses WHERE seq = $1`, [seq]);
    return r.rows[0] ? toEntry(r.rows[0]) : null;
  }

  async firstResponseForWindow(hash: bigint): Promise<LedgerEntry | null> {
    const r = await this.#query<PgRow>(`SELECT ${this.#columns} FROM responses WHERE seq = (SELECT first_seq FROM windows WHERE hash = $1::bigint)`, [
      toSigned(hash).toString(),
    ]);
    return r.rows[0] ? toEntry(r.rows[0]) : null;
  }

  async windowsOf(seq: number): Promise<BigUint64Array> {
    const r = await this.#query<{ windows: Buffer }>('SELECT windows FROM responses WHERE seq = $1', [seq]);
    if (!r.rows[0]) throw new LedgerError(`no response with seq ${seq}`);
    return unpackU64(r.rows[0].windows);
  }

  async windowsForAccounts(q: WindowQuery): Promise<WindowsResult> {
    if (q.accounts.length === 0) throw new LedgerError('no accounts given');
    const r = await this.#query<{ account: string; windows: Buffer }>(
      'SELECT account, windows FROM responses WHERE account = ANY($1::text[]) AND created_ms >= $2 AND created_ms < $3 ORDER BY seq',
      [q.accounts, q.sinceMs ?? -8.64e15, q.untilMs ?? 8.64e15],
    );
    const all = new Set<bigint>();
    const perAccount: Record<string, number> = Object.fromEntries(q.accounts.map((a) => [a, 0]));
    for (const row of r.rows) {
      perAccount[row.account] = (perAccount[row.account] ?? 0) + 1;
      for (const w of unpackU64(row.windows)) all.add(w);
    }
    return { windows: sortUnique(all), responses: r.rows.length, perAccount };
  }

  async accountWindows(): Promise<AccountWindowsRow[]> {
    const r = await this.#query<{ account: string; account_id: string | null; windows: Buffer }>('SELECT account, account_id, windows FROM responses ORDER BY seq');
    const acc = new Map<string, AccountWindowsRow>();
    for (const row of r.rows) {
      let a = acc.get(row.account);
      if (!a) acc.set(row.account, (a = { account: row.account, accountId: row.account_id === null ? null : Number(row.account_id), windows: new Set() }));
      for (const w of unpackU64(row.windows)) a.windows.add(w);
    }
    return [...acc.values()];
  }

  async stats(): Promise<LedgerCounts> {
    const r = await this.#query<{ n: string; a: string; t: string }>(
      'SELECT count(*) AS n, count(DISTINCT account) AS a, COALESCE(sum(completion_tokens), 0) AS t FROM responses',
    );
    const w = await this.#query<{ n: string }>('SELECT count(*) AS n FROM windows');
    const row = r.rows[0]!;
    return { responses: Number(row.n), windows: Number(w.rows[0]!.n), accounts: Number(row.a), completionTokens: Number(row.t) };
  }

  /** The window hash → first seq table, for checks (hash as u64). */
  async firstSeqOf(hash: bigint): Promise<number | null> {
    const r = await this.#query<{ s: string }>('SELECT first_seq AS s FROM windows WHERE hash = $1::bigint', [toSigned(hash).toString()]);
    return r.rows[0] ? Number(r.rows[0].s) : null;
  }

  /** The server's durability settings this ledger's commits get. */
  async durability(): Promise<PgDurability> {
    const r = await this.#query<{ s: string; f: string }>("SELECT current_setting('synchronous_commit') AS s, current_setting('fsync') AS f");
    return { synchronousCommit: r.rows[0]!.s, fsync: r.rows[0]!.f };
  }

  /** Wait for running queries, close the connections (idempotent). */
  close(): Promise<void> {
    this.#closed ??= this.#pool.end().catch(() => {});
    return this.#closed;
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  #writable(): void {
    if (this.#closed) throw new LedgerError('ledger is closed');
    if (this.readOnly) throw new LedgerError('ledger is open read-only');
  }

  #query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new LedgerError('ledger is closed');
    return this.#run(() => this.#pool.query<R>(sql, params));
  }

  async #run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw asLedgerError(e, this.#url, `ledger ${this.location}`);
    }
  }
}

/** A named statement: each connection parses and plans it once, then only binds and runs it. */
function insertQuery(specId: string, r: ResponseRecord): pg.QueryConfig {
  return { name: 'tracemark_insert_response', text: INSERT_RESPONSE, values: insertParams(WRITE_LOCK, specId, r) };
}

async function readBinding(c: { query: pg.Pool['query'] }): Promise<LedgerBinding | null> {
  const r = await c.query<{ k: string; v: string }>('SELECT k, v FROM meta');
  const m = new Map(r.rows.map((x) => [x.k, x.v]));
  const specId = m.get('spec_id');
  const keyFingerprint = m.get('key_fingerprint');
  const specJson = m.get('spec_json');
  if (specId === undefined || keyFingerprint === undefined || specJson === undefined) return null;
  const schema = Number(m.get('schema') ?? LEDGER_SCHEMA_VERSION);
  if (schema > LEDGER_SCHEMA_VERSION) throw new LedgerError(unsupported(schema));
  return { specId, keyFingerprint, specJson };
}

/** A LedgerError as is; anything else prefixed, on one line, with the URL's secrets scrubbed. */
function asLedgerError(e: unknown, url: string, prefix: string): LedgerError {
  if (e instanceof LedgerError) return new LedgerError(scrub(e.message, url));
  const err = e as Error & { code?: string };
  const msg = (err.message || err.code || String(e)).split('\n')[0]!;
  return new LedgerError(scrub(`${prefix}: ${msg}`, url));
}
