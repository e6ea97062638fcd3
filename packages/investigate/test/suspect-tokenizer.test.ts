/**
 * loadSuspectModel (what `radioactivity --model <dir>` loads): a model directory whose own
 * tokenizer.json is the spec's tiktoken vocabulary (every id the same bytes) is accepted for
 * that spec; a directory with another vocabulary is refused in one line that says why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tiktokenTokenizerJson, writeTinyCausalLM, writeTokenizerJson } from '@tracemark/lm/testing';
import { parseSpec, WatermarkKey } from '@tracemark/watermark';
import { loadSuspectModel } from '../src/index.js';

const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff));
const SPEC = parseSpec({ version: 1, tokenizer: 'r50k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint });
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tracemark-suspect-tok-'));
  // a model over r50k_base's 50,257 ids whose tokenizer.json is r50k_base's vocabulary
  await writeTinyCausalLM(join(root, 'r50k-model'), { vocabSize: 50257, hidden: 4 });
  writeTokenizerJson(join(root, 'r50k-model'), tiktokenTokenizerJson('r50k_base'));
  await writeTinyCausalLM(join(root, 'tiny-model'), { vocabSize: 64, hidden: 4 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadSuspectModel', () => {
  it("accepts a model whose tokenizer.json is the spec's tiktoken vocabulary under another id", async () => {
    const dir = join(root, 'r50k-model');
    const m = await loadSuspectModel(dir, SPEC);
    try {
      expect(m.model.tokenizer).toBe('hf:r50k-model');
      expect(m.model.vocabSize).toBe(50257);
    } finally {
      await m.dispose();
    }
  });

  it('refuses a model with another vocabulary, naming the first difference', async () => {
    const dir = join(root, 'tiny-model');
    await expect(loadSuspectModel(dir, SPEC)).rejects.toThrow(`--model ${dir}: its tokenizer is hf:tiny-model, the spec's is r50k_base and they differ (special token "[UNK]" is id 0 there, no single id in r50k_base)`);
  });
});
