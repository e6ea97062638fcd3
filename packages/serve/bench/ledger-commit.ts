/**
 * What one durable ledger commit costs, alone: sequential `record` calls of a proxy-like
 * row (no windows), one commit each, on the SQLite ledger (WAL, synchronous=FULL) and on
 * PostgreSQL (a throwaway server on loopback, fsync on) with synchronous_commit=on and off.
 * This is the part of the proxy's added latency that the ledger's durability setting
 * decides (docs/SERVE.md §10).
 *
 *   node --conditions=source --import tsx packages/serve/bench/ledger-commit.ts [--commits 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLedgerStore, type LedgerStore, type ResponseRecord } from '../src/index.js';
import { startPostgres } from '../test/helpers/postgres.js';

const { values: args } = parseArgs({ options: { commits: { type: 'string', default: '300' } } });
const N = Number(args.commits);
const binding = { specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), specJson: '{"version":2}' };
const row = (i: number): ResponseRecord => ({
  responseId: `chatcmpl-${i}`, choice: 0, account: 'bench', accountId: 1, created: new Date(), modelId: 'fixed', endpoint: 'chat.completions',
  finishReason: 'stop', textSha256: 'c'.repeat(64), promptSha256: 'd'.repeat(64), promptTokens: 5, completionTokens: 30, windows: [],
  params: '{"model":"fixed"}', upstreamId: `up-${i}`, tokenIds: null,
});

async function time(store: LedgerStore): Promise<{ p50: number; p90: number; mean: number }> {
  for (let i = 0; i < 20; i++) await store.record(row(1_000_000 + i)); // warm-up
  const t: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await store.record(row(i));
    t.push(performance.now() - t0);
  }
  await store.close();
  t.sort((a, b) => a - b);
  return { p50: t[N >> 1]!, p90: t[Math.floor(N * 0.9)]!, mean: t.reduce((a, b) => a + b, 0) / N };
}

const dir = mkdtempSync(join(tmpdir(), 'tracemark-ledger-commit-'));
const pg = await startPostgres();
try {
  const load0 = loadavg();
  const results: [string, Awaited<ReturnType<typeof time>>][] = [];
  results.push(['SQLite, WAL, synchronous=FULL', await time(await openLedgerStore(join(dir, 'l.sqlite'), { binding }))]);
  results.push(['PostgreSQL, synchronous_commit=on', await time(await openLedgerStore(await pg.createDatabase('c_on'), { binding }))]);
  results.push(['PostgreSQL, synchronous_commit=off', await time(await openLedgerStore(`${await pg.createDatabase('c_off')}?options=-c%20synchronous_commit%3Doff`, { binding }))]);
  console.log(`| ledger | commits | p50 ms | p90 ms | mean ms |\n|---|---|---|---|---|`);
  for (const [label, r] of results) console.log(`| ${label} | ${N} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.mean.toFixed(2)} |`);
  const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nload average before: ${la(load0)}; after: ${la(loadavg())} (1, 5, 15 min)`);
} finally {
  pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
