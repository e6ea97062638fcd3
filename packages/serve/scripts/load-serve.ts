/**
 * Load test of `tracemark serve` with autocannon, on loopback only, bounded in time.
 *
 *   node --conditions=source --import tsx packages/serve/scripts/load-serve.ts \
 *     [--duration 20] [--connections 8] [--max-tokens 32] [--endpoint chat|completions] [--stream]
 *     [--max-concurrency 4] [--max-queue 64] [--json out.json]
 *
 * It writes a fresh spec, key and API keys file to a temporary directory, starts the
 * real CLI server on 127.0.0.1 (port 0), warms it up, measures the server's RSS
 * (/proc/<pid>/status), runs autocannon for --duration seconds, measures RSS again,
 * stops the server with SIGTERM and checks that the ledger holds exactly one row per
 * successful response. Prints a Markdown table (docs/SERVE.md §Load) and exits 1 if
 * any request failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exportKeyFile, generateKey, parseSpec } from '@tracemark/watermark';
import { Ledger } from '../src/ledger/ledger.js';
import { renderLoadTable } from './load-doc.js';

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
  total?: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  throughput: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  mismatches: number;
  '2xx': number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const BIN = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    'max-tokens': { type: 'string', default: '32' },
    endpoint: { type: 'string', default: 'chat' },
    stream: { type: 'boolean', default: false },
    'max-concurrency': { type: 'string', default: '4' },
    'max-queue': { type: 'string', default: '64' },
    json: { type: 'string' },
  },
});

function num(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}]`);
  return n;
}
const duration = num('duration', args.duration, 1, 120); // hard bound: never a runaway load
const warmup = num('warmup', args.warmup, 0, 30);
const connections = num('connections', args.connections, 1, 256);
const maxTokens = num('max-tokens', args['max-tokens'], 1, 2048);
const maxConcurrency = num('max-concurrency', args['max-concurrency'], 1, 64);
const maxQueue = num('max-queue', args['max-queue'], 0, 10_000);
if (args.endpoint !== 'chat' && args.endpoint !== 'completions') throw new Error('--endpoint must be chat or completions');

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error('no VmRSS in /proc status');
  return Number(m[1]) / 1024;
}

async function startServer(dir: string): Promise<{ proc: ChildProcess; url: string; exited: Promise<number | null> }> {
  const proc = spawn(
    process.execPath,
    [
      '--conditions=source', '--import', 'tsx', BIN, 'serve',
      '--spec', join(dir, 'spec.json'), '--key', join(dir, 'key.json'), '--keys', join(dir, 'keys.json'),
      '--ledger', join(dir, 'ledger.sqlite'), '--host', '127.0.0.1', '--port', '0',
      '--max-concurrency', String(maxConcurrency), '--max-queue', String(maxQueue),
      '--max-tokens-limit', String(Math.max(maxTokens, 2048)),
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const ev = JSON.parse(line) as { event?: string; url?: string };
          if (ev.event === 'listening' && ev.url) {
            clearTimeout(t);
            resolve(ev.url);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    void exited.then((c) => reject(new Error(`server exited with ${c} before listening`)));
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
    proc.kill('SIGKILL');
    throw new Error(`refusing a non-loopback URL ${url}`);
  }
  return { proc, url, exited };
}

async function main(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const loadStart = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-load-'));
  const key = generateKey();
  const spec = parseSpec({ version: 1, id: 'load', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'left' }, keyFingerprint: key.fingerprint });
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  writeFileSync(join(dir, 'key.json'), JSON.stringify(exportKeyFile(key)), { mode: 0o600 });
  const apiKey = `sk-load-${Math.random().toString(36).slice(2)}-0123456789`;
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ key: apiKey, account: 'acct-load', accountId: 1 }] }), { mode: 0o600 });

  const { proc, url, exited } = await startServer(dir);
  const model = 'kn3-o200k_base-reference';
  const path = args.endpoint === 'chat' ? '/v1/chat/completions' : '/v1/completions';
  const body =
    args.endpoint === 'chat'
      ? { model, messages: [{ role: 'user', content: 'Tell me about the history of the town.' }], max_tokens: maxTokens, stream: args.stream }
      : { model, prompt: 'The history of the town', max_tokens: maxTokens, stream: args.stream };
  const common = {
    url: `${url}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
    connections,
    timeout: 30,
  };
  try {
    const warm = warmup > 0 ? await autocannon({ ...common, duration: warmup }) : null;
    const rssBefore = rssMiB(proc.pid!);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMiB(proc.pid!)), 1000);
    const r = await autocannon({ ...common, duration });
    clearInterval(sampler);
    const rssAfter = rssMiB(proc.pid!);
    proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<null>((res) => setTimeout(() => res(null), 30_000))]);
    if (code === null) proc.kill('SIGKILL');

    const ledger = Ledger.openForReading(join(dir, 'ledger.sqlite'));
    const { responses: rows, completionTokens } = ledger.stats();
    ledger.close();
    // Every acknowledged (2xx) response has its row; requests cut off when autocannon
    // stops may add a few more rows (completed by the server, never read by the client).
    const acknowledged = r['2xx'] + (warm?.['2xx'] ?? 0);
    const failures = r.errors + r.timeouts + r.non2xx + r.resets;
    const summary = {
      endpoint: path,
      stream: args.stream,
      maxTokens,
      connections,
      maxConcurrency,
      duration: r.duration,
      cpus: cpus().length,
      node: process.version,
      requests: r['2xx'],
      reqPerSec: r.requests.average,
      // Tokens actually generated (from the ledger, warmup included) over the whole run.
      tokensPerSec: completionTokens / (r.duration + (warm?.duration ?? 0)),
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      resets: r.resets,
      rssMiB: { before: +rssBefore.toFixed(1), maxDuring: +Math.max(...samples, rssBefore).toFixed(1), after: +rssAfter.toFixed(1) },
      ledgerRows: rows,
      acknowledgedIncludingWarmup: acknowledged,
      ledgerCoversAcknowledged: rows >= acknowledged,
      serverExit: code,
      loadAverage: { start: +loadStart.toFixed(2), end: +loadavg()[0]!.toFixed(2) },
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n\n`);
    process.stdout.write(`${renderLoadTable([summary])}\n`);
    if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 2));
    if (rows < acknowledged) {
      process.stderr.write(`load-serve: ledger has ${rows} rows for ${acknowledged} acknowledged responses\n`);
      process.exitCode = 1;
    }
    if (failures > 0) {
      process.stderr.write(`load-serve: ${failures} failed requests\n`);
      process.exitCode = 1;
    }
    if (code !== 0) {
      process.stderr.write(`load-serve: server exited with ${code} on SIGTERM\n`);
      process.exitCode = 1;
    }
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
