/**
 * Upstream faults, the opt-out policy, rate limits and the upstream key, with a fake
 * upstream (a node:http server whose behaviour the request's `model` selects). Each
 * fault gives the caller an OpenAI-shaped error — a 502/504 response before anything
 * was sent, an error event ending the stream (no [DONE]) after — and the ledger has no
 * row for a response the caller did not receive; a stream cut after some text was
 * forwarded has one row per started choice, finish_reason "incomplete", whose hash is
 * that of exactly the text the caller got.
 */
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '@tracemark/detector';
import { createProxyHandler, Ledger, Upstream, type ProxyHandler } from '../src/index.js';
import { apiKeys, countTokens, engineMarking, KEYS, listen, readJson, type Listening } from './proxy-helpers.js';

const UPSTREAM_KEY = 'upstream-secret-key-0123456789';
const mark = engineMarking({ scheme: 'vllm/gumbel' }, 'proxy-faults');
const dir = mkdtempSync(join(tmpdir(), 'tracemark-proxy-faults-'));
const ledgerPath = join(dir, 'ledger.sqlite');

const received: { body: Record<string, unknown>; authorization: string | undefined }[] = [];
const logs: Record<string, unknown>[] = [];
const servers: Listening[] = [];
const handlers: ProxyHandler[] = [];
let fake: Listening;
let openGate: () => void = () => {};
const gate = new Promise<void>((r) => (openGate = r));
let proxyUrl = '';

const chunk = (id: string, text: string, ids: number[], finish: string | null = null): string =>
  `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'fake', choices: [{ index: 0, delta: { content: text }, finish_reason: finish, token_ids: ids }] })}\n\n`;

/** The fake upstream: `model` says how it behaves. */
async function upstream(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'fake', object: 'model', created: 1, owned_by: 'x' }] }));
    return;
  }
  const body = await readJson(req);
  received.push({ body, authorization: req.headers.authorization });
  const mode = String(body.model);
  const sse = (): void => void res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
  switch (mode) {
    case 'ok':
      if (body.stream === true) {
        sse();
        res.write(chunk('up-1', 'Hello', [9906]));
        res.write(chunk('up-1', ' world', [1917]));
        res.write(chunk('up-1', '', [], 'stop'));
        res.end('data: [DONE]\n\n');
      } else {
        const r = { id: 'up-2', object: 'chat.completion', created: 1, model: 'fake', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world' }, finish_reason: 'stop', token_ids: [9906, 1917] }] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r));
      }
      return;
    case 'gated':
      // One event, then the rest only once the test has seen that event arrive through the proxy.
      sse();
      res.write(chunk('up-10', 'First', [7]));
      void gate.then(() => {
        res.write(chunk('up-10', ' then more', [8], 'stop'));
        res.end('data: [DONE]\n\n');
      });
      return;
    case 'hang':
      return; // never answers
    case '5xx':
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"internal detail: db at 10.1.2.3"}}');
      return;
    case 'notfound':
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"The model `notfound` does not exist.","type":"NotFoundError","param":"model","code":"model_not_found"}}');
      return;
    case 'unauth':
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "up-3", "choices": [ not json');
      return;
    case 'not-a-completion':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello": "world"}');
      return;
    case 'reset-json':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"id":"up-4","choices":[{"index":0,"message":{"content":"Hel');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    case 'reset':
      sse();
      res.write(chunk('up-5', 'Partial', [1]));
      res.write(chunk('up-5', ' text', [2]));
      setTimeout(() => req.socket.destroy(), 50);
      return;
    case 'stall':
      sse();
      res.write(chunk('up-6', 'Stalled', [3]));
      return; // nothing more
    case 'malformed-stream':
      sse();
      res.write(chunk('up-7', 'Before', [4]));
      res.write('data: {"choices": [oops\n\n');
      setTimeout(() => res.end(), 200);
      return;
    case 'no-done':
      sse();
      res.write(chunk('up-8', 'No done', [5], 'stop'));
      res.end();
      return;
    case 'error-event':
      sse();
      res.write(chunk('up-9', 'Some', [6]));
      res.end('data: {"error":{"message":"engine overloaded","type":"server_error"}}\n\n');
      return;
    default:
      res.writeHead(400).end();
  }
}

async function proxyWith(opts: Partial<Parameters<typeof createProxyHandler>[0]> & { baseUrl?: string }): Promise<string> {
  const h = createProxyHandler({
    upstream: new Upstream({ baseUrl: opts.baseUrl ?? `${fake.url}/v1`, apiKey: UPSTREAM_KEY, timeoutMs: 400 }),
    countTokens,
    apiKeys: apiKeys(),
    log: (e) => logs.push(e),
    ...opts,
  });
  handlers.push(h);
  const l = await listen(h);
  servers.push(l);
  return l.url;
}

beforeAll(async () => {
  fake = await listen((req, res) => void upstream(req, res));
  servers.push(fake);
  proxyUrl = await proxyWith({ ledger: Ledger.openForWriting(ledgerPath, mark.binding), verbose: true });
});

afterAll(async () => {
  for (const s of servers.reverse()) await s.close().catch(() => {});
  for (const h of handlers) await h.close().catch(() => {});
});

function post(url: string, body: Record<string, unknown>, key = KEYS.alice, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
    signal,
  });
}

/** A streamed request: the events received, the text of their deltas, whether [DONE] came. */
async function stream(model: string): Promise<{ status: number; text: string; done: boolean; error: { code: string; type: string; message: string } | null }> {
  const r = await post(proxyUrl, { model, stream: true });
  const raw = await r.text();
  let text = '';
  let done = false;
  let error = null;
  for (const block of raw.split('\n\n')) {
    if (!block.startsWith('data: ')) continue;
    const data = block.slice(6);
    if (data === '[DONE]') done = true;
    else {
      const j = JSON.parse(data) as { error?: typeof error; choices?: { delta: { content?: string } }[] };
      if (j.error) error = j.error;
      else text += j.choices?.[0]?.delta.content ?? '';
    }
  }
  return { status: r.status, text, done, error };
}

function rowsFor(text: string) {
  const l = Ledger.openForReading(ledgerPath);
  try {
    return l.lookupTextSha256(sha256Hex(text));
  } finally {
    l.close();
  }
}
function rowCount(): number {
  const l = Ledger.openForReading(ledgerPath);
  try {
    return l.stats().responses;
  } finally {
    l.close();
  }
}

describe('proxy: delivered responses', () => {
  it('JSON and stream: forwarded byte for byte, one complete row each with the upstream token ids; the upstream key is sent, never logged', async () => {
    const r = await post(proxyUrl, { model: 'ok', temperature: 0.5 });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { id: string; choices: { message: { content: string } }[] };
    expect(j.id).toBe('up-2');
    const s = await stream('ok');
    expect(s).toMatchObject({ status: 200, text: 'Hello world', done: true, error: null });
    const rows = rowsFor('Hello world');
    expect(rows.map((x) => [x.upstreamId, x.finishReason, x.account, Array.from(x.tokenIds ?? [])])).toEqual([
      ['up-2', 'stop', 'alice', [9906, 1917]],
      ['up-1', 'stop', 'alice', [9906, 1917]],
    ]);
    expect(rows[0]!.completionTokens).toBe(countTokens('Hello world'));
    expect(JSON.parse(rows[0]!.params!)).toEqual({ model: 'ok', temperature: 0.5 });
    expect(received.at(-1)!.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(logs)).not.toContain(UPSTREAM_KEY);
    const m = await fetch(`${proxyUrl}/v1/models`, { headers: { authorization: `Bearer ${KEYS.bob}` } });
    expect(((await m.json()) as { data: { id: string }[] }).data[0]!.id).toBe('fake');
  });

  it('a stream is passed through as it comes: the first event reaches the caller before the upstream sends the second; [DONE] after the row', async () => {
    const r = await post(proxyUrl, { model: 'gated', stream: true }, KEYS.bob);
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    const first = dec.decode((await reader.read()).value);
    expect(first).toContain('"First"');
    expect(rowsFor('First then more')).toHaveLength(0);
    openGate();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += dec.decode(value);
    }
    expect(rest).toContain('data: [DONE]');
    expect(rowsFor('First then more').map((x) => [x.account, x.finishReason, Array.from(x.tokenIds!)])).toEqual([['bob', 'stop', [7, 8]]]);
  });

  it('our keys are required (401 before the upstream is asked)', async () => {
    const n = received.length;
    const r = await post(proxyUrl, { model: 'ok' }, 'sk-not-a-key-0000000000');
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect(received.length).toBe(n);
  });
});

describe('proxy: upstream faults before any byte → OpenAI-shaped 502/504, no row', () => {
  const cases: [string, number, string][] = [
    ['hang', 504, 'upstream_timeout'],
    ['5xx', 502, 'upstream_error'],
    ['unauth', 502, 'upstream_error'],
    ['malformed', 502, 'upstream_invalid_response'],
    ['not-a-completion', 502, 'upstream_invalid_response'],
    ['reset-json', 502, 'upstream_connection_lost'],
  ];
  it.each(cases)('%s → %i %s', async (model, status, code) => {
    const before = rowCount();
    const r = await post(proxyUrl, { model });
    expect(r.status).toBe(status);
    const body = (await r.json()) as { error: { code: string; type: string; message: string; param: null } };
    expect(body.error).toMatchObject({ code, type: 'server_error', param: null });
    expect(body.error.message).not.toContain('10.1.2.3'); // the upstream's 5xx detail stays inside
    expect(rowCount()).toBe(before);
  });

  it('unreachable upstream → 502 upstream_unreachable; an upstream 4xx is passed through as is', async () => {
    const closed = await listen(() => {});
    const deadUrl = closed.url;
    await closed.close();
    const dead = await proxyWith({ baseUrl: `${deadUrl}/v1` });
    const r = await post(dead, { model: 'ok' });
    expect(r.status).toBe(502);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('upstream_unreachable');
    const nf = await post(proxyUrl, { model: 'notfound' });
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('the openai client sees an APIError with the status and code', async () => {
    const client = new OpenAI({ apiKey: KEYS.bob, baseURL: `${proxyUrl}/v1`, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: '5xx', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });
});

describe('proxy: faults in mid-stream → an error event, no [DONE], an incomplete row holding exactly what was forwarded', () => {
  const cases: [string, string, string][] = [
    ['reset', 'Partial text', 'upstream_connection_lost'],
    ['stall', 'Stalled', 'upstream_timeout'],
    ['malformed-stream', 'Before', 'upstream_invalid_response'],
    ['no-done', 'No done', 'upstream_incomplete'],
    ['error-event', 'Some', 'upstream_error'],
  ];
  it.each(cases)('%s', async (model, text, code) => {
    const s = await stream(model);
    expect(s.status).toBe(200);
    expect(s.done).toBe(false);
    expect(s.text).toBe(text);
    expect(s.error).toMatchObject({ code });
    const rows = rowsFor(text);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: 'incomplete', account: 'alice', completionTokens: countTokens(text) });
  });

  it('the openai client stream throws the error event as an APIError', async () => {
    const client = new OpenAI({ apiKey: KEYS.bob, baseURL: `${proxyUrl}/v1`, maxRetries: 0 });
    const s = await client.chat.completions.create({ model: 'reset', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/upstream connection was lost/);
    expect(text).toBe('Partial text');
  });

  it('a caller that goes away mid-stream: the upstream request is aborted, the forwarded text recorded incomplete', async () => {
    const ac = new AbortController();
    const r = await post(proxyUrl, { model: 'stall', stream: true }, KEYS.bob, ac.signal);
    const reader = r.body!.getReader();
    await reader.read(); // the first event has arrived
    ac.abort();
    const deadline = Date.now() + 5_000;
    let rows: ReturnType<typeof rowsFor> = [];
    while (Date.now() < deadline && (rows = rowsFor('Stalled').filter((x) => x.account === 'bob')).length === 0) await new Promise((res) => setTimeout(res, 50));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.finishReason).toBe('incomplete');
  });
});

describe('proxy: shutdown', () => {
  it('close() mid-stream: new requests get 503, the stream is aborted at the deadline, its forwarded text recorded incomplete, the ledger closed', async () => {
    const path = join(dir, 'shutdown.sqlite');
    const h = createProxyHandler({
      upstream: new Upstream({ baseUrl: `${fake.url}/v1`, timeoutMs: 30_000 }),
      countTokens,
      ledger: Ledger.openForWriting(path, mark.binding),
      shutdownTimeoutMs: 200,
    });
    const l = await listen(h);
    servers.push(l);
    const r = await post(l.url, { model: 'stall', stream: true });
    const reader = r.body!.getReader();
    await reader.read();
    const closing = h.close();
    const refused = await post(l.url, { model: 'ok' });
    expect(refused.status).toBe(503);
    await closing;
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).not.toContain('[DONE]');
    const led = Ledger.openForReading(path);
    try {
      expect(led.lookupTextSha256(sha256Hex('Stalled')).map((x) => [x.account, x.finishReason])).toEqual([['anonymous', 'incomplete']]);
      expect(led.stats().responses).toBe(1);
    } finally {
      led.close();
    }
  });
});

describe('proxy: opt-out and rate limit', () => {
  it('watermarking: false is refused by default (the upstream never sees it) and stripped with optOut strip', async () => {
    const n = received.length;
    const r = await post(proxyUrl, { model: 'ok', watermarking: false });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'watermarking_required', param: 'watermarking' });
    expect(received.length).toBe(n);
    const strip = await proxyWith({ optOut: 'strip' });
    const s = await post(strip, { model: 'ok', watermarking: false });
    expect(s.status).toBe(200);
    expect(received.length).toBe(n + 1);
    expect(received.at(-1)!.body).not.toHaveProperty('watermarking');
  });

  it('per-account token bucket: burst 2, then 429 for that account only', async () => {
    const limited = await proxyWith({ rateLimit: { perSecond: 0.01, burst: 2 } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await post(limited, { model: 'ok' }, KEYS.alice)).status);
    codes.push((await post(limited, { model: 'ok' }, KEYS.bob)).status);
    expect(codes).toEqual([200, 200, 429, 200]);
  });
});
