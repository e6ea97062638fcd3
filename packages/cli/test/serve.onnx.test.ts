/**
 * `--model <dir>`: a local ONNX causal LM through the lm package's adapter. The
 * suite writes a tiny model itself (nothing is downloaded); the spec's tokenizer is
 * that model's "hf:<name>". Responses are watermarked, recorded, and detected on the
 * model's own token ids.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, sha256Hex } from '@tracemark/detector';
import { loadLocalTokenizer } from '@tracemark/lm';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { Ledger } from '@tracemark/serve';
import { makeFixture, type Fixture } from './helpers/fixtures.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

let fx: Fixture;
let srv: ServeHandle;
let modelDir: string;

beforeAll(async () => {
  fx = makeFixture({ seed: 'serve-onnx', tokenizer: 'hf:tiny-lm' });
  modelDir = join(fx.dir, 'tiny-lm');
  await writeTinyCausalLM(modelDir, { vocabSize: 256, hidden: 16, seed: 7 });
  srv = await startServe(['--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', join(fx.dir, 'ledger.sqlite'), '--model', modelDir], {
    timeoutMs: 60_000,
  });
});

afterAll(async () => {
  expect((await srv?.stop())?.code).toBe(0);
});

describe('serve an ONNX model directory', () => {
  it('answers chat and completions with watermarked, recorded text', async () => {
    const listening = srv.events.find((e) => e.event === 'listening')!;
    expect(listening.model).toBe('onnx:tiny-lm');
    expect(listening.maxConcurrency).toBe(1);
    const c = new OpenAI({ apiKey: fx.apiKeys[0]!.key, baseURL: srv.baseURL, maxRetries: 0, timeout: 60_000 });
    const chat = await c.chat.completions.create({ model: 'onnx:tiny-lm', messages: [{ role: 'user', content: 'ba be bi' }], max_tokens: 40, seed: 1 });
    const comp = await c.completions.create({ model: 'onnx:tiny-lm', prompt: 'ba ko', max_tokens: 120, seed: 2 });
    const texts = [chat.choices[0]!.message.content!, comp.choices[0]!.text];
    expect(comp.usage!.completion_tokens).toBe(120);
    const ledger = Ledger.openForReading(join(fx.dir, 'ledger.sqlite'));
    try {
      for (const t of texts) expect(ledger.lookupTextSha256(sha256Hex(t))[0]?.modelId).toBe('onnx:tiny-lm');
    } finally {
      ledger.close();
    }
    // Detection on the model's own token ids (an hf: tokenizer is not built into the detector).
    const tok = await loadLocalTokenizer(modelDir);
    const ids = tok.encode(comp.choices[0]!.text, { add_special_tokens: false });
    const r = new Detector(fx.spec, fx.key).detectTokens(ids);
    expect(r.scored).toBeGreaterThan(60);
    expect(r.log10P).toBeLessThan(-4);
  });
});
