/**
 * The LedgerStore seam: LedgerWriter and the ledger queries over a store with
 * asynchronous I/O (an in-memory stand-in for a database client), and the SQLite
 * Ledger answering the same queries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  exportFilter,
  filterFormatOf,
  Ledger,
  ledgerInfo,
  LedgerWriter,
  lookupText,
  sortUnique,
  type AccountWindowsRow,
  type LedgerBinding,
  type LedgerEntry,
  type LedgerStore,
  type ResponseRecord,
  type WindowQuery,
  type WindowsResult,
} from '../src/index.js';

const binding: LedgerBinding = { specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), specJson: '{}' };
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/** Every call answers after a timer, like a network round trip. */
class AsyncMemoryStore implements LedgerStore {
  readonly binding = binding;
  readonly schemaVersion = 1;
  readonly rows: (ResponseRecord & { seq: number; windowList: bigint[] })[] = [];
  transactions = 0;
  closed = false;

  async record(r: ResponseRecord): Promise<number> {
    return (await this.recordMany([r]))[0]!;
  }
  async recordMany(rs: readonly ResponseRecord[]): Promise<number[]> {
    await tick();
    this.transactions++;
    return rs.map((r) => {
      const seq = this.rows.length + 1;
      this.rows.push({ ...r, seq, windowList: [...sortUnique(r.windows)] });
      return seq;
    });
  }
  #entry(r: (typeof this.rows)[number]): LedgerEntry {
    return {
      seq: r.seq, responseId: r.responseId, choice: r.choice, account: r.account, accountId: r.accountId, createdAt: r.created.toISOString(),
      createdMs: r.created.getTime(), specId: binding.specId, modelId: r.modelId, endpoint: r.endpoint, finishReason: r.finishReason,
      textSha256: r.textSha256, promptSha256: r.promptSha256, promptTokens: r.promptTokens, completionTokens: r.completionTokens,
      windowCount: r.windowList.length,
    };
  }
  async lookupTextSha256(sha: string): Promise<LedgerEntry[]> {
    await tick();
    return this.rows.filter((r) => r.textSha256 === sha.toLowerCase()).map((r) => this.#entry(r));
  }
  async entry(seq: number): Promise<LedgerEntry | null> {
    const r = this.rows[seq - 1];
    return r ? this.#entry(r) : null;
  }
  async firstResponseForWindow(hash: bigint): Promise<LedgerEntry | null> {
    const r = this.rows.find((x) => x.windowList.includes(hash));
    return r ? this.#entry(r) : null;
  }
  async windowsOf(seq: number): Promise<BigUint64Array> {
    return BigUint64Array.from(this.rows[seq - 1]!.windowList);
  }
  async windowsForAccounts(q: WindowQuery): Promise<WindowsResult> {
    await tick();
    const perAccount: Record<string, number> = Object.fromEntries(q.accounts.map((a) => [a, 0]));
    const all: bigint[] = [];
    let responses = 0;
    for (const r of this.rows) {
      const ms = r.created.getTime();
      if (!q.accounts.includes(r.account) || ms < (q.sinceMs ?? -Infinity) || ms >= (q.untilMs ?? Infinity)) continue;
      responses++;
      perAccount[r.account]!++;
      all.push(...r.windowList);
    }
    return { windows: sortUnique(all), responses, perAccount };
  }
  async accountWindows(): Promise<AccountWindowsRow[]> {
    const m = new Map<string, AccountWindowsRow>();
    for (const r of this.rows) {
      const a = m.get(r.account) ?? { account: r.account, accountId: r.accountId, windows: new Set<bigint>() };
      m.set(r.account, a);
      for (const w of r.windowList) a.windows.add(w);
    }
    return [...m.values()];
  }
  async stats() {
    const accounts = new Set(this.rows.map((r) => r.account)).size;
    const windows = new Set(this.rows.flatMap((r) => r.windowList)).size;
    return { responses: this.rows.length, windows, accounts, completionTokens: this.rows.reduce((s, r) => s + r.completionTokens, 0) };
  }
  async close(): Promise<void> {
    await tick();
    this.closed = true;
  }
}

function rec(i: number, account: string, windows: bigint[], created = new Date(Date.UTC(2025, 0, 1 + i))): ResponseRecord {
  return {
    responseId: `cmpl-${i}`, choice: 0, account, accountId: null, created, modelId: 'm', endpoint: 'completions', finishReason: 'stop',
    textSha256: String(i).padStart(64, '0'), promptSha256: 'f'.repeat(64), promptTokens: 3, completionTokens: 10 + i, windows,
  };
}

describe('LedgerWriter over an asynchronous store', () => {
  it('group-commits simultaneous appends, keeps their order, settles after the commit, and commits pending rows on close', async () => {
    const store = new AsyncMemoryStore();
    const w = new LedgerWriter(store);
    await Promise.all([w.append(rec(1, 'a', [3n, 1n])), w.append(rec(2, 'b', [2n])), w.append(rec(3, 'a', [1n]))]);
    expect(store.transactions).toBe(1);
    expect(store.rows.map((r) => r.responseId)).toEqual(['cmpl-1', 'cmpl-2', 'cmpl-3']);
    expect(w.committed).toBe(3);
    const late = w.append(rec(4, 'c', [9n]));
    await w.close();
    await late;
    expect(store.rows).toHaveLength(4);
    expect(store.closed).toBe(true);
    await expect(w.append(rec(5, 'c', []))).rejects.toThrow('ledger writer is closed');
    expect(w.close()).toBe(w.close()); // idempotent
  });

  it('rejects every append of a failed batch with the store error', async () => {
    const store = new AsyncMemoryStore();
    store.recordMany = async () => {
      throw new Error('connection reset');
    };
    const w = new LedgerWriter(store);
    const rs = await Promise.allSettled([w.append(rec(1, 'a', [])), w.append(rec(2, 'a', []))]);
    expect(rs.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['ledger write failed: connection reset', 'ledger write failed: connection reset']);
  });
});

describe('ledger queries answer the same over SQLite and an asynchronous store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exportFilter, lookupText, ledgerInfo, accountWindows', async () => {
    const records = [rec(1, 'a', [5n, 1n]), rec(2, 'b', [2n, 5n]), rec(40, 'a', [7n])];
    const memory = new AsyncMemoryStore();
    await memory.recordMany(records);
    const sqlite = Ledger.openForWriting(join(dir, 'l.sqlite'), binding);
    sqlite.recordMany(records);
    try {
      for (const store of [memory, sqlite] as LedgerStore[]) {
        const f = await exportFilter(store, { accounts: ['a', 'z'], untilMs: Date.UTC(2025, 1, 1) });
        expect([...f.windows]).toEqual([1n, 5n]);
        expect(f.missing).toEqual(['z']);
        expect(f.header).toMatchObject({ type: 'tracemark-filter', version: 1, specId: binding.specId, accounts: ['a', 'z'], since: null, until: '2025-02-01T00:00:00.000Z', responses: 1, count: 2 });
        const hit = await lookupText(store, '2'.padStart(64, '0').toUpperCase());
        expect(hit.found).toBe(true);
        expect(hit.responses.map((e) => e.account)).toEqual(['b']);
        expect((await lookupText(store, 'e'.repeat(64))).found).toBe(false);
        expect(await ledgerInfo(store)).toEqual({ specId: binding.specId, keyFingerprint: binding.keyFingerprint, responses: 3, windows: 4, accounts: 2, completionTokens: 11 + 12 + 50 });
        const acc = await store.accountWindows();
        expect(acc.map((a) => [a.account, [...a.windows].sort()])).toEqual([['a', [1n, 5n, 7n]], ['b', [2n, 5n]]]);
        expect((await store.firstResponseForWindow(5n))?.responseId).toBe('cmpl-1');
      }
    } finally {
      sqlite.close();
    }
    expect(filterFormatOf('x.bin')).toBe('bin');
    expect(filterFormatOf('x.json')).toBe('json');
    expect(filterFormatOf('x.txt')).toBeUndefined();
    expect(filterFormatOf('x.txt', 'json')).toBe('json');
    expect(filterFormatOf('x.json', 'xml')).toBeUndefined();
  });
});
