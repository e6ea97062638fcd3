/**
 * `tracemark probe` through the program (in-process; the real binary where signals and
 * kill -9 matter) against a minimal OpenAI-compatible stub
 * (node:http on 127.0.0.1, deterministic answers, injectable 429/500 and latency): the
 * transcript's shape and hashes, retries with backoff, SIGKILL mid-run + resume (each
 * prompt exactly once, nothing asked twice), SIGINT, torn last lines, an unreachable
 * endpoint, a refused API key, and bad flags.
 *
 * Why a stub and not `tracemark serve`: the tests need to inject failures and latency
 * and to count exactly which prompts were requested; serve is exercised by the demo.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '@tracemark/detector';
import { TranscriptLineSchema } from '@tracemark/investigate';
import { ProbeOutputSchema } from '../src/schemas.js';
import { runInProcess, spawnCli } from './helpers/cli.js';

const API_KEY = 'sk-probe-test-secret-0123456789';

interface Seen {
  path: string;
  prompt: string;
  auth: string | undefined;
}

let server: Server;
let base: string;
let dir: string;
const seen: Seen[] = [];
/** Behaviour of the stub for the current test. */
let mode: { delayMs: number; failFirst: Map<string, number[]>; requireKey: boolean } = { delayMs: 0, failFirst: new Map(), requireKey: false };

function answer(prompt: string): string {
  // Deterministic, prompt-dependent text.
  return `Answer to "${prompt}": ${sha256Hex(prompt).slice(0, 24)}.`;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; prompt?: string; messages?: { role: string; content: string }[] };
  const prompt = body.prompt ?? body.messages?.at(-1)?.content ?? '';
  seen.push({ path: req.url ?? '', prompt, auth: req.headers.authorization });
  if (mode.requireKey && req.headers.authorization !== `Bearer ${API_KEY}`) {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' } }));
    return;
  }
  const fails = mode.failFirst.get(prompt);
  if (fails && fails.length > 0) {
    const status = fails.shift()!;
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({ error: { message: `injected ${status}` } }));
    return;
  }
  if (mode.delayMs > 0) await new Promise((r) => setTimeout(r, mode.delayMs));
  const text = answer(prompt);
  const usage = { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 };
  const out =
    req.url === '/v1/completions'
      ? { id: 'cmpl-1', object: 'text_completion', model: body.model, choices: [{ index: 0, text, finish_reason: 'stop' }], usage }
      : { id: 'chatcmpl-1', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-probe-'));
  server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
  mode = { delayMs: 0, failFirst: new Map(), requireKey: false };
});

function transcriptLines(path: string) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => TranscriptLineSchema.parse(JSON.parse(l)));
}

const env = { TRACEMARK_PROBE_API_KEY: API_KEY };

describe('probe', () => {
  it('records one hashed, timestamped line per prompt and never the API key', async () => {
    mode.requireKey = true;
    const t = join(dir, 'basic.jsonl');
    const r = await runInProcess(['probe', '--base-url', base, '--model', 'suspect-1', '--transcript', t, '--builtin', '12', '--concurrency', '3', '--max-tokens', '32', '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = ProbeOutputSchema.parse(JSON.parse(r.stdout));
    expect(out).toMatchObject({ prompts: 12, answered: 12, alreadyDone: 0, remaining: 0, failed: [], interrupted: false, url: `${base}/chat/completions` });
    const lines = transcriptLines(t);
    expect(lines).toHaveLength(12);
    expect(new Set(lines.map((l) => l.promptId)).size).toBe(12);
    for (const l of lines) {
      expect(l.response).toBe(answer(l.prompt));
      expect(l.requestSha256).toBe(sha256Hex(JSON.stringify(l.request)));
      expect(l.responseSha256).toBe(sha256Hex(l.responseBody));
      expect(l.request).toMatchObject({ model: 'suspect-1', max_tokens: 32, messages: [{ role: 'user', content: l.prompt }] });
      expect(l.usage).toMatchObject({ total_tokens: 14 });
      expect(Date.parse(l.finishedAt)).toBeGreaterThanOrEqual(Date.parse(l.startedAt));
    }
    expect(seen.every((s) => s.auth === `Bearer ${API_KEY}`)).toBe(true);
    expect(readFileSync(t, 'utf8')).not.toContain(API_KEY);
    expect(r.stdout).not.toContain(API_KEY);
  });

  it('uses the completions endpoint with prompts from a text file', async () => {
    const p = join(dir, 'prompts.txt');
    writeFileSync(p, 'first prompt\n\nsecond prompt\n');
    const t = join(dir, 'compl.jsonl');
    const r = await runInProcess(['probe', '--base-url', `${base}/`, '--model', 'm', '--endpoint', 'completions', '--prompts', p, '--transcript', t, '--json'], { env });
    expect(r.code).toBe(0);
    const lines = transcriptLines(t);
    expect(lines.map((l) => [l.promptId, l.prompt, l.endpoint, l.url])).toEqual([
      ['line-1', 'first prompt', 'completions', `${base}/completions`],
      ['line-3', 'second prompt', 'completions', `${base}/completions`],
    ]);
    expect(seen.map((s) => s.path)).toEqual(['/v1/completions', '/v1/completions']);
  });

  it('retries 429 and 5xx with backoff and still asks each prompt once per success', async () => {
    const t = join(dir, 'retry.jsonl');
    const prompts = join(dir, 'retry-prompts.jsonl');
    writeFileSync(prompts, ['a', 'b', 'c', 'd'].map((x) => JSON.stringify({ id: x, prompt: `prompt ${x}` })).join('\n') + '\n');
    mode.failFirst.set('prompt a', [429, 429]);
    mode.failFirst.set('prompt c', [500, 503, 502]);
    const r = await runInProcess(['probe', '--base-url', base, '--model', 'm', '--prompts', prompts, '--transcript', t, '--retry-base-ms', '5', '--retry-max-ms', '20', '--rps', '200', '--json'], { env });
    expect(r.code).toBe(0);
    const out = ProbeOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.retries).toBe(5);
    expect(out.requests).toBe(9);
    const lines = transcriptLines(t);
    expect(lines.map((l) => l.promptId).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(Object.fromEntries(lines.map((l) => [l.promptId, l.attempts]))).toEqual({ a: 3, b: 1, c: 4, d: 1 });
  });

  it('gives up on a prompt after --retries and exits 1; --resume asks only that prompt', async () => {
    const t = join(dir, 'exhaust.jsonl');
    const prompts = join(dir, 'exhaust-prompts.jsonl');
    writeFileSync(prompts, ['a', 'b'].map((x) => JSON.stringify({ id: x, prompt: `ex ${x}` })).join('\n') + '\n');
    mode.failFirst.set('ex b', [500, 500, 500]);
    const r1 = await runInProcess(['probe', '--base-url', base, '--model', 'm', '--prompts', prompts, '--transcript', t, '--retries', '1', '--retry-base-ms', '1'], { env });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/tracemark: 1 prompt\(s\) failed after retries; rerun with --resume/);
    expect(transcriptLines(t).map((l) => l.promptId)).toEqual(['a']);
    seen.length = 0;
    const r2 = await runInProcess(['probe', '--base-url', base, '--model', 'm', '--prompts', prompts, '--transcript', t, '--resume', '--retry-base-ms', '1', '--json'], { env });
    expect(r2.code).toBe(0);
    expect(seen.map((s) => s.prompt)).toEqual(['ex b', 'ex b']); // one more injected 500, then success
    expect(transcriptLines(t).map((l) => l.promptId)).toEqual(['a', 'b']);
  });

  it('survives SIGKILL mid-run: resume repairs a torn line and asks each remaining prompt exactly once', async () => {
    mode.delayMs = 60;
    const t = join(dir, 'killed.jsonl');
    const N = 40;
    const args = ['probe', '--base-url', base, '--model', 'm', '--transcript', t, '--builtin', String(N), '--concurrency', '2'];
    const child = spawnCli(args, env);
    child.stdin!.end();
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    // Wait (bounded) until some answers are on disk, then kill -9.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (existsSync(t) && readFileSync(t, 'utf8').split('\n').length > 8) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = transcriptLines(t);
    expect(before.length).toBeGreaterThan(7);
    expect(before.length).toBeLessThan(N);
    // Simulate a write torn by the crash: half a line without its newline.
    appendFileSync(t, JSON.stringify(before[0]).slice(0, 50));
    const doneBefore = new Set(before.map((l) => l.promptId));
    seen.length = 0;
    mode.delayMs = 0;
    const r = await runInProcess([...args, '--resume', '--json'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/torn last line .* was removed/);
    const out = ProbeOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.tornLineRepaired).toBe(true);
    expect(out.alreadyDone).toBe(before.length);
    expect(out.answered).toBe(N - before.length);
    const after = transcriptLines(t);
    const ids = after.map((l) => l.promptId);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    expect(after.slice(0, before.length)).toEqual(before); // the old lines are untouched
    // Nothing already answered was asked again, and each missing prompt exactly once.
    const asked = seen.map((s) => s.prompt);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.length).toBe(N - before.length);
    const promptOf = new Map(after.map((l) => [l.prompt, l.promptId]));
    for (const p of asked) expect(doneBefore.has(promptOf.get(p)!)).toBe(false);
    expect(readFileSync(t, 'utf8').endsWith('\n')).toBe(true);
  });

  it('stops on SIGINT with exit 130, keeping every answer received', async () => {
    mode.delayMs = 80;
    const t = join(dir, 'sigint.jsonl');
    const child = spawnCli(['probe', '--base-url', base, '--model', 'm', '--transcript', t, '--builtin', '30', '--concurrency', '2'], env);
    child.stdin!.end();
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(existsSync(t) && readFileSync(t, 'utf8').split('\n').length > 4)) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    expect(await exited).toBe(130);
    clearTimeout(killTimer);
    expect(stderr).toMatch(/interrupted: \d+ prompt\(s\) left; rerun with --resume/);
    const lines = transcriptLines(t);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.length).toBeLessThan(30);
  });

  it('fails fast on an unreachable endpoint (a closed loopback port) and writes nothing', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const t = join(dir, 'unreachable.jsonl');
    const r = await runInProcess(['probe', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--transcript', t, '--builtin', '3'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tracemark: cannot reach http://127.0.0.1:${port}/v1/chat/completions: connection refused (0 answered and saved; rerun with --resume to continue)\n`);
    expect(existsSync(t)).toBe(false);
  });

  it('stops at once when the API refuses the key (401), without echoing the key', async () => {
    mode.requireKey = true;
    const t = join(dir, 'unauth.jsonl');
    const r = await runInProcess(['probe', '--base-url', base, '--model', 'm', '--transcript', t, '--builtin', '5'], { env: { TRACEMARK_PROBE_API_KEY: 'sk-wrong-key-000000000000' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tracemark: http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions answered HTTP 401: Incorrect API key provided\./m);
    expect(r.stderr).not.toContain('sk-wrong-key');
    expect(seen.length).toBeLessThanOrEqual(4); // at most the requests already in flight
  });

  it('rejects bad flags and bad prompt files with one line and exit 2', async () => {
    const bad = join(dir, 'bad-prompts.jsonl');
    writeFileSync(bad, '{"prompt":"ok"}\n{"prompt": 3}\n');
    const existing = join(dir, 'basic.jsonl');
    const [conc, unknown, malformed, exists, url] = await Promise.all([
      runInProcess(['probe', '--base-url', base, '--model', 'm', '--transcript', join(dir, 'x.jsonl'), '--builtin', '2', '--concurrency', 'lots']),
      runInProcess(['probe', '--base-url', base, '--model', 'm', '--transcript', join(dir, 'x.jsonl'), '--bogus']),
      runInProcess(['probe', '--base-url', base, '--model', 'm', '--transcript', join(dir, 'x.jsonl'), '--prompts', bad]),
      runInProcess(['probe', '--base-url', base, '--model', 'suspect-1', '--transcript', existing, '--builtin', '12']),
      runInProcess(['probe', '--base-url', 'ftp://example', '--model', 'm', '--transcript', join(dir, 'x.jsonl'), '--builtin', '2']),
    ]);
    expect(conc.code).toBe(2);
    expect(conc.stderr).toMatch(/^tracemark: --concurrency must be an integer in \[1, 256\] \(got "lots"\)\n$/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/bad-prompts\.jsonl:2: field "prompt" is missing or not a string\n$/);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists: pass --resume/);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/--base-url must be http or https/);
    expect(existsSync(join(dir, 'x.jsonl'))).toBe(false);
    expect(statSync(existing).size).toBeGreaterThan(0);
  });
});
