/**
 * `--model <dir>` with an engine spec: the ONNX model's dense logits ÷ temperature, cut to
 * the top_p set, go to the engine sampler (engine.ts truncatedLogits). The suite writes a
 * tiny model itself (nothing is downloaded). Responses, re-encoded to the model's ids, are
 * read by the engine spec's detector and by the engine's own statistic; another key is null.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '@tracemark/detector';
import { loadLocalTokenizer } from '@tracemark/lm';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { exportEngineKeyFile, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { startServe, type ServeHandle } from './helpers/serve.js';

const TOKENIZER = 'hf:tiny-lm';

function randomFrom(seed: string): (n: number) => Uint8Array {
  const rng = seededRng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

function engineFiles(dir: string, name: string, seed: string): { spec: EngineSpec; key: EngineKey; specPath: string; keyPath: string } {
  const engine = { scheme: 'vllm/gumbel' as const };
  const key = generateEngineKey(parseEngineSpec({ version: 2, tokenizer: TOKENIZER, engine, keyFingerprint: '0'.repeat(32) }).engine, randomFrom(seed));
  const spec = parseEngineSpec({ version: 2, id: name, tokenizer: TOKENIZER, engine, keyFingerprint: key.fingerprint });
  const specPath = join(dir, `${name}.spec.json`);
  const keyPath = join(dir, `${name}.key.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  writeFileSync(keyPath, JSON.stringify(exportEngineKeyFile(key, new Date(0))), { mode: 0o600 });
  return { spec, key, specPath, keyPath };
}

let dir: string;
let modelDir: string;
let srv: ServeHandle;
let mine: ReturnType<typeof engineFiles>;
let other: ReturnType<typeof engineFiles>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-onnx-engine-'));
  modelDir = join(dir, 'tiny-lm');
  await writeTinyCausalLM(modelDir, { vocabSize: 256, hidden: 16, seed: 7 });
  mine = engineFiles(dir, 'vllm', 'onnx-engine-key');
  other = engineFiles(dir, 'vllm-other', 'onnx-engine-other-key');
  srv = await startServe(['--spec', mine.specPath, '--key', mine.keyPath, '--model', modelDir], { timeoutMs: 60_000 });
});

afterAll(async () => {
  expect((await srv?.stop())?.code).toBe(0);
});

describe('serve an ONNX model with an engine spec', () => {
  it('vLLM gumbel on the dense logits (top_p 1 and 0.9): read by the engine spec and the engine detector; another key null', { timeout: 120_000 }, async () => {
    expect(srv.events.find((e) => e.event === 'listening')).toMatchObject({ scheme: 'vllm/gumbel', model: 'onnx:tiny-lm' });
    const c = new OpenAI({ apiKey: 'unused', baseURL: srv.baseURL, maxRetries: 0, timeout: 60_000 });
    const tok = await loadLocalTokenizer(modelDir);
    for (const top_p of [1, 0.9]) {
      const comp = await c.completions.create({ model: 'onnx:tiny-lm', prompt: 'ba ko', max_tokens: 120, seed: 2, temperature: 1, top_p });
      const ids = tok.encode(comp.choices[0]!.text, { add_special_tokens: false });
      const r = new Detector(mine.spec, mine.key).detectTokens(ids);
      expect(r.scored, `top_p ${top_p}`).toBeGreaterThan(60);
      expect(r.log10P, `top_p ${top_p}`).toBeLessThan(-6);
      expect(r.engine!.watermarked, `top_p ${top_p}`).toBe(true);
      const n = new Detector(other.spec, other.key).detectTokens(ids);
      expect(n.log10P).toBeGreaterThan(-3);
      expect(n.engine!.watermarked).toBe(false);
    }
  });
});
