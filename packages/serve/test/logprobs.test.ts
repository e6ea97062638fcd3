/**
 * `logprobs` / `top_logprobs` of the watermarking server: the numbers are the model's own
 * tempered distribution q (recomputed here from the reference model's dense log-probs),
 * never the watermarked one; asking for them does not change the sampled text; streaming
 * and non-streaming carry the same entries; the completions (legacy) shape; bad values are
 * refused with a 400 naming the parameter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, referenceModel, tiktoken } from '@tracemark/lm';
import { generateKey, parseSpec, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { loadServedModel, NextLogprobs, tokenText, TracemarkServer, type ServedModel } from '../src/index.js';

let key: WatermarkKey;
let spec: WatermarkSpec;
let model: ServedModel;
let server: TracemarkServer;
let url: string;

beforeAll(async () => {
  key = generateKey();
  spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
  model = await loadServedModel('builtin', spec);
  server = new TracemarkServer({ wm: new Watermark(spec, key), model, host: '127.0.0.1', port: 0 });
  url = await server.listen();
});
afterAll(async () => {
  await server.shutdown();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: any; text: string }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* SSE */
  }
  return { status: r.status, json, text };
}

function sseChunks(text: string): any[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)));
}

describe('NextLogprobs', () => {
  it('is log-softmax of logits ÷ T over the top_p set (logit descending, id ascending), top-k in that order', () => {
    const logits = [0, Math.log(4), Math.log(2), Math.log(2), -Infinity];
    const a = new NextLogprobs(logits, 1, 1);
    expect(a.of(1)).toBeCloseTo(Math.log(4 / 9), 12);
    expect(a.of(4)).toBe(-Infinity);
    expect(a.top(3).map((e) => e.id)).toEqual([1, 2, 3]);
    expect(a.top(10).length).toBe(4);
    const t = new NextLogprobs(logits, 0.5, 1); // weights 1, 16, 4, 4
    expect(t.of(0)).toBeCloseTo(Math.log(1 / 25), 12);
    // top_p 0.7 of 9: 4 (0.44) then 2 (id 2 before 3: 0.67) then 2 → reaches 0.89 ≥ 0.7: ids 1, 2, 3 kept
    const p = new NextLogprobs(logits, 1, 0.7);
    expect(p.of(0)).toBe(-Infinity);
    expect(p.of(3)).toBeCloseTo(Math.log(2 / 8), 12);
    const p2 = new NextLogprobs(logits, 1, 0.6); // 4/9 < 0.6 ≤ 6/9: ids 1, 2
    expect(p2.of(3)).toBe(-Infinity);
    expect(p2.of(2)).toBeCloseTo(Math.log(2 / 6), 12);
  });

  it('token text: UTF-8, or bytes:\\xNN for part of a character', () => {
    expect(tokenText(Uint8Array.from([0x20, 0x68, 0x69]))).toBe(' hi');
    expect(tokenText(Uint8Array.from([0xe2, 0x80]))).toBe('bytes:\\xe2\\x80');
  });
});

describe('the server returns logprobs', () => {
  const teacher = referenceModel();
  const prompt = 'The history of the city';

  it('completions: the model\'s tempered q at every generated token (not the watermarked law); the same text as without logprobs', async () => {
    const body = { model: model.id, prompt, max_tokens: 30, temperature: 0.7, seed: 11 };
    const plain = await post('/v1/completions', body);
    const r = await post('/v1/completions', { ...body, logprobs: 5 });
    expect(r.status).toBe(200);
    const c = r.json.choices[0];
    expect(c.text).toBe(plain.json.choices[0].text);
    const lp = c.logprobs;
    expect(lp.tokens.length).toBe(r.json.usage.completion_tokens);
    expect(lp.tokens.join('')).toBe(c.text);
    expect(lp.text_offset[0]).toBe(0);
    expect(lp.text_offset[1]).toBe(lp.tokens[0].length);
    // recompute q from the reference model's dense log-probabilities, at the generated ids
    // (each returned token's bytes → its id; re-encoding the text may tokenize it otherwise)
    const enc = tiktoken('o200k_base');
    const bytesOf = (t: string): Uint8Array => (t.startsWith('bytes:') ? Uint8Array.from(t.slice(6).split('\\x').filter(Boolean), (h) => parseInt(h, 16)) : new TextEncoder().encode(t));
    const ctx = [...encode('o200k_base', prompt), ...lp.tokens.map((t: string) => enc.encode_single_token(bytesOf(t)))];
    const start = ctx.length - lp.tokens.length;
    for (let i = 0; i < lp.tokens.length; i++) {
      const l = teacher.logits!(ctx, start + i);
      let m = -Infinity;
      for (const x of l) if (x / 0.7 > m) m = x / 0.7;
      let z = 0;
      for (const x of l) z += Math.exp(x / 0.7 - m);
      const want = l[ctx[start + i]!]! / 0.7 - m - Math.log(z);
      expect(lp.token_logprobs[i]).toBeCloseTo(want, 5);
      const top = Object.values(lp.top_logprobs[i]) as number[];
      expect(top.length).toBeGreaterThan(0);
      expect(top.length).toBeLessThanOrEqual(5);
      expect(Math.max(...top)).toBeGreaterThanOrEqual(lp.token_logprobs[i] - 1e-9);
    }
    // streamed: the same entries, split over the chunks, with running text offsets
    const st = await post('/v1/completions', { ...body, logprobs: 5, stream: true });
    const parts = sseChunks(st.text).map((ch) => ch.choices[0]?.logprobs).filter((x) => x);
    expect(parts.flatMap((x: any) => x.tokens)).toEqual(lp.tokens);
    expect(parts.flatMap((x: any) => x.token_logprobs)).toEqual(lp.token_logprobs);
    expect(parts.flatMap((x: any) => x.text_offset)).toEqual(lp.text_offset);
  });

  it('chat: logprobs.content with top_logprobs; streaming sends the same entries', async () => {
    const body = { model: model.id, messages: [{ role: 'user', content: prompt }], max_tokens: 25, temperature: 1, seed: 5, logprobs: true, top_logprobs: 3 };
    const r = await post('/v1/chat/completions', body);
    expect(r.status).toBe(200);
    const content = r.json.choices[0].logprobs.content;
    expect(r.json.choices[0].logprobs.refusal).toBeNull();
    expect(content.length).toBe(r.json.usage.completion_tokens);
    for (const e of content) {
      expect(Object.keys(e).sort()).toEqual(['bytes', 'logprob', 'token', 'top_logprobs']);
      expect(e.top_logprobs.length).toBe(3);
      const ps = e.top_logprobs.map((t: any) => t.logprob);
      expect([...ps].sort((a, b) => b - a)).toEqual(ps);
      expect(ps.reduce((s: number, x: number) => s + Math.exp(x), 0)).toBeLessThanOrEqual(1 + 1e-9);
      expect(Buffer.from(e.bytes).toString('utf8')).toBe(e.token);
    }
    expect(content.map((e: any) => e.token).join('').trim()).toBe(r.json.choices[0].message.content);
    const s = await post('/v1/chat/completions', { ...body, stream: true });
    const streamed = sseChunks(s.text).flatMap((ch) => ch.choices[0]?.logprobs?.content ?? []);
    expect(streamed).toEqual(content);
  });

  it('refuses bad values with a 400 naming the parameter', async () => {
    const chat = { model: model.id, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 };
    const a = await post('/v1/chat/completions', { ...chat, logprobs: true, top_logprobs: 21 });
    expect(a.status).toBe(400);
    expect(a.json.error.param).toBe('top_logprobs');
    const b = await post('/v1/chat/completions', { ...chat, top_logprobs: 2 });
    expect(b.status).toBe(400);
    expect(b.json.error.message).toMatch(/logprobs must be set to true/);
    const c = await post('/v1/completions', { model: model.id, prompt: 'hi', max_tokens: 3, logprobs: 21 });
    expect(c.status).toBe(400);
    expect(c.json.error.param).toBe('logprobs');
    const d = await post('/v1/chat/completions', { ...chat, logprobs: false });
    expect(d.status).toBe(200);
    expect(d.json.choices[0].logprobs).toBeNull();
  });
});
