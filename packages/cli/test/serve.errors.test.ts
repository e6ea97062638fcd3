/**
 * Bad input → clear errors with the right HTTP status or exit code, and secrets
 * (watermark key, API keys) never in any output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeyFile, toHex } from '@tracemark/watermark';
import { runInProcess } from './helpers/cli.js';
import { makeFixture, testKey, type Fixture } from './helpers/fixtures.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

let fx: Fixture;
let srv: ServeHandle;
let model: string;
const MAX_BODY = 4096;

async function post(path: string, body: string | object, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fx.apiKeys[0]!.key}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

function expectOpenAiError(r: { status: number; json: any }, status: number, code?: string): void {
  expect(r.status).toBe(status);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.json.error.message.length).toBeGreaterThan(5);
  if (code) expect(r.json.error.code).toBe(code);
}

beforeAll(async () => {
  fx = makeFixture({ seed: 'serve-errors' });
  srv = await startServe([
    '--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', join(fx.dir, 'ledger.sqlite'),
    '--max-body-bytes', String(MAX_BODY), '--max-concurrency', '1', '--max-queue', '0',
  ]);
  model = (srv.events.find((e) => e.event === 'listening')!.model as string);
});

afterAll(async () => {
  await srv?.stop();
});

describe('HTTP errors are OpenAI-shaped', () => {
  it('bad JSON → 400 invalid_json', async () => {
    expectOpenAiError(await post('/v1/chat/completions', '{"model": '), 400, 'invalid_json');
    expectOpenAiError(await post('/v1/completions', ''), 400, 'invalid_json');
    expectOpenAiError(await post('/v1/completions', '[1,2]'), 400, 'invalid_body');
  });

  it('wrong types and values → 400 naming the parameter', async () => {
    const chat = { model, messages: [{ role: 'user', content: 'hi' }] };
    let r = await post('/v1/chat/completions', { ...chat, temperature: 'hot' });
    expectOpenAiError(r, 400, 'invalid_value');
    expect(r.json.error.param).toBe('temperature');
    r = await post('/v1/chat/completions', { ...chat, messages: [{ role: 'wizard', content: 'hi' }] });
    expectOpenAiError(r, 400);
    expect(r.json.error.param).toBe('messages.0.role');
    r = await post('/v1/completions', { model, prompt: 'x', max_tokens: -3 });
    expect(r.json.error.param).toBe('max_tokens');
    r = await post('/v1/completions', { model, prompt: 'x', n: 99 });
    expect(r.json.error.param).toBe('n');
    r = await post('/v1/completions', { model, prompt: 'x', frobnicate: true });
    expectOpenAiError(r, 400, 'unknown_parameter');
    expect(r.json.error.message).toContain('frobnicate');
    r = await post('/v1/completions', { prompt: 'x' });
    expectOpenAiError(r, 400, 'missing_required_parameter');
    r = await post('/v1/completions', { model, prompt: 'x', presence_penalty: 1 });
    expect(r.json.error.message).toContain('not supported');
    r = await post('/v1/completions', { model: 'gpt-4o', prompt: 'x' });
    expectOpenAiError(r, 404, 'model_not_found');
  });

  it('oversized body → 413 without reading it all', async () => {
    const big = { model, prompt: 'x'.repeat(MAX_BODY * 4) };
    expectOpenAiError(await post('/v1/completions', big), 413, 'request_too_large');
  });

  it('missing or unknown API key → 401 (also through the openai client)', async () => {
    expectOpenAiError(await post('/v1/completions', { model, prompt: 'x' }, { authorization: '' }), 401, 'missing_api_key');
    const r = await post('/v1/completions', { model, prompt: 'x' }, { authorization: 'Bearer sk-not-a-real-key-000000' });
    expectOpenAiError(r, 401, 'invalid_api_key');
    expect(JSON.stringify(r.json)).not.toContain('sk-not-a-real-key');
    const stranger = new OpenAI({ apiKey: 'sk-unknown-key-1234567890', baseURL: srv.baseURL, maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('unknown route → 404, wrong method → 405; /health needs no key', async () => {
    expect((await post('/v1/embeddings', { model, input: 'x' })).status).toBe(404);
    const r = await fetch(`${srv.url}/v1/completions`, { headers: { authorization: `Bearer ${fx.apiKeys[0]!.key}` } });
    expect(r.status).toBe(405);
    const h = await fetch(`${srv.url}/health`);
    expect(h.status).toBe(200);
    expect(((await h.json()) as { status: string }).status).toBe('ok');
  });

  it('past max-concurrency + max-queue → 429 while the loop stays responsive; a client disconnect frees the slot', async () => {
    // A generation long enough to still be running while we probe (the client aborts it).
    const ac = new AbortController();
    const res = await fetch(`${srv.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.apiKeys[0]!.key}`, 'content-type': 'application/json' },
      // 16 prompts × 8 choices × up to 2000 tokens: seconds of work (the model often ends
      // a text early with <|endoftext|>, so one long choice would not be enough).
      body: JSON.stringify({ model, prompt: Array.from({ length: 16 }, (_, i) => `Story ${i}:`), n: 8, max_tokens: 2000, seed: 1, stream: true }),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read(); // generation is under way
    expect(first.done).toBe(false);
    const busy = await post('/v1/completions', { model, prompt: 'x', max_tokens: 4 });
    expectOpenAiError(busy, 429, 'server_busy');
    const health = (await (await fetch(`${srv.url}/health`)).json()) as { active: number };
    expect(health.active).toBe(1);
    ac.abort();
    await reader.cancel().catch(() => {});
    // The server notices the disconnect and releases the slot (bounded wait, no timing assertion).
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      const r = await post('/v1/completions', { model, prompt: 'x', max_tokens: 4 });
      ok = r.status === 200;
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ok).toBe(true);
  });

  it('no secret appears in the server output', () => {
    const all = srv.stderr() + JSON.stringify(srv.events);
    expect(all).not.toContain(toHex(fx.key.secretBytes()));
    for (const k of fx.apiKeys) expect(all).not.toContain(k.key);
    expect(all).toContain(fx.key.fingerprint); // the public fingerprint is fine
  });
});

describe('startup errors exit non-zero with one clear line', () => {
  const serve = (...args: string[]) => runInProcess(['serve', '--port', '0', '--host', '127.0.0.1', ...args]);

  it('missing, malformed or mismatched inputs → exit 2', async () => {
    const other = testKey('some-other-key');
    const otherKeyPath = join(fx.dir, 'other-key.json');
    writeFileSync(otherKeyPath, JSON.stringify(exportKeyFile(other)), { mode: 0o600 });
    const badJson = join(fx.dir, 'bad.json');
    writeFileSync(badJson, '{"version": 1,', { mode: 0o600 });
    const payloadSpec = join(fx.dir, 'payload-spec.json');
    const spec = JSON.parse(readFileSync(fx.specPath, 'utf8'));
    writeFileSync(payloadSpec, JSON.stringify({ ...spec, payload: { bits: 16, digitBits: 2 } }));
    const noIds = join(fx.dir, 'keys-no-ids.json');
    writeFileSync(noIds, JSON.stringify({ keys: [{ key: 'sk-secret-without-id-0000000', account: 'acct-x' }] }), { mode: 0o600 });
    const otherLedgerSpec = join(fx.dir, 'spec-b.json');
    writeFileSync(otherLedgerSpec, JSON.stringify({ ...spec, id: 'another-spec' }));

    const cases: [string[], RegExp][] = [
      [['--spec', join(fx.dir, 'nope.json'), '--key', fx.keyPath], /spec file not found: .*nope\.json/],
      [['--spec', fx.specPath, '--key', join(fx.dir, 'nokey.json')], /key file not found/],
      [['--spec', fx.specPath, '--key', otherKeyPath], /wrong key: key fingerprint [0-9a-f]{32} does not match the spec's keyFingerprint/],
      [['--spec', badJson, '--key', fx.keyPath], /spec is not valid JSON/],
      [['--spec', fx.specPath, '--key', fx.keyPath, '--keys', badJson], /API keys file is not valid JSON/],
      [['--spec', payloadSpec, '--key', fx.keyPath, '--keys', noIds], /keys\[0\] \(account acct-x\) needs an accountId/],
      [['--spec', fx.specPath, '--key', fx.keyPath, '--max-queue', 'lots'], /--max-queue must be an integer/],
      [['--spec', fx.specPath, '--key', fx.keyPath, '--model', join(fx.dir, 'no-model')], /not found/],
      [['--spec', otherLedgerSpec, '--key', fx.keyPath, '--ledger', join(fx.dir, 'ledger.sqlite')], /belongs to spec [0-9a-f]{64}/],
      [['--spec', fx.specPath, '--key', fx.keyPath, '--no-such-flag'], /unknown option/],
    ];
    const results = await Promise.all(cases.map(([args]) => serve(...args)));
    results.forEach((r, i) => {
      const [, re] = cases[i]!;
      expect(r.code, `case ${i}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('tracemark: warning:') && !l.startsWith('(run with'));
      expect(lines, `case ${i}`).toHaveLength(1);
      const out = r.stdout + r.stderr;
      expect(out).not.toContain(toHex(fx.key.secretBytes()));
      expect(out).not.toContain(toHex(other.secretBytes()));
      expect(out).not.toContain('sk-secret-without-id');
      expect(out).not.toContain('"event":"listening"');
    });
  });

  it('ledger commands: missing ledger or bad arguments → exit 2', async () => {
    const [missing, noFormat, badSince] = await Promise.all([
      runInProcess(['ledger', 'lookup', 'x', '--ledger', join(fx.dir, 'missing.sqlite')]),
      runInProcess(['ledger', 'export-filter', '--ledger', join(fx.dir, 'ledger.sqlite'), '--accounts', 'a', '--out', join(fx.dir, 'f.txt')]),
      runInProcess(['ledger', 'export-filter', '--ledger', join(fx.dir, 'ledger.sqlite'), '--accounts', 'a', '--since', 'yesterday-ish', '--out', join(fx.dir, 'f.json')]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ledger not found/);
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toMatch(/\*\.json or \*\.bin/);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/--since must be an ISO date/);
  });
});
