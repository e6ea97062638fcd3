/**
 * A spec's tokenizer against the model that embeds with it: every refusal is one
 * line that says what to do (generate and serve with --model <dir>).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder, generateKey, parseSpec, Watermark } from '@tracemark/watermark';
import { generateTexts, specTokenizerMismatch, suggestedTokenizerId } from '../src/index.js';
import { writeTinyCausalLM } from '../src/testing/index.js';

let root: string;
let model: string;
let other: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tracemark-lm-tokmatch-'));
  model = join(root, 'my-model');
  other = join(root, 'other-model');
  await writeTinyCausalLM(model, { vocabSize: 64, hidden: 4 });
  await writeTinyCausalLM(other, { vocabSize: 80, hidden: 4 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('specTokenizerMismatch', () => {
  it('a tiktoken spec against a model directory: create the spec with --tokenizer hf:<dir>', () => {
    expect(specTokenizerMismatch('o200k_base', model)).toBe(
      `the spec's tokenizer is o200k_base but the model in ${model} uses its own tokenizer.json: create the spec with tracemark spec init --tokenizer hf:${model}`,
    );
  });

  it("an hf: spec naming another model's tokenizer here is refused; the same tokenizer (a copy, or re-indented) is accepted", () => {
    expect(specTokenizerMismatch(`hf:${other}`, model)).toBe(
      `the spec's tokenizer hf:${other} (${join(other, 'tokenizer.json')}) is not the tokenizer of the model in ${model}: create the spec with tracemark spec init --tokenizer hf:${model}, or pass the --model the spec was made for`,
    );
    expect(specTokenizerMismatch(`hf:${model}`, model)).toBeNull();
    const copy = join(root, 'tokenizer-copy');
    cpSync(model, copy, { recursive: true });
    const tj = join(copy, 'tokenizer.json');
    writeFileSync(tj, JSON.stringify(JSON.parse(readFileSync(tj, 'utf8'))));
    expect(specTokenizerMismatch(`hf:${copy}`, model)).toBeNull();
  });

  it('an hf: spec that names no directory here is accepted (the model’s own tokenizer is used)', () => {
    expect(specTokenizerMismatch('hf:my-model', model)).toBeNull();
  });

  it('suggests the path as typed, else relative to here, else absolute', () => {
    expect(suggestedTokenizerId('models/qwen/')).toBe('hf:models/qwen');
    expect(suggestedTokenizerId(join(root, 'my-model'))).toBe(`hf:${join(root, 'my-model')}`);
    const spaced = join(process.cwd(), 'my model');
    expect(suggestedTokenizerId(spaced)).toMatch(/^hf:<a path to the model directory/);
    expect(relative(process.cwd(), spaced)).toBe('my model');
  });
});

describe('generateTexts refuses a watermark whose spec has another tokenizer', () => {
  it('with the one-line fix; --plain (no watermark) is not checked', async () => {
    const key = generateKey();
    const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
    const watermark = new Embedder(new Watermark(spec, key));
    const sampling = { maxTokens: 5, temperature: 1, topP: 1, topK: 0, seed: 1 };
    const prompts = [{ id: 'a', prompt: 'ba' }];
    await expect(generateTexts({ model, tokenizer: 'o200k_base', watermark, prompts, sampling })).rejects.toThrow(
      `the spec's tokenizer is o200k_base but the model in ${model} uses its own tokenizer.json: create the spec with tracemark spec init --tokenizer hf:${model}`,
    );
    const plain = await generateTexts({ model, tokenizer: 'o200k_base', prompts, sampling });
    expect(plain.results[0]!.tokens).toBe(5);
  });
});
