import { describe, expect, it } from 'vitest';
import { Embedder, Watermark } from '@tracemark/watermark';
import { CliError } from '@tracemark/detector';
import { generateTexts, generateTextSync, loadModel } from '@tracemark/lm';
import { KEY, spec } from './helpers.js';

const sampling = { maxTokens: 12, temperature: 1, topP: 1, topK: 0, seed: 5 };
const prompts = [
  { id: 'a', prompt: 'The committee said that' },
  { id: 'b', prompt: 'Once upon a time' },
];

describe('generateTexts', () => {
  it('prompt i is sampled with seed "<seed>:<i>", independently of the others, with progress', async () => {
    const seen: [number, number][] = [];
    const r = await generateTexts({ model: 'builtin', tokenizer: 'o200k_base', prompts, sampling, onProgress: (d, t) => seen.push([d, t]) });
    const { model } = await loadModel('builtin', 'o200k_base');
    expect(r.model).toBe(model.id);
    expect(r.results.map((x) => x.id)).toEqual(['a', 'b']);
    expect(seen).toEqual([[1, 2], [2, 2]]);
    const second = generateTextSync({ model, prompt: 'Once upon a time', ...sampling, seed: '5:1' });
    expect(r.results[1]).toEqual({ id: 'b', prompt: 'Once upon a time', text: second.text, tokens: second.tokens.length, watermarkedSteps: 0, stoppedBy: second.stoppedBy });
    const alone = await generateTexts({ model: 'builtin', tokenizer: 'o200k_base', prompts: prompts.slice(0, 1), sampling });
    expect(alone.results[0]).toEqual(r.results[0]);
  });

  it('watermarks every step when given an embedder', async () => {
    const wm = new Embedder(new Watermark(spec({ name: 'kgw' }), KEY));
    const r = await generateTexts({ model: 'builtin', tokenizer: 'o200k_base', prompts, sampling, watermark: wm });
    for (const x of r.results) expect(x.watermarkedSteps).toBe(x.tokens);
  });

  it('refuses a model it cannot load, as usage errors', async () => {
    await expect(loadModel('builtin', 'hf:gpt2')).rejects.toThrow(/^--model builtin needs a tiktoken tokenizer \(o200k_base, .*\); the spec uses hf:gpt2: pass --model <the model directory the spec was made for>, or create a spec with --tokenizer o200k_base$/);
    await expect(generateTexts({ model: '/nonexistent/model', tokenizer: 'o200k_base', prompts, sampling })).rejects.toSatisfy(
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message === '--model must be "builtin" or a model directory; not found: /nonexistent/model',
    );
  });
});
