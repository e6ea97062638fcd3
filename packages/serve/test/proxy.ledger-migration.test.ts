/**
 * Ledger schema 2 (the proxy's params, upstream_id, token_ids columns) and its
 * migration: a version-1 ledger (the exact schema of the watermarking server before
 * the proxy) opens for reading as version 1, and opening it for writing migrates it to
 * version 2 in place — old rows intact with NULLs in the new columns, new rows carrying
 * them. A version from the future is refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Ledger, LEDGER_SCHEMA_VERSION, type ResponseRecord } from '../src/index.js';
import { engineMarking } from './proxy-helpers.js';

const V1_SCHEMA = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE responses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, response_id TEXT NOT NULL, choice INTEGER NOT NULL, account TEXT NOT NULL,
  account_id INTEGER, created_at TEXT NOT NULL, created_ms INTEGER NOT NULL, spec_id TEXT NOT NULL, model_id TEXT NOT NULL,
  endpoint TEXT NOT NULL, finish_reason TEXT NOT NULL, text_sha256 TEXT NOT NULL, prompt_sha256 TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, window_count INTEGER NOT NULL, windows BLOB NOT NULL,
  UNIQUE (response_id, choice));
CREATE INDEX responses_by_text ON responses (text_sha256);
CREATE INDEX responses_by_account ON responses (account, created_ms);
CREATE TABLE windows (hash INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL);
`;

const mark = engineMarking({ scheme: 'vllm/gumbel' }, 'proxy-migration');
const SHA_OLD = 'a'.repeat(64);
const SHA_NEW = 'b'.repeat(64);

function v1Ledger(path: string, schema = '1'): void {
  const db = new Database(path);
  db.exec(V1_SCHEMA);
  const put = db.prepare('INSERT INTO meta (k, v) VALUES (?, ?)');
  put.run('schema', schema);
  put.run('spec_id', mark.binding.specId);
  put.run('key_fingerprint', mark.binding.keyFingerprint);
  put.run('spec_json', mark.binding.specJson);
  db.prepare(
    `INSERT INTO responses (response_id, choice, account, account_id, created_at, created_ms, spec_id, model_id, endpoint, finish_reason,
       text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows)
     VALUES ('cmpl-old', 0, 'acct-1', 1, '2026-01-01T00:00:00.000Z', 1767225600000, ?, 'm', 'completions', 'stop', ?, ?, 3, 5, 0, x'')`,
  ).run(mark.binding.specId, SHA_OLD, SHA_OLD);
  db.close();
}

const record: ResponseRecord = {
  responseId: 'px-new',
  choice: 0,
  account: 'acct-2',
  accountId: 2,
  created: new Date(1767225601000),
  modelId: 'upstream-model',
  endpoint: 'chat.completions',
  finishReason: 'length',
  textSha256: SHA_NEW,
  promptSha256: SHA_NEW,
  promptTokens: 4,
  completionTokens: 7,
  windows: [],
  params: '{"temperature":0.7}',
  upstreamId: 'chatcmpl-up',
  tokenIds: Uint32Array.from([0, 1, 4294967295]),
};

describe('ledger schema 2 and the migration from 1', () => {
  it('a version-1 ledger reads as version 1, then migrates on opening for writing; old rows keep their values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracemark-ledger-migration-'));
    const path = join(dir, 'v1.sqlite');
    v1Ledger(path);
    const r1 = Ledger.openForReading(path);
    expect(r1.schemaVersion).toBe(1);
    const old = r1.lookupTextSha256(SHA_OLD)[0]!;
    expect(old).toMatchObject({ responseId: 'cmpl-old', account: 'acct-1', completionTokens: 5 });
    expect('params' in old).toBe(false);
    r1.close();

    const w = Ledger.openForWriting(path, mark.binding);
    expect(w.schemaVersion).toBe(LEDGER_SCHEMA_VERSION);
    expect(LEDGER_SCHEMA_VERSION).toBe(2);
    w.record(record);
    w.close();

    const r2 = Ledger.openForReading(path);
    try {
      expect(r2.schemaVersion).toBe(2);
      expect(r2.lookupTextSha256(SHA_OLD)[0]).toMatchObject({ seq: 1, responseId: 'cmpl-old', params: null, upstreamId: null, tokenIds: null });
      const n = r2.lookupTextSha256(SHA_NEW)[0]!;
      expect(n).toMatchObject({ seq: 2, responseId: 'px-new', account: 'acct-2', params: '{"temperature":0.7}', upstreamId: 'chatcmpl-up' });
      expect(Array.from(n.tokenIds!)).toEqual([0, 1, 4294967295]);
      expect(r2.stats()).toMatchObject({ responses: 2, accounts: 2 });
    } finally {
      r2.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT v FROM meta WHERE k = 'schema'").get()).toEqual({ v: '2' });
    db.close();
  });

  it('a new ledger is version 2; a version from the future is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracemark-ledger-migration-'));
    const l = Ledger.openForWriting(join(dir, 'new.sqlite'), mark.binding);
    expect(l.record(record)).toBe(1);
    expect(l.entry(1)).toMatchObject({ params: '{"temperature":0.7}', upstreamId: 'chatcmpl-up' });
    l.close();
    const future = join(dir, 'v3.sqlite');
    v1Ledger(future, '3');
    expect(() => Ledger.openForReading(future)).toThrow(/schema version 3 is not supported \(this build reads 1–2\)/);
    expect(() => Ledger.openForWriting(future, mark.binding)).toThrow(/schema version 3 is not supported/);
  });
});
