/**
 * The PostgreSQL ledger (PgLedger) on a throwaway PostgreSQL: u64 window hashes stored
 * exactly (≥ 2^63 included), versioned migrations recorded in the database, the binding
 * check, concurrent writers (seq in commit order, first writer of a window = smallest
 * seq, windows deduplicated per response), passwords never in messages, and the same
 * answers as SQLite for the same records (export-filter, lookup, info, attribution).
 * Skips loudly without PostgreSQL binaries; mandatory under TRACEMARK_CI=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { promptSet } from '@tracemark/corpora';
import { specId, windowHashesOf } from '@tracemark/detector';
import { attributeCloneAccounts, ledgerAccounts } from '@tracemark/investigate';
import { generateTextSync, referenceModel } from '@tracemark/lm';
import { canonicalSpecJson, Embedder, parseSpec, seededRng, Watermark, WatermarkKey } from '@tracemark/watermark';
import {
  encodeFilterBinary,
  exportFilter,
  ledgerInfo,
  Ledger,
  LedgerError,
  lookupText,
  openLedgerStore,
  PgLedger,
  type LedgerBinding,
  type LedgerStore,
  type ResponseRecord,
} from '../src/index.js';
import { openPool } from '../src/ledger/pg/pool.js';
import { migrateTo, WRITE_LOCK } from '../src/ledger/pg/schema.js';
import { describePostgres, usePostgres } from './helpers/postgres-vitest.js';

const binding: LedgerBinding = { specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), specJson: '{"version":1}' };
const TOP = (1n << 64n) - 1n;
const HIGH = 1n << 63n;

/** Deterministic records: windows drawn from a small pool (so responses share windows, and a response repeats some), many ≥ 2^63. */
function makeRecords(n: number, seed: string, prefix = 'r'): ResponseRecord[] {
  const rng = seededRng(seed);
  const pool = Array.from({ length: 300 }, (_, i) => (i < 4 ? [0n, HIGH - 1n, HIGH, TOP][i]! : BigInt.asUintN(64, (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32)))));
  return Array.from({ length: n }, (_, i) => ({
    responseId: `${prefix}-${i}`,
    choice: i % 3 === 2 ? 1 : 0,
    account: `acct-${Math.floor(rng() * 4)}`,
    accountId: i % 5 === 0 ? null : (i % 4) + 1,
    created: new Date(1_700_000_000_000 + i * 1000),
    modelId: 'm',
    endpoint: i % 2 ? 'chat.completions' : 'completions',
    finishReason: 'stop',
    textSha256: (i % 7 === 3 ? 'c'.repeat(64) : (i.toString(16) + 'd'.repeat(64)).slice(0, 64)),
    promptSha256: 'e'.repeat(64),
    promptTokens: 5,
    completionTokens: 10 + i,
    windows: Array.from({ length: 1 + Math.floor(rng() * 40) }, () => pool[Math.floor(rng() * pool.length)]!),
    // Batches send columns as arrays: quotes, backslashes, commas, braces and NULLs must survive.
    params: i % 4 === 1 ? JSON.stringify({ stop: ['a,b', '\\', '"', '{x}', 'NULL'], t: 'é ✓' }) : i % 2 ? '{"temperature":0.7}' : null,
    upstreamId: i % 2 ? `up-${i}` : null,
    tokenIds: i % 3 === 0 ? Uint32Array.from([i, 4_000_000_000, 7]) : null,
  }));
}

const server = usePostgres({ track_commit_timestamp: 'on' });
let dir: string;
let n = 0;
const freshDb = (): Promise<string> => server().createDatabase(`t${++n}`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-pgledger-'));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

describePostgres('PgLedger', () => {
  it('stores u64 window hashes exactly (0, 2^63 − 1, 2^63, 2^64 − 1) and answers every LedgerStore question', async () => {
    const url = await freshDb();
    const w = await PgLedger.openForWriting(url, binding);
    const seq = await w.record({ ...makeRecords(1, 'x')[0]!, windows: [TOP, HIGH, 0n, HIGH - 1n, TOP] });
    expect(seq).toBe(1);
    expect([...(await w.windowsOf(1))]).toEqual([0n, HIGH - 1n, HIGH, TOP]);
    for (const h of [0n, HIGH - 1n, HIGH, TOP]) expect((await w.firstResponseForWindow(h))?.seq).toBe(1);
    expect(await w.firstResponseForWindow(HIGH + 1n)).toBeNull();
    // The table holds the signed bits (as SQLite's INTEGER): 2^64 − 1 is −1.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const rows = (await c.query<{ hash: string }>('SELECT hash::text AS hash FROM windows ORDER BY windows.hash')).rows.map((r) => r.hash);
    await c.end();
    expect(rows).toEqual(['-9223372036854775808', '-1', '0', '9223372036854775807']);
    expect((await w.entry(1))?.tokenIds).toEqual(Uint32Array.from([0, 4_000_000_000, 7]));
    expect(await w.stats()).toEqual({ responses: 1, windows: 4, accounts: 1, completionTokens: 10 });
    await w.close();
    await w.close(); // idempotent
    await expect(Promise.resolve().then(() => w.record(makeRecords(1, 'y')[0]!))).rejects.toThrow(/closed/);
  });

  it('records its migrations; reopening applies none; a newer schema is refused in one line', async () => {
    const url = await freshDb();
    await (await PgLedger.openForWriting(url, binding)).close();
    await (await PgLedger.openForWriting(url, binding)).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const m = (await c.query<{ version: number; description: string }>('SELECT version, description FROM tracemark_migrations ORDER BY version')).rows;
      expect(m.map((r) => r.version)).toEqual([1, 2]);
      expect((await c.query("SELECT v FROM meta WHERE k = 'schema'")).rows[0].v).toBe('2');
      const r = await PgLedger.openForReading(url);
      expect(r.schemaVersion).toBe(2);
      await r.close();
      await c.query("INSERT INTO tracemark_migrations (version, description) VALUES (3, 'from the future')");
    } finally {
      await c.end();
    }
    await expect(PgLedger.openForWriting(url, binding)).rejects.toThrow(/^cannot use ledger postgres:\/\/tracemark:\*\*\*@127\.0\.0\.1:\d+\/t\d+: ledger schema version 3 is not supported \(this build reads 1–2\)$/);
    await expect(PgLedger.openForReading(url)).rejects.toThrow(/schema version 3 is not supported/);
  });

  it('migrates a version-1 database to 2 in place (old rows get NULLs); a reader reads version 1 as it is', async () => {
    const url = await freshDb();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await migrateTo(c, 1);
      for (const [k, v] of [['schema', '1'], ['spec_id', binding.specId], ['key_fingerprint', binding.keyFingerprint], ['spec_json', binding.specJson]]) await c.query('INSERT INTO meta (k, v) VALUES ($1, $2)', [k, v]);
      await c.query(
        `INSERT INTO responses (response_id, choice, account, account_id, created_at, created_ms, spec_id, model_id, endpoint, finish_reason,
           text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows)
         VALUES ('old', 0, 'acct-0', 7, '2023-11-14T22:13:20.000Z', 1700000000000, $1, 'm', 'completions', 'stop', $2, $3, 5, 10, 0, ''::bytea)`,
        [binding.specId, 'c'.repeat(64), 'e'.repeat(64)],
      );
      await c.query('COMMIT');
    } finally {
      c.release();
      await pool.end();
    }
    const v1 = await PgLedger.openForReading(url);
    expect(v1.schemaVersion).toBe(1);
    const old = await v1.entry(1);
    expect(old).toMatchObject({ responseId: 'old', accountId: 7, createdMs: 1_700_000_000_000 });
    expect(old).not.toHaveProperty('params');
    await v1.close();
    const w = await PgLedger.openForWriting(url, binding);
    expect(await w.record(makeRecords(1, 'new', 'new')[0]!)).toBe(2);
    expect(await w.entry(1)).toMatchObject({ responseId: 'old', params: null, upstreamId: null, tokenIds: null });
    await w.close();
    const q = new pg.Client({ connectionString: url });
    await q.connect();
    expect((await q.query('SELECT version FROM tracemark_migrations ORDER BY version')).rows.map((r: { version: number }) => r.version)).toEqual([1, 2]);
    expect((await q.query("SELECT v FROM meta WHERE k = 'schema'")).rows[0].v).toBe('2');
    await q.end();
  });

  it('refuses a ledger bound to another spec or key with one line; an empty database is not a ledger; no message holds the password', async () => {
    const url = await freshDb();
    await (await PgLedger.openForWriting(url, binding)).close();
    for (const other of [{ ...binding, specId: 'f'.repeat(64) }, { ...binding, keyFingerprint: '9'.repeat(32) }]) {
      const e = await PgLedger.openForWriting(url, other).catch((x: Error) => x);
      expect(e).toBeInstanceOf(LedgerError);
      expect((e as Error).message).toMatch(/^ledger postgres:\/\/tracemark:\*\*\*@127\.0\.0\.1:\d+\/t\d+ belongs to spec a{64} \(key b{32}\), not [0-9a-f]{64} \(key [0-9a-f]{32}\): use a new database for a new spec or key$/);
    }
    const empty = await freshDb();
    await expect(openLedgerStore(empty)).rejects.toThrow(/is not a tracemark ledger \(no ledger tables\)/);
    const wrong = url.replace(server().password, 'not-the-password');
    for (const bad of [wrong, url.replace(/:\d+\//, ':1/')]) {
      const e = (await openLedgerStore(bad, { binding }).catch((x: Error) => x)) as Error;
      expect(e).toBeInstanceOf(LedgerError);
      expect(e.message).not.toContain(server().password);
      expect(e.message).not.toContain('not-the-password');
      expect(e.message.split('\n')).toHaveLength(1);
    }
    expect(((await openLedgerStore(wrong, { binding }).catch((x: Error) => x)) as Error).message).toMatch(/password authentication failed/);
  });

  it('several writers at once: seq 1…N in commit order, each window first claimed by its smallest seq, windows deduplicated per response', async () => {
    const url = await freshDb();
    const writers = await Promise.all(Array.from({ length: 4 }, () => PgLedger.openForWriting(url, binding)));
    const recs = writers.map((_, k) => makeRecords(60, `w${k}`, `w${k}`));
    // Each writer commits batches of 1–4 rows (what LedgerWriter does), all writers at once.
    await Promise.all(
      writers.map(async (wr, k) => {
        const rs = recs[k]!;
        for (let i = 0; i < rs.length; ) {
          const m = 1 + ((i + k) % 4);
          await wr.recordMany(rs.slice(i, i + m));
          i += m;
        }
      }),
    );
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const rows = (await c.query<{ seq: string; response_id: string; windows: Buffer; ts: Date }>(
        'SELECT seq, response_id, windows, pg_xact_commit_timestamp(xmin) AS ts FROM responses ORDER BY seq',
      )).rows;
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
      // Commit order: a transaction's rows never commit before a smaller seq's.
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.ts.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.ts.getTime());
      const byId = new Map(recs.flat().map((r) => [r.responseId, r]));
      const firstSeq = new Map<bigint, number>();
      for (const r of rows) {
        const stored = await writers[0]!.windowsOf(Number(r.seq));
        const want = [...new Set(byId.get(r.response_id)!.windows)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect([...stored]).toEqual(want);
        for (const h of want) if (!firstSeq.has(h)) firstSeq.set(h, Number(r.seq));
      }
      const table = (await c.query<{ hash: string; first_seq: string }>('SELECT hash::text, first_seq FROM windows')).rows;
      expect(table.length).toBe(firstSeq.size);
      for (const t of table) expect(Number(t.first_seq)).toBe(firstSeq.get(BigInt.asUintN(64, BigInt(t.hash))));
      for (const [h, s] of [...firstSeq].slice(0, 20)) expect((await writers[1]!.firstResponseForWindow(h))?.seq).toBe(s);
    } finally {
      await c.end();
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  it('a session stalled inside a transaction holding the write lock is cut off by PostgreSQL; the writers then commit', async () => {
    const url = await freshDb();
    const w = await PgLedger.openForWriting(url, binding);
    const warnings: string[] = [];
    const stalled = openPool(url, { idleInTransactionTimeoutMs: 400, warn: (m) => warnings.push(m) });
    const c = await stalled.connect();
    c.on('error', () => {}); // PostgreSQL will end this session: that is the point
    expect((await c.query('SHOW idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout).toBe('400ms');
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [WRITE_LOCK]); // …and then nothing (a stopped replica)
    const t0 = performance.now();
    expect(await w.record(makeRecords(1, 'after-stall')[0]!)).toBe(1);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThan(300); // it did wait for the lock…
    await expect(c.query('SELECT 1')).rejects.toThrow(/terminat|idle-in-transaction|Connection/i); // …until PostgreSQL ended the stalled session
    c.release(true);
    await stalled.end();
    await w.close();
  });

  it('a failed batch writes nothing (all or none)', async () => {
    const url = await freshDb();
    const w = await PgLedger.openForWriting(url, binding);
    const [a, b] = makeRecords(2, 'ab');
    await w.record(a!);
    await expect(w.recordMany([b!, a!])).rejects.toThrow(/duplicate key/); // a's (response_id, choice) again
    expect((await w.stats()).responses).toBe(1);
    await w.close();
  });

  it('the same records in SQLite and PostgreSQL give the same export-filter, lookup, info, entries and windows', async () => {
    const url = await freshDb();
    const path = join(dir, 'same.sqlite');
    const recs = makeRecords(80, 'same');
    const stores: LedgerStore[] = [await openLedgerStore(path, { binding }), await openLedgerStore(url, { binding })];
    expect(stores[0]).toBeInstanceOf(Ledger);
    expect(stores[1]).toBeInstanceOf(PgLedger);
    for (const s of stores) {
      for (let i = 0; i < recs.length; i += 5) await s.recordMany(recs.slice(i, i + 5));
      await s.close();
    }
    const answers = async (loc: string): Promise<unknown> => {
      const s = await openLedgerStore(loc);
      try {
        const f = await exportFilter(s, { accounts: ['acct-1', 'acct-3', 'nobody'], sinceMs: 1_700_000_010_000, untilMs: 1_700_000_070_000 });
        const all = await exportFilter(s, { accounts: ['acct-0', 'acct-1', 'acct-2', 'acct-3'] });
        const fixed = { ...f.header, created: 'x' };
        const entries = [];
        for (let q = 1; q <= recs.length; q++) entries.push({ e: await s.entry(q), w: [...(await s.windowsOf(q))] });
        const firsts = [];
        for (const h of all.windows) firsts.push((await s.firstResponseForWindow(h))?.seq);
        return {
          filter: Buffer.from(encodeFilterBinary(fixed, f.windows)).toString('base64'),
          missing: f.missing,
          allCount: all.windows.length,
          lookup: await lookupText(s, 'C'.repeat(64)),
          info: await ledgerInfo(s),
          entries,
          firsts,
          accounts: (await s.accountWindows()).map((a) => ({ ...a, windows: [...a.windows].sort() })),
          binding: s.binding,
          schema: s.schemaVersion,
        };
      } finally {
        await s.close();
      }
    };
    const [a, b] = [await answers(path), await answers(url)];
    expect((a as { lookup: { responses: unknown[] } }).lookup.responses.length).toBeGreaterThan(5);
    expect((a as { allCount: number }).allCount).toBeGreaterThan(100);
    expect(b).toEqual(a);
  });

  it('attribution reads both backends alike: the same accounts, windows and verdict (a clone of acct-3 named on both)', async () => {
    const key = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255));
    const spec = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2 }, keyFingerprint: key.fingerprint });
    const b: LedgerBinding = { specId: specId(spec), keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) };
    const wm = new Watermark(spec, key);
    const emb = new Embedder(wm);
    const model = referenceModel();
    const ps = promptSet(4 * 6, 21);
    const served = ps.map((prompt, i) => ({ account: `acct-${i % 4}`, ...generateTextSync({ model, watermark: emb, prompt, maxTokens: 60, seed: `att/${i}` }) }));
    const recs: ResponseRecord[] = served.map((x, i) => ({
      ...makeRecords(1, `att${i}`)[0]!,
      responseId: `att-${i}`,
      account: x.account,
      accountId: null,
      windows: windowHashesOf(wm, [x]),
    }));
    const url = await freshDb();
    const path = join(dir, 'attr.sqlite');
    for (const loc of [path, url]) {
      const s = await openLedgerStore(loc, { binding: b });
      await s.recordMany(recs);
      await s.close();
    }
    const transcript = join(dir, 'clone.jsonl');
    writeFileSync(transcript, served.filter((x) => x.account === 'acct-3').map((x, i) => JSON.stringify({ id: `q${i}`, prompt: 'Tell me', text: x.text })).join('\n') + '\n');
    const [accA, accB] = [await ledgerAccounts(path, spec), await ledgerAccounts(url, spec)];
    expect(accB).toEqual(accA);
    expect(accA.map((a) => a.account)).toEqual(['acct-0', 'acct-1', 'acct-2', 'acct-3']);
    const run = (ledger: string) => attributeCloneAccounts({ spec, key, transcript, ledger, alpha: 1e-3 });
    const [ra, rb] = [await run(path), await run(url)];
    expect(rb).toEqual(ra);
    expect(ra.named).toEqual(['acct-3']);
  }, 120_000);
});
