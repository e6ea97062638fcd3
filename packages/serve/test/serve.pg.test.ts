/**
 * `tracemark serve` (the watermarking server, not the proxy) on a PostgreSQL ledger:
 * the served response's row is found by `ledger lookup` over the URL; the listening
 * event and every message name the URL without its password; a ledger bound to
 * another spec is refused (CLI: exit 2, one line); synchronous_commit=off is warned
 * about at start, never silently accepted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportKeyFile, generateKey, parseSpec } from '@tracemark/watermark';
import { sha256Hex } from '@tracemark/detector';
import { BIN, REPO } from '../bench/processes.js';
import { lookupText, openLedgerStore, openServeInputs, PgLedger, startServer, type ResponseRecord } from '../src/index.js';
import { describePostgres, usePostgres } from './helpers/postgres-vitest.js';

const server = usePostgres();
let dir: string;
const files = { spec: '', key: '', other: '' };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-pg-'));
  const key = generateKey();
  const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
  files.spec = join(dir, 'spec.json');
  files.key = join(dir, 'key.json');
  files.other = join(dir, 'other.json');
  writeFileSync(files.spec, JSON.stringify(spec));
  writeFileSync(files.key, JSON.stringify(exportKeyFile(key, new Date(0))), { mode: 0o600 });
  writeFileSync(files.other, JSON.stringify({ ...spec, scheme: { name: 'kgw', gamma: 0.5, delta: 2 } }));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 });

describePostgres('tracemark serve with --ledger postgres://…', () => {
  it('records what it served; lookup over the URL finds it; the password is never shown', async () => {
    const url = await server().createDatabase('served');
    const logs: string[] = [];
    const running = await startServer({
      spec: files.spec, key: files.key, ledger: url, model: 'builtin', host: '127.0.0.1', port: 0, maxQueue: 8, maxBodyBytes: 1 << 20,
      defaultMaxTokens: 24, maxTokensLimit: 64, shutdownTimeoutMs: 5000, log: (e) => logs.push(JSON.stringify(e)), warn: (m) => logs.push(m),
    });
    let text: string;
    try {
      expect(running.inputs.ledger).toBeInstanceOf(PgLedger);
      expect(running.listening.ledger).toBe(url.replace(server().password, '***'));
      const r = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kn3-o200k_base-reference', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 24 }) });
      expect(r.status).toBe(200);
      text = ((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    } finally {
      await running.server.shutdown();
    }
    const store = await openLedgerStore(url);
    const found = await lookupText(store, sha256Hex(text));
    await store.close();
    expect(found.responses.map((e) => [e.seq, e.account, e.completionTokens > 0])).toEqual([[1, 'anonymous', true]]);
    expect(JSON.stringify({ logs, l: running.listening })).not.toContain(server().password);

    const info = cli(['ledger', 'info', '--ledger', url, '--json']);
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ ledger: url.replace(server().password, '***'), responses: 1, accounts: 1 });
    expect(info.stdout + info.stderr).not.toContain(server().password);

    const refused = cli(['serve', '--spec', files.other, '--key', files.key, '--ledger', url, '--port', '0']);
    expect(refused.status).toBe(2);
    const errors = refused.stderr.trim().split('\n').filter((l) => !l.startsWith('tracemark: warning:')); // the no --keys warning
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^tracemark: ledger postgres:\/\/tracemark:\*\*\*@127\.0\.0\.1:\d+\/served belongs to spec [0-9a-f]{64} \(key [0-9a-f]{32}\), not [0-9a-f]{64}/);
    expect(refused.stdout + refused.stderr).not.toContain(server().password);
  }, 180_000);

  it('synchronous_commit=off in the URL works and is warned about at start', async () => {
    const url = `${await server().createDatabase('fast')}?options=-c%20synchronous_commit%3Doff`;
    const warnings: string[] = [];
    const inputs = await openServeInputs({ spec: files.spec, key: files.key, ledger: url, warn: (m) => warnings.push(m) });
    expect(await (inputs.ledger as PgLedger).durability()).toEqual({ synchronousCommit: 'off', fsync: 'on' });
    await inputs.ledger!.close();
    expect(warnings.filter((w) => w.includes('synchronous_commit=off'))).toHaveLength(1);
    expect(warnings.join('\n')).not.toContain(server().password);
  });

  it('the ledger commands print the same on both backends (export-filter, lookup, info)', async () => {
    const binding = { specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), specJson: '{"version":1}' };
    const recs: ResponseRecord[] = Array.from({ length: 30 }, (_, i) => ({
      responseId: `r-${i}`, choice: 0, account: `acct-${i % 3}`, accountId: i % 3, created: new Date(1_700_000_000_000 + i * 60_000), modelId: 'm',
      endpoint: 'completions', finishReason: 'stop', textSha256: (i % 4 === 1 ? 'f' : String(i % 10)).repeat(64), promptSha256: 'e'.repeat(64),
      promptTokens: 3, completionTokens: 7 + i, windows: [BigInt(i) << 58n, 0xffff_ffff_ffff_fff0n + BigInt(i % 7), BigInt(i * 1000)],
    }));
    const locations = [join(dir, 'cmds.sqlite'), await server().createDatabase('cmds')];
    for (const loc of locations) {
      const st = await openLedgerStore(loc, { binding });
      await st.recordMany(recs);
      await st.close();
    }
    const outputs = locations.map((loc, k) => {
      const out = join(dir, `filter-${k}.json`);
      const ex = cli(['ledger', 'export-filter', '--ledger', loc, '--accounts', 'acct-0,acct-2', '--since', '1700000300000', '--out', out]);
      const lookup = cli(['ledger', 'lookup', 'f'.repeat(64), '--ledger', loc, '--json']);
      const info = cli(['ledger', 'info', '--ledger', loc, '--json']);
      expect([ex.status, lookup.status, info.status]).toEqual([0, 0, 0]);
      const filter = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
      return {
        exportLine: JSON.parse(ex.stdout.replace(out, 'OUT')) as unknown,
        filter: { ...filter, created: 'x' },
        lookup: JSON.parse(lookup.stdout) as unknown,
        info: { ...(JSON.parse(info.stdout) as Record<string, unknown>), ledger: 'L' },
      };
    });
    expect((outputs[0]!.lookup as { responses: unknown[] }).responses).toHaveLength(8);
    expect(outputs[0]!.filter.count).toBeGreaterThan(20);
    expect((outputs[0]!.filter.windows as string[]).length).toBe(outputs[0]!.filter.count);
    expect(outputs[1]).toEqual(outputs[0]);
  }, 180_000);
});

