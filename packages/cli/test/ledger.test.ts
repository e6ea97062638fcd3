/**
 * The provenance ledger and its filter files, without a server: rows, lookups,
 * the per-account window union, spec binding, durability settings, and both filter
 * encodings (written by the real CLI, read back by loadFilter).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeFilter,
  encodeFilterBinary,
  encodeFilterJson,
  loadFilter,
  type FilterHeader,
  Ledger,
  type ResponseRecord,
  hexToU64,
  packU64,
  pairToBigInt,
  sortUnique,
  u64ToHex,
  unpackU64,
} from '@tracemark/serve';
import { sha256Hex } from '@tracemark/detector';
import { seededRng } from '@tracemark/watermark';
import { runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const rng = seededRng('ledger-test');
const u32 = (): number => Math.floor(rng() * 2 ** 32);
const randomU64 = (): bigint => pairToBigInt(u32(), u32());

const binding = { specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), specJson: '{"version":1}' };

function record(over: Partial<ResponseRecord> & { windows: bigint[] }): ResponseRecord {
  return {
    responseId: `cmpl-${Math.floor(rng() * 1e12)}`,
    choice: 0,
    account: 'acct-1',
    accountId: 1,
    created: new Date('2025-01-01T00:00:00Z'),
    modelId: 'test-model',
    endpoint: 'completions',
    finishReason: 'length',
    textSha256: sha256Hex(String(rng())),
    promptSha256: sha256Hex('prompt'),
    promptTokens: 3,
    completionTokens: over.windows.length,
    ...over,
  };
}

describe('u64 encodings', () => {
  it('round-trip through packed LE bytes, hex and {hi, lo} (top bit set included)', () => {
    const vals = [0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, 0x8000000000000000n, ...Array.from({ length: 50 }, randomU64)];
    const sorted = sortUnique([...vals, ...vals]);
    expect(sorted.length).toBe(new Set(vals).size);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! > sorted[i - 1]!).toBe(true);
    expect([...unpackU64(packU64(sorted))]).toEqual([...sorted]);
    for (const v of vals) expect(hexToU64(u64ToHex(v))).toBe(v);
    // Little-endian: lo word first.
    expect([...packU64(BigUint64Array.of(pairToBigInt(0x01020304, 0x05060708)))]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(pairToBigInt(0xffffffff, 0xffffffff)).toBe(0xffffffffffffffffn);
    expect(() => hexToU64('xyz')).toThrow(/16 lowercase hex/);
  });
});

describe('Ledger', () => {
  it('records rows durably (WAL + synchronous FULL) and answers lookups and window unions', () => {
    const { dir } = makeFixture({ seed: 'ledger-unit' });
    const path = join(dir, 'l.sqlite');
    const w = Ledger.openForWriting(path, binding);
    expect(w.durability()).toEqual({ journalMode: 'wal', synchronous: 2 });
    const shared = randomU64();
    const a1 = [shared, randomU64(), randomU64(), shared]; // duplicate within a response
    const a2 = [randomU64(), randomU64()];
    const b1 = [shared, randomU64()];
    const text = 'the exact text we sent';
    const s1 = w.record(record({ windows: a1, account: 'acct-1', textSha256: sha256Hex(text), created: new Date('2025-01-01T00:00:00Z') }));
    const [s2, s3] = w.recordMany([
      record({ windows: a2, account: 'acct-1', created: new Date('2025-02-01T00:00:00Z') }),
      record({ windows: b1, account: 'acct-2', accountId: 2, created: new Date('2025-03-01T00:00:00Z') }),
    ]);
    expect([s1, s2, s3]).toEqual([1, 2, 3]);
    expect(() => w.record(record({ windows: [], responseId: w.entry(1)!.responseId }))).toThrow(/UNIQUE/);
    w.close();

    const r = Ledger.openForReading(path);
    try {
      expect(r.binding).toEqual(binding);
      const hits = r.lookupTextSha256(sha256Hex(text).toUpperCase());
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ account: 'acct-1', accountId: 1, windowCount: 3, createdAt: '2025-01-01T00:00:00.000Z' });
      expect([...r.windowsOf(1)]).toEqual([...sortUnique(a1)]);
      expect(r.firstResponseForWindow(shared)?.seq).toBe(1);
      expect(r.firstResponseForWindow(b1[1]!)?.account).toBe('acct-2');
      expect(r.firstResponseForWindow(123n)).toBeNull();
      const one = r.windowsForAccounts({ accounts: ['acct-1'] });
      expect(one.responses).toBe(2);
      expect([...one.windows]).toEqual([...sortUnique([...a1, ...a2])]);
      const both = r.windowsForAccounts({ accounts: ['acct-1', 'acct-2'] });
      expect([...both.windows]).toEqual([...sortUnique([...a1, ...a2, ...b1])]);
      const since = r.windowsForAccounts({ accounts: ['acct-1', 'acct-2'], sinceMs: Date.parse('2025-01-15T00:00:00Z'), untilMs: Date.parse('2025-02-15T00:00:00Z') });
      expect(since.responses).toBe(1);
      expect([...since.windows]).toEqual([...sortUnique(a2)]);
      expect(r.stats()).toEqual({ responses: 3, windows: new Set([...a1, ...a2, ...b1]).size, accounts: 2, completionTokens: a1.length + a2.length + b1.length });
      expect(() => r.record(record({ windows: [] }))).toThrow(/read-only/);
    } finally {
      r.close();
    }
  });

  it('refuses a ledger created for another spec or key', () => {
    const { dir } = makeFixture({ seed: 'ledger-bind' });
    const path = join(dir, 'l.sqlite');
    Ledger.openForWriting(path, binding).close();
    expect(() => Ledger.openForWriting(path, { ...binding, specId: 'c'.repeat(64) })).toThrow(/belongs to spec a{64}/);
    Ledger.openForWriting(path, binding).close(); // same spec: fine
    writeFileSync(join(dir, 'not.sqlite'), 'this is not a database, just text that is long enough to be a header'.repeat(4));
    expect(() => Ledger.openForReading(join(dir, 'not.sqlite'))).toThrow(/not a (readable )?tracemark ledger|file is not a database/);
    expect(() => Ledger.openForReading(join(dir, 'missing.sqlite'))).toThrow(/ledger not found/);
  });
});

describe('filter files', () => {
  const header = (count: number): FilterHeader => ({
    type: 'tracemark-filter',
    version: 1,
    specId: 'a'.repeat(64),
    keyFingerprint: 'b'.repeat(32),
    accounts: ['acct-1'],
    since: null,
    until: null,
    created: '2025-01-01T00:00:00.000Z',
    responses: 1,
    count,
  });

  it('JSON and binary encodings decode to the same set, and membership is exact', () => {
    const windows = sortUnique([0xffffffffffffffffn, 0x8000000000000000n, ...Array.from({ length: 2000 }, randomU64)]);
    const fromJson = decodeFilter(new TextEncoder().encode(encodeFilterJson(header(windows.length), windows)));
    const fromBin = decodeFilter(encodeFilterBinary(header(windows.length), windows));
    expect([...fromJson.windows]).toEqual([...windows]);
    expect([...fromBin.windows]).toEqual([...windows]);
    for (const v of windows) {
      expect(fromBin.hasU64(v)).toBe(true);
      expect(fromJson.has(Number(v >> 32n) | 0, Number(v & 0xffffffffn) | 0)).toBe(true); // signed halves work too
    }
    let outside = 0;
    for (let i = 0; i < 2000; i++) {
      const v = randomU64();
      if (fromBin.hasU64(v)) expect(windows.includes(v)).toBe(true);
      else outside++;
    }
    expect(outside).toBe(2000);
  });

  it('corrupt filters are refused with a clear message', () => {
    const windows = sortUnique(Array.from({ length: 10 }, randomU64));
    const bin = encodeFilterBinary(header(windows.length), windows);
    expect(() => decodeFilter(bin.subarray(0, bin.length - 3))).toThrow(/whole number of u64/);
    expect(() => decodeFilter(encodeFilterBinary(header(11), windows))).toThrow(/says 11 windows but the file holds 10/);
    const unsorted = BigUint64Array.from([...windows].reverse());
    expect(() => decodeFilter(encodeFilterBinary(header(10), unsorted))).toThrow(/sorted ascending/);
    expect(() => decodeFilter(new TextEncoder().encode('{"type":"something-else"}'))).toThrow(/not a tracemark filter/);
    expect(() => decodeFilter(new TextEncoder().encode('garbage'))).toThrow(/not a filter file/);
  });

  it('`ledger export-filter` writes both formats with the same windows; --since selects by time', async () => {
    const { dir } = makeFixture({ seed: 'ledger-cli' });
    const path = join(dir, 'l.sqlite');
    const w = Ledger.openForWriting(path, binding);
    const early = [randomU64(), randomU64()];
    const late = [randomU64(), randomU64(), randomU64()];
    w.record(record({ windows: early, account: 'acct-9', created: new Date('2025-01-01T00:00:00Z') }));
    w.record(record({ windows: late, account: 'acct-9', created: new Date('2025-06-01T00:00:00Z') }));
    w.close();
    const [j, b, s] = await Promise.all([
      runInProcess(['ledger', 'export-filter', '--ledger', path, '--accounts', 'acct-9', '--out', join(dir, 'f.json')]),
      runInProcess(['ledger', 'export-filter', '--ledger', path, '--accounts', 'acct-9,acct-none', '--out', join(dir, 'f.bin')]),
      runInProcess(['ledger', 'export-filter', '--ledger', path, '--accounts', 'acct-9', '--since', '2025-03-01', '--out', join(dir, 's.json')]),
    ]);
    expect(j.code, j.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain('no responses in the ledger for acct-none');
    expect(s.code, s.stderr).toBe(0);
    const fj = loadFilter(join(dir, 'f.json'));
    const fb = loadFilter(join(dir, 'f.bin'));
    expect([...fj.windows]).toEqual([...sortUnique([...early, ...late])]);
    expect([...fb.windows]).toEqual([...fj.windows]);
    expect(fb.header.accounts).toEqual(['acct-9', 'acct-none']);
    expect(fj.specId).toBe(binding.specId);
    expect(fj.keyFingerprint).toBe(binding.keyFingerprint);
    const fs = loadFilter(join(dir, 's.json'));
    expect([...fs.windows]).toEqual([...sortUnique(late)]);
    expect(fs.header.since).toBe('2025-03-01T00:00:00.000Z');
    expect(readFileSync(join(dir, 'f.bin')).subarray(0, 8).toString('latin1')).toBe('TMFILTR1');
    expect(() => loadFilter(join(dir, 'missing.bin'))).toThrow(/filter file not found/);
  });
});
