import { describe, expect, it } from 'vitest';
import { Embedder, Watermark, type SamplingOptions, type SparseDistribution } from '@tracemark/watermark';
import {
  decode,
  generate,
  generateText,
  generateTextSync,
  KneserNeyModel,
  promptWindows,
  referenceModel,
  trainKneserNey,
  type LanguageModel,
} from '@tracemark/lm';
import { KEY, spec } from './helpers.js';

const model = referenceModel();

/** The reference model behind a context limit. */
function limited(maxContext: number): LanguageModel {
  return {
    id: 'limited',
    tokenizer: model.tokenizer,
    vocabSize: model.vocabSize,
    eos: model.eos,
    maxContext,
    distribution: (p: ArrayLike<number>, n: number, o: SamplingOptions): SparseDistribution => model.distribution(p, n, o),
  };
}

describe('generate', () => {
  it('is deterministic in the seed and streams exactly the final text', async () => {
    const opts = { model, prompt: 'The committee said that', maxTokens: 60, seed: 7 };
    const a = await generateText(opts);
    const b = await generateText(opts);
    const c = await generateText({ ...opts, seed: 8 });
    expect(b).toEqual(a);
    expect(c.tokens).not.toEqual(a.tokens);
    let streamed = '';
    const tokens: number[] = [];
    const it = generate(opts);
    for (;;) {
      const r = await it.next();
      if (r.done) {
        expect(r.value).toEqual(a);
        break;
      }
      streamed += r.value.text;
      tokens.push(r.value.token);
      expect(r.value.watermarked).toBe(false);
    }
    expect(tokens).toEqual(a.tokens);
    expect(streamed).toBe(a.text);
    expect(a.text).toBe(decode('o200k_base', a.tokens));
    expect(a.promptTokens).toEqual([976, 25368, 2059, 484]); // "The", " committee", " said", " that"
    expect(a.windowsFromPrompt).toEqual([[976], [25368], [2059], [484]]);
    expect(['maxTokens', 'eos']).toContain(a.stoppedBy);
  });

  it('accepts token prompts and reports the watermark bookkeeping', () => {
    const wm = new Embedder(new Watermark(spec({ name: 'kgw' }), KEY));
    const r = generateTextSync({ model, watermark: wm, prompt: [976, 20107], maxTokens: 50, seed: 3 });
    expect(r.promptTokens).toEqual([976, 20107]);
    expect(r.watermarkedSteps).toBe(r.tokens.length); // h = 1: every step has context
    expect(r.fromRestSteps).toBeGreaterThan(0);
    expect(r.fromRestSteps).toBeLessThan(r.tokens.length);
    const u = generateTextSync({ model, prompt: [976, 20107], maxTokens: 50, seed: 3 });
    expect(u.watermarkedSteps).toBe(0);
    expect(u.tokens).not.toEqual(r.tokens);
  });

  it('stops before a stop string and never emits part of it', () => {
    const free = generateTextSync({ model, prompt: 'It was', maxTokens: 200, seed: 11 });
    // Stop at the first occurrence of " the" in the free-running text: same seed, same tokens up to it.
    const at = free.text.indexOf(' the');
    expect(at).toBeGreaterThan(0);
    const r = generateTextSync({ model, prompt: 'It was', maxTokens: 200, seed: 11, stop: [' the', 'NEVER'] });
    expect(r.stoppedBy).toBe('stop');
    expect(r.text).toBe(free.text.slice(0, at));
    expect(r.tokens).toEqual(free.tokens.slice(0, r.tokens.length));
  });

  it('stops at the end-of-text token without emitting it', () => {
    // Documents of two words: the model ends texts quickly.
    const tiny = new KneserNeyModel(trainKneserNey(['red fox', 'blue fox', 'red hen', 'blue hen'], { order: 2 }));
    const r = generateTextSync({ model: tiny, prompt: 'red', maxTokens: 50, seed: 1 });
    expect(r.stoppedBy).toBe('eos');
    expect(r.tokens).not.toContain(tiny.eos);
    expect(r.tokens.length).toBeLessThan(50);
  });

  it('refuses a prompt longer than the model context, and stops at the context limit', () => {
    const prompt = 'one two three four five six seven eight nine ten';
    expect(() => generateTextSync({ model: limited(5), prompt, maxTokens: 5, seed: 1 })).toThrow(
      'generate: the prompt is 10 tokens, longer than the model\'s context of 5 tokens',
    );
    const r = generateTextSync({ model: limited(14), prompt, maxTokens: 50, seed: 1 });
    expect(r.stoppedBy === 'context' || r.stoppedBy === 'eos').toBe(true);
    expect(r.promptTokens.length + r.tokens.length).toBeLessThanOrEqual(14);
  });

  it('rejects invalid options with one-line errors', () => {
    const base = { model, prompt: 'Hi', maxTokens: 5, seed: 1 };
    expect(() => generateTextSync({ ...base, maxTokens: -1 })).toThrow(/maxTokens must be a non-negative integer/);
    expect(() => generateTextSync({ ...base, seed: 0.5 })).toThrow(/seed must be an integer or a string/);
    expect(() => generateTextSync({ ...base, temperature: 0 })).toThrow(/temperature must be a finite number > 0/);
    expect(() => generateTextSync({ ...base, topP: 2 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => generateTextSync({ ...base, stop: [''] })).toThrow(/stop must be an array of non-empty strings/);
    expect(() => generateTextSync({ ...base, prompt: [1, -2] })).toThrow(/prompt token 1 is -2/);
    expect(() => generateTextSync({ ...base, prompt: [200000] })).toThrow(/not a token id of the model/);
    const cl = new Embedder(new Watermark(spec({ name: 'kgw' }, { tokenizer: 'cl100k_base' }), KEY));
    expect(() => generateTextSync({ ...base, watermark: cl })).toThrow(/spec's tokenizer cl100k_base differs from the model's o200k_base/);
    expect(generateTextSync({ ...base, maxTokens: 0 })).toMatchObject({ text: '', tokens: [], stoppedBy: 'maxTokens' });
  });

  it('lists the distinct prompt windows of the watermark context width', () => {
    expect(promptWindows([1, 2, 1, 2, 3], 2)).toEqual([
      [1, 2],
      [2, 1],
      [2, 3],
    ]);
    expect(promptWindows([1, 2], 3)).toEqual([]);
    expect(promptWindows([1, 2], 0)).toEqual([]);
  });
});

describe('long generations', () => {
  it('grow the context as they go (maxTokens is only a limit)', () => {
    const r = generateTextSync({ model, prompt: 'The', maxTokens: 1_000_000_000, seed: 2, stop: ['.'] });
    expect(r.stoppedBy === 'stop' || r.stoppedBy === 'eos').toBe(true);
    // This seed runs past the initial 1,024-token buffer before its end-of-text.
    const long = generateTextSync({ model, prompt: [976], maxTokens: 3000, seed: 4 });
    expect(long.tokens.length).toBeGreaterThan(1024);
    expect(long.text).toBe(decode('o200k_base', long.tokens));
  });
});
