/**
 * End to end: text generated through `generate` with each scheme is detected by
 * @tracemark/detector at the expected strength; unwatermarked text from the same
 * model, prompts and seeds is not.
 */
import { describe, expect, it } from 'vitest';
import { Detector } from '@tracemark/detector';
import { Embedder, Watermark, type WatermarkSpecInput } from '@tracemark/watermark';
import { generateTextSync, referenceModel, type GenerateSummary } from '@tracemark/lm';
import { KEY, spec } from './helpers.js';

const model = referenceModel();
const PROMPTS = ['The committee said that', 'In the morning the', 'It is obvious that the'];

/** Three responses joined as one document; the prompts are what detection excludes. */
function document(embedder: Embedder | undefined, maxTokens: number): { text: string; runs: GenerateSummary[] } {
  const runs = PROMPTS.map((prompt, i) => generateTextSync({ model, watermark: embedder, prompt, maxTokens, seed: 100 + i }));
  return { text: runs.map((r) => r.text).join('\n\n'), runs };
}

const SCHEMES: [string, WatermarkSpecInput['scheme']][] = [
  ['kgw (γ 0.25, δ 2)', { name: 'kgw', gamma: 0.25, delta: 2 }],
  ['gumbel', { name: 'gumbel' }],
  ['synthid (30 layers)', { name: 'synthid', layers: 30 }],
  ['unigram (γ 0.25, δ 2)', { name: 'unigram', gamma: 0.25, delta: 2 }],
];

describe.each(SCHEMES)('%s at temperature 1', (_name, scheme) => {
  const s = spec(scheme);
  const detector = new Detector(s, KEY);
  const embedder = new Embedder(new Watermark(s, KEY));

  it('is detected in a few hundred tokens (p < 1e-6); the same generation without it is not (p > 1e-3)', () => {
    const marked = document(embedder, 120);
    const plain = document(undefined, 120);
    const exclude = marked.runs.map((r) => r.promptTokens);
    const m = detector.detect(marked.text, { exclude });
    const p = detector.detect(plain.text, { exclude });
    expect(m.tokens).toBeLessThan(400);
    expect(m.scored).toBeGreaterThan(100);
    expect(m.log10P).toBeLessThan(-6);
    expect(p.scored).toBeGreaterThan(100);
    expect(p.log10P).toBeGreaterThan(-3);
    // Every step had context (h = 1, or none needed for unigram); rest draws are the exception.
    for (const r of marked.runs) expect(r.watermarkedSteps).toBeGreaterThan(0.5 * r.tokens.length);
  });
});

describe('payload = account id', () => {
  it('is decoded from a watermarked response', () => {
    const s = spec({ name: 'kgw', gamma: 0.25, delta: 2 }, { payload: { bits: 16, digitBits: 2 } });
    const account = 0xbeef;
    const embedder = new Embedder(new Watermark(s, KEY), { message: BigInt(account) });
    const runs = ['The jury said', 'Our only trouble is', 'He looked at the'].map((prompt, i) =>
      generateTextSync({ model, watermark: embedder, prompt, maxTokens: 250, seed: 7 + i }),
    );
    const r = new Detector(s, KEY).detect(runs.map((x) => x.text).join('\n\n'), { exclude: runs.map((x) => x.promptTokens) });
    expect(r.payload?.message).toBe(String(account));
    expect(r.log10P).toBeLessThan(-6);
  });
});
