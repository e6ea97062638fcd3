/**
 * The upstream proxy end to end with the official `openai` client: `tracemark serve`'s
 * handler emulating vLLM's Gumbel watermark (createHandler with an engine spec, the
 * built-in model) is the upstream, the proxy in front of it authenticates two accounts
 * and records a SQLite ledger. Streaming and not, completions and chat: every text the
 * clients received carries the engine watermark (Detector with the engine spec and key:
 * strong exact p), and each has exactly one ledger row that matches it — text hash,
 * account, endpoint, upstream model and response id, token count of the spec's
 * tokenizer, request parameters.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '@tracemark/lm';
import { Detector, sha256Hex } from '@tracemark/detector';
import { createHandler, createProxyHandler, Ledger, loadServedModel, renderChat, Upstream, type TracemarkHandler, type ProxyHandler } from '../src/index.js';
import { apiKeys, countTokens, engineMarking, KEYS, listen, TOKENIZER, type Listening } from './proxy-helpers.js';

const mark = engineMarking({ scheme: 'vllm/gumbel' }, 'proxy-openai-vllm-gumbel');
const dir = mkdtempSync(join(tmpdir(), 'tracemark-proxy-openai-'));
const ledgerPath = join(dir, 'ledger.sqlite');
let upstreamHandler: TracemarkHandler | null = null;
let upstream: Listening | null = null;
let proxyHandler: ProxyHandler | null = null;
let proxy: Listening | null = null;

beforeAll(async () => {
  const model = await loadServedModel('builtin', mark.spec);
  upstreamHandler = createHandler({ engine: { spec: mark.spec, key: mark.key }, model });
  upstream = await listen(upstreamHandler);
  proxyHandler = createProxyHandler({
    upstream: new Upstream({ baseUrl: `${upstream.url}/v1`, timeoutMs: 30_000 }),
    countTokens,
    apiKeys: apiKeys(),
    ledger: Ledger.openForWriting(ledgerPath, mark.binding),
  });
  proxy = await listen(proxyHandler);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await proxyHandler?.close();
  await upstream?.close();
  await upstreamHandler?.close();
});

interface Received {
  account: string;
  endpoint: 'completions' | 'chat.completions';
  id: string;
  model: string;
  text: string;
  finish: string;
  prompt: Uint32Array;
}

describe('serve --upstream in front of tracemark serve emulating vLLM gumbel', () => {
  it('openai client, streaming and not: outputs carry the engine watermark; ledger rows match what each client received', async () => {
    const client = (key: string): OpenAI => new OpenAI({ apiKey: key, baseURL: `${proxy!.url}/v1`, maxRetries: 0, timeout: 60_000 });
    const alice = client(KEYS.alice);
    const bob = client(KEYS.bob);
    const models = await alice.models.list();
    const model = models.data[0]!.id;
    expect(model).toBe('kn3-o200k_base-reference');
    const got: Received[] = [];
    const PROMPT = 'The history of the river valley';
    const MESSAGES = [{ role: 'user' as const, content: 'Write about the old harbour town and its fishermen.' }];
    const chatPrompt = encode(TOKENIZER, renderChat(MESSAGES));

    // Completions, not streamed (alice).
    const c1 = await alice.completions.create({ model, prompt: PROMPT, max_tokens: 160, temperature: 0.7, seed: 11 });
    got.push({ account: 'alice', endpoint: 'completions', id: c1.id, model: c1.model, text: c1.choices[0]!.text, finish: c1.choices[0]!.finish_reason, prompt: encode(TOKENIZER, PROMPT) });

    // Completions, streamed (bob).
    const s1 = await bob.completions.create({ model, prompt: PROMPT, max_tokens: 160, temperature: 0.7, seed: 12, stream: true });
    let text = '';
    let id = '';
    let finish = '';
    let chunks = 0;
    for await (const ch of s1) {
      id = ch.id;
      chunks++;
      text += ch.choices[0]?.text ?? '';
      finish = ch.choices[0]?.finish_reason ?? finish;
    }
    expect(chunks).toBeGreaterThan(20); // token by token, not one buffered blob
    got.push({ account: 'bob', endpoint: 'completions', id, model, text, finish, prompt: encode(TOKENIZER, PROMPT) });

    // Chat, not streamed (bob) and streamed (alice).
    const c2 = await bob.chat.completions.create({ model, messages: MESSAGES, max_tokens: 160, temperature: 0.7, seed: 13 });
    got.push({ account: 'bob', endpoint: 'chat.completions', id: c2.id, model: c2.model, text: c2.choices[0]!.message.content ?? '', finish: c2.choices[0]!.finish_reason, prompt: chatPrompt });
    const s2 = await alice.chat.completions.create({ model, messages: MESSAGES, max_tokens: 160, temperature: 0.7, seed: 14, stream: true });
    text = '';
    finish = '';
    for await (const ch of s2) {
      id = ch.id;
      text += ch.choices[0]?.delta.content ?? '';
      finish = ch.choices[0]?.finish_reason ?? finish;
    }
    got.push({ account: 'alice', endpoint: 'chat.completions', id, model, text, finish, prompt: chatPrompt });

    const det = new Detector(mark.spec, mark.key);
    const other = engineMarking({ scheme: 'vllm/gumbel' }, 'proxy-openai-other-key');
    const wrong = new Detector(other.spec, other.key);
    for (const g of got) {
      expect(countTokens(g.text)).toBeGreaterThan(40);
      const r = det.detect(g.text, { prompt: g.prompt });
      expect(r.scheme).toBe('vllm/gumbel');
      expect(r.log10P).toBeLessThan(-6);
      expect(wrong.detect(g.text, { prompt: g.prompt }).log10P).toBeGreaterThan(-3);
    }

    // Rows are committed before the response's last bytes: readable now, from another connection.
    const ledger = Ledger.openForReading(ledgerPath);
    try {
      expect(ledger.schemaVersion).toBe(2);
      expect((await ledger.stats()).responses).toBe(got.length);
      for (const g of got) {
        const rows = ledger.lookupTextSha256(sha256Hex(g.text));
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(row).toMatchObject({
          account: g.account,
          accountId: g.account === 'alice' ? 1 : 2,
          endpoint: g.endpoint,
          modelId: g.model,
          upstreamId: g.id,
          finishReason: g.finish,
          completionTokens: countTokens(g.text),
          windowCount: 0,
          tokenIds: null,
        });
        const params = JSON.parse(row.params!) as Record<string, unknown>;
        expect(params).toMatchObject({ model, temperature: 0.7, max_tokens: 160 });
        expect(params.prompt).toBeUndefined();
        expect(params.messages).toBeUndefined();
        expect(row.promptTokens).toBeGreaterThan(0);
      }
    } finally {
      ledger.close();
    }
  }, 180_000);
});
