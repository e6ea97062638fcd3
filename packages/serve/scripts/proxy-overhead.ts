/**
 * What the upstream proxy (`tracemark serve --upstream`) adds to a request, measured
 * against calling the same upstream directly, in the same run, on loopback only.
 *
 *   node --conditions=source --import tsx packages/serve/scripts/proxy-overhead.ts \
 *     [--requests 600] [--engine-requests 100] [--max-tokens 32] [--json out.json]
 *
 * Processes: this client; the upstream; the proxy (the real CLI, `serve --upstream`,
 * with API keys and a SQLite ledger, synchronous=FULL). With Debian's postgresql
 * binaries present (else skipped, said so), also proxies on a PostgreSQL ledger (a
 * throwaway server on loopback, fsync on) with synchronous_commit=on (the default: the
 * commit waits for the WAL flush) and =off (set in the URL: the commit returns before
 * the flush; survives a proxy kill -9, not a PostgreSQL crash). Two upstreams:
 *   fixed   a tiny node:http server answering a fixed chat completion (JSON, or 16 SSE
 *           events): the proxy's own cost, without generation noise;
 *           (also through a second proxy without --ledger: forwarding alone, no fsync);
 *   engine  `tracemark serve` emulating vLLM gumbel on the built-in model (max_tokens
 *           --max-tokens): a realistic upstream, noisier.
 * Requests are sequential (one in flight: latency, not queueing) and interleaved — direct,
 * then every proxy on the same upstream, the order rotated each iteration — so drifts in
 * machine load hit all alike; "added" is the median of the paired differences (proxied −
 * direct of the same iteration). Latency: request sent → whole body read;
 * TTFB (streams): request sent → first body chunk. Warm-up requests are not counted.
 * Prints a Markdown table and the load average; exits 1 if any request failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exportEngineKeyFile, generateEngineKey, parseEngineSpec } from '@tracemark/watermark';
import { randomBytes } from 'node:crypto';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../test/helpers/postgres.js';

const BIN = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '600' },
    'engine-requests': { type: 'string', default: '100' },
    'max-tokens': { type: 'string', default: '32' },
    // Node 20's parseArgs has no --no-<flag> negation: the opt-out is its own flag
    'no-postgres': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '30' },
    json: { type: 'string' },
  },
});
const N = Math.min(20_000, Number(args.requests));
const NE = Math.min(2_000, Number(args['engine-requests']));
const WARMUP = Number(args.warmup);
const MAX_TOKENS = Number(args['max-tokens']);

const FIXED_UPSTREAM = `
const http = require('node:http');
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(3);
const body = JSON.stringify({ id: 'fixed-1', object: 'chat.completion', created: 1, model: 'fixed', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 30, total_tokens: 35 } });
const words = text.split(/(?= )/);
const events = words.slice(0, 16).map((w) => 'data: ' + JSON.stringify({ id: 'fixed-2', object: 'chat.completion.chunk', created: 1, model: 'fixed', choices: [{ index: 0, delta: { content: w }, finish_reason: null }] }) + '\\n\\n');
events.push('data: ' + JSON.stringify({ id: 'fixed-2', object: 'chat.completion.chunk', created: 1, model: 'fixed', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) + '\\n\\n', 'data: [DONE]\\n\\n');
const s = http.createServer((req, res) => {
  if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"object":"list","data":[{"id":"fixed","object":"model","created":1,"owned_by":"x"}]}'); return; }
  const parts = []; req.on('data', (c) => parts.push(c)); req.on('end', () => {
    const r = JSON.parse(Buffer.concat(parts).toString());
    if (r.stream) { res.writeHead(200, { 'content-type': 'text/event-stream' }); for (const e of events) res.write(e); res.end(); }
    else { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); }
  });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', url: 'http://127.0.0.1:' + s.address().port })));
`;

const children: ChildProcess[] = [];

function start(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, argv, { cwd: REPO, env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start in 60 s: ${err}`)), 60_000);
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const m = /"event":"listening","url":"([^"]+)"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before listening: ${err}`));
    });
  });
}
const cli = (a: string[], env?: NodeJS.ProcessEnv) => start(['--conditions=source', '--import', 'tsx', BIN, 'serve', ...a, '--host', '127.0.0.1', '--port', '0'], env);

interface Timing {
  total: number;
  ttfb: number;
}

async function once(base: string, key: string, body: Record<string, unknown>): Promise<Timing> {
  const t0 = performance.now();
  const r = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const reader = r.body!.getReader();
  let ttfb = -1;
  let text = '';
  const dec = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (ttfb < 0) ttfb = performance.now() - t0;
    text += dec.decode(value, { stream: true });
  }
  const total = performance.now() - t0;
  if (r.status !== 200 || (body.stream === true && !text.includes('data: [DONE]'))) throw new Error(`request failed: ${r.status} ${text.slice(0, 200)}`);
  return { total, ttfb };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

interface Row {
  upstream: string;
  stream: boolean;
  n: number;
  directP50: number;
  proxyP50: number;
  addedP50: number;
  addedP90: number;
  directTtfbP50: number | null;
  proxyTtfbP50: number | null;
  addedTtfbP50: number | null;
}

/**
 * One direct upstream and several proxies in front of it, measured in the same loop: each
 * iteration calls the upstream directly and through every proxy, in an order rotated every
 * iteration, so every proxy's paired difference (proxied − direct of the same iteration)
 * sees the same machine load as the others'.
 */
async function measureSet(direct: string, proxies: readonly { label: string; url: string }[], key: string, body: Record<string, unknown>, n: number): Promise<Row[]> {
  const targets = [direct, ...proxies.map((p) => p.url)];
  for (let i = 0; i < WARMUP; i++) for (const t of targets) await once(t, key, body);
  const times: Timing[][] = targets.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < targets.length; k++) {
      const j = (i + k) % targets.length;
      times[j]!.push(await once(targets[j]!, key, body));
    }
  }
  const d = times[0]!;
  const stream = body.stream === true;
  return proxies.map((px, k) => {
    const p = times[k + 1]!;
    const added = d.map((x, i) => p[i]!.total - x.total);
    const addedTtfb = d.map((x, i) => p[i]!.ttfb - x.ttfb);
    return {
      upstream: px.label,
      stream,
      n,
      directP50: median(d.map((x) => x.total)),
      proxyP50: median(p.map((x) => x.total)),
      addedP50: median(added),
      addedP90: pct(added, 0.9),
      directTtfbP50: stream ? median(d.map((x) => x.ttfb)) : null,
      proxyTtfbP50: stream ? median(p.map((x) => x.ttfb)) : null,
      addedTtfbP50: stream ? median(addedTtfb) : null,
    };
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-proxy-overhead-'));
  let pgServer: TestPostgres | null = null;
  try {
    const draft = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: '0'.repeat(32) });
    const ekey = generateEngineKey(draft.engine, (n) => new Uint8Array(randomBytes(n)));
    const spec = parseEngineSpec({ version: 2, id: 'overhead', tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: ekey.fingerprint });
    const specPath = join(dir, 'spec.json');
    const keyPath = join(dir, 'key.json');
    const keysPath = join(dir, 'keys.json');
    const apiKey = `sk-${randomBytes(16).toString('hex')}`;
    writeFileSync(specPath, JSON.stringify(spec));
    writeFileSync(keyPath, JSON.stringify(exportEngineKeyFile(ekey, new Date())), { mode: 0o600 });
    writeFileSync(keysPath, JSON.stringify({ keys: [{ key: apiKey, account: 'bench', accountId: 1 }] }), { mode: 0o600 });
    const load0 = loadavg();

    const fixed = await start(['-e', FIXED_UPSTREAM]);
    const engine = await cli(['--spec', specPath, '--key', keyPath]);
    const proxyArgs = (up: string, ledger: string) => ['--spec', specPath, '--key', keyPath, '--keys', keysPath, '--ledger', join(dir, ledger), '--upstream', `${up}/v1`];
    const pFixed = await cli(proxyArgs(fixed.url, 'fixed.sqlite'));
    // The same proxy without --ledger: forwarding alone, without the fsync'd commit.
    const pBare = await cli(['--spec', specPath, '--key', keyPath, '--keys', keysPath, '--upstream', `${fixed.url}/v1`]);
    const pEngine = await cli(proxyArgs(engine.url, 'engine.sqlite'));
    // PostgreSQL ledgers: the same proxy with --ledger postgres://… (one database each).
    const why = !args['no-postgres'] ? postgresUnavailable() : 'skipped (--no-postgres)';
    if (why === null) pgServer = await startPostgres();
    else console.log(`PostgreSQL rows skipped: ${why}`);
    const OFF = '?options=-c%20synchronous_commit%3Doff';
    const pgProxy = async (up: string, db: string, query = ''): Promise<{ url: string } | null> => {
      if (pgServer === null) return null;
      const url = (await pgServer.createDatabase(db)) + query;
      return cli(['--spec', specPath, '--key', keyPath, '--keys', keysPath, '--ledger', url, '--upstream', `${up}/v1`]);
    };
    const pPgOn = await pgProxy(fixed.url, 'fixed_on');
    const pPgOff = await pgProxy(fixed.url, 'fixed_off', OFF);
    const pPgEngine = await pgProxy(engine.url, 'engine_on');

    const chat = { model: 'fixed', messages: [{ role: 'user', content: 'Say something.' }] };
    const ech = { model: 'kn3-o200k_base-reference', messages: [{ role: 'user', content: 'Write about the harbour.' }], max_tokens: MAX_TOKENS, temperature: 0.7 };
    const rows: Row[] = [];
    const fixedProxies = [
      { label: 'fixed, SQLite ledger (synchronous=FULL)', url: `${pFixed.url}/v1` },
      { label: 'fixed, proxy without ledger', url: `${pBare.url}/v1` },
      ...(pPgOn ? [{ label: 'fixed, PostgreSQL ledger, synchronous_commit=on', url: `${pPgOn.url}/v1` }] : []),
      ...(pPgOff ? [{ label: 'fixed, PostgreSQL ledger, synchronous_commit=off', url: `${pPgOff.url}/v1` }] : []),
    ];
    const engineProxies = [
      { label: `engine (${MAX_TOKENS} tok), SQLite ledger`, url: `${pEngine.url}/v1` },
      ...(pPgEngine ? [{ label: `engine (${MAX_TOKENS} tok), PostgreSQL ledger, synchronous_commit=on`, url: `${pPgEngine.url}/v1` }] : []),
    ];
    for (const body of [chat, { ...chat, stream: true }]) rows.push(...(await measureSet(`${fixed.url}/v1`, fixedProxies, apiKey, body, N)));
    for (const body of [ech, { ...ech, stream: true }]) rows.push(...(await measureSet(`${engine.url}/v1`, engineProxies, apiKey, body, NE)));
    const load1 = loadavg();

    const f = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
    console.log('| upstream | stream | pairs | direct p50 ms | proxied p50 ms | added p50 ms | added p90 ms | direct TTFB p50 ms | proxied TTFB p50 ms | added TTFB p50 ms |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.upstream} | ${r.stream ? 'SSE' : 'no'} | ${r.n} | ${f(r.directP50)} | ${f(r.proxyP50)} | ${f(r.addedP50)} | ${f(r.addedP90)} | ${f(r.directTtfbP50)} | ${f(r.proxyTtfbP50)} | ${f(r.addedTtfbP50)} |`);
    }
    const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
    console.log(`\nload average before: ${la(load0)}; after: ${la(load1)} (1, 5, 15 min)`);
    if (args.json) writeFileSync(args.json, JSON.stringify({ rows, loadBefore: load0, loadAfter: load1 }, null, 2));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`proxy-overhead: ${(e as Error).message}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
