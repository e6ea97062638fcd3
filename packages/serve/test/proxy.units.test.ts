/**
 * The proxy's parts: SSE events split exactly whatever the byte boundaries (CRLF, a
 * multi-byte character cut in two, multi-line data, comments); the accumulator's
 * per-choice text, finish reasons and token ids, and what it calls malformed; the
 * request checks and the opt-out; the token bucket on a fake clock; the upstream URL
 * checks and that the upstream key never shows.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseProxyRequest, RateLimiter, ResponseAccumulator, SseSplitter, Upstream, UpstreamFault } from '../src/index.js';

const enc = new TextEncoder();

describe('SseSplitter', () => {
  const stream = 'data: {"a":"é"}\r\n\r\n: keep-alive\n\ndata: line1\ndata: line2\n\nevent: x\ndata:[DONE]\n\n';
  it('the same events for every way of cutting the bytes in two, and byte by byte', () => {
    const bytes = enc.encode(stream);
    const whole = new SseSplitter().push(bytes);
    expect(whole).toEqual([
      { raw: 'data: {"a":"é"}\n\n', data: '{"a":"é"}' },
      { raw: ': keep-alive\n\n', data: null },
      { raw: 'data: line1\ndata: line2\n\n', data: 'line1\nline2' },
      { raw: 'event: x\ndata:[DONE]\n\n', data: '[DONE]' },
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const s = new SseSplitter();
      expect([...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))]).toEqual(whole);
    }
    const s = new SseSplitter();
    const one = [];
    for (const b of bytes) one.push(...s.push(Uint8Array.of(b)));
    expect(one).toEqual(whole);
    expect(s.pending).toBe('');
  });

  it('an event cut off by the end of the stream stays pending (never forwarded half)', () => {
    const s = new SseSplitter();
    expect(s.push(enc.encode('data: {"x":1}\n\ndata: {"y"'))).toHaveLength(1);
    expect(s.pending).toBe('data: {"y"');
  });
});

describe('ResponseAccumulator', () => {
  it('chunks: text per choice, finish reasons, token ids, the first id and model', () => {
    const a = new ResponseAccumulator();
    const ch = (index: number, content: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ id: 'u1', model: 'm', choices: [{ index, delta: { content }, ...extra }] });
    expect(a.chunk(ch(0, 'Hel', { token_ids: [1] }))).toBeNull();
    a.chunk(ch(1, 'Other'));
    a.chunk(ch(0, 'lo', { token_ids: [2, 3], finish_reason: 'length' }));
    a.chunk(JSON.stringify({ id: 'u1', choices: [], usage: { total_tokens: 3 } }));
    expect(a.upstreamId).toBe('u1');
    expect(a.model).toBe('m');
    expect(a.list()).toEqual([
      { index: 0, text: 'Hello', finishReason: 'length', tokenIds: [1, 2, 3] },
      { index: 1, text: 'Other', finishReason: null, tokenIds: null },
    ]);
  });

  it('bodies: completions text or chat message content; malformed or not a completion → malformed fault; error events are returned', () => {
    const a = new ResponseAccumulator();
    a.body(Buffer.from(JSON.stringify({ choices: [{ index: 0, text: 'A' }, { index: 1, message: { content: 'B' }, finish_reason: 'stop' }] })));
    expect(a.list().map((c) => c.text)).toEqual(['A', 'B']);
    const fault = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof UpstreamFault ? e.kind : 'other';
      }
      return 'none';
    };
    expect(fault(() => new ResponseAccumulator().body(Buffer.from('{"choices": [')))).toBe('malformed');
    expect(fault(() => new ResponseAccumulator().body(Buffer.from('{"choices": [{"index": -1}]}')))).toBe('malformed');
    expect(fault(() => new ResponseAccumulator().chunk('{"choices": {}}'))).toBe('malformed');
    expect(fault(() => new ResponseAccumulator().chunk('{"choices": [{"index": 0, "token_ids": [1.5]}]}'))).toBe('malformed');
    expect(new ResponseAccumulator().chunk('{"error": {"message": "overloaded"}}')).toEqual({ error: { message: 'overloaded' } });
  });
});

describe('parseProxyRequest', () => {
  const chat = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, { role: 'user', content: 'c' }] };
  it('prompts, params without prompt/messages, unknown parameters forwarded', () => {
    const r = parseProxyRequest('chat.completions', { ...chat, temperature: 0.3, vendor_option: { x: 1 } }, 'refuse');
    expect(r.prompts).toEqual(['ab\nc']);
    expect(JSON.parse(r.params)).toEqual({ model: 'm', temperature: 0.3, vendor_option: { x: 1 } });
    expect(r.body.vendor_option).toEqual({ x: 1 });
    expect(parseProxyRequest('completions', { model: 'm', prompt: ['x', 'y'], n: 2 }, 'refuse')).toMatchObject({ prompts: ['x', 'y'], n: 2, stream: false });
    expect(parseProxyRequest('completions', { model: 'm', prompt: [1, 2, 3] }, 'refuse').prompts).toEqual(['[1,2,3]']);
  });

  it('watermarking: refused unless true; stripped whatever its value with strip; bad requests → 400', () => {
    expect(() => parseProxyRequest('chat.completions', { ...chat, watermarking: false }, 'refuse')).toThrow(/does not allow turning the watermark off/);
    expect(parseProxyRequest('chat.completions', { ...chat, watermarking: true }, 'refuse').body.watermarking).toBe(true);
    for (const v of [false, true, 'off']) expect(parseProxyRequest('chat.completions', { ...chat, watermarking: v }, 'strip').body).not.toHaveProperty('watermarking');
    expect(() => parseProxyRequest('chat.completions', { model: 'm' }, 'refuse')).toThrow(/Missing required parameter: 'messages'/);
    expect(() => parseProxyRequest('completions', { model: 'm', prompt: 'x', stream: 'yes' }, 'refuse')).toThrow(/stream must be a boolean/);
  });
});

describe('RateLimiter', () => {
  it('burst, then one token per 1/rate seconds, per account', () => {
    let t = 0;
    const r = new RateLimiter(2, 3, () => t);
    expect([r.take('a'), r.take('a'), r.take('a')]).toEqual([0, 0, 0]);
    expect(r.take('a')).toBeCloseTo(0.5, 12);
    expect(r.take('b')).toBe(0);
    t = 499;
    expect(r.take('a')).toBeCloseTo(0.001, 9);
    t = 1000;
    expect(r.take('a')).toBe(0); // 1.0 s × 2/s = 2 tokens back (minus nothing taken while refused)
    expect(r.take('a')).toBe(0);
    expect(r.take('a')).toBeGreaterThan(0);
  });
});

describe('Upstream', () => {
  it('refuses non-http URLs, credentials, queries; never shows its key', () => {
    expect(() => new Upstream({ baseUrl: 'file:///etc' })).toThrow(/http or https/);
    expect(() => new Upstream({ baseUrl: 'http://u:p@host/v1' })).toThrow(/credentials/);
    expect(() => new Upstream({ baseUrl: 'http://host/v1?x=1' })).toThrow(/query/);
    const u = new Upstream({ baseUrl: 'http://127.0.0.1:9/v1/', apiKey: 'the-secret-upstream-key' });
    expect(u.baseUrl).toBe('http://127.0.0.1:9/v1');
    expect(JSON.stringify(u) + inspect(u) + String(Object.keys(u))).not.toContain('the-secret-upstream-key');
  });
});
