import { afterAll, describe, expect, it } from 'vitest';
import { get_encoding } from 'tiktoken';
import { CliError, Detector, detectTexts, specId } from '../src/index.js';
import { embed, generate, randomTokens, testKey, testSpec } from './helpers.js';

const key = testKey('detect-texts');
const enc = get_encoding('o200k_base');
const detectors: Detector[] = [];
function detector(input: Parameters<typeof testSpec>[1]): Detector {
  const d = new Detector(testSpec(key, input), key);
  detectors.push(d);
  return d;
}
afterAll(() => {
  detectors.forEach((d) => d.dispose());
  enc.free();
});
const text = (toks: Uint32Array): string => new TextDecoder().decode(enc.decode(toks));

describe('detectTexts', () => {
  const d = detector({ scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
  const marked = text(generate(d.watermark, { n: 300, seed: 'marked' }));
  const plain = text(randomTokens(300, 'plain', 100_000));

  it('gives verdicts at α, spans for zero-bit specs, and the batch header', () => {
    const r = detectTexts(d, [{ source: 'a', text: marked }, { source: 'b', id: 'x', text: plain }], { alpha: 1e-6 });
    expect(r).toMatchObject({ alpha: 1e-6, specId: specId(d.spec), scheme: 'kgw', keyFingerprint: key.fingerprint, texts: 2, detected: 1 });
    const [a, b] = r.results;
    expect(a!.verdict).toBe('detected');
    expect(a!.lnP).toBeLessThan(Math.log(1e-6));
    expect(a!.spans!.length).toBeGreaterThan(0);
    expect(a!.localization!.correction).toBe('bonferroni');
    expect(b).toMatchObject({ source: 'b', id: 'x', verdict: 'not-detected' });
    // key order is the report's: source, id, verdict, then the test's numbers
    expect(Object.keys(b!).slice(0, 4)).toEqual(['source', 'id', 'verdict', 'tokens']);
    expect('id' in a!).toBe(false);
  });

  it('skips the span search when asked', () => {
    const r = detectTexts(d, [{ source: 'a', text: marked }], { alpha: 0.5, spans: false });
    expect(r.results[0]!.spans).toBeUndefined();
    expect(r.results[0]!.localization).toBeUndefined();
    expect(r.detected).toBe(1);
  });

  it('excludes the prompt and the global exclusions from scoring', () => {
    const r = detectTexts(d, [{ source: 'p', text: marked, prompt: marked }], { alpha: 1e-6 });
    expect(r.results[0]!.scored).toBe(0);
    expect(r.results[0]!.verdict).toBe('not-detected');
    const g = detectTexts(d, [{ source: 'g', text: marked }], { alpha: 1e-6, exclude: [marked] });
    expect(g.results[0]!.scored).toBe(0);
    expect(g.results[0]!.excluded).toBeGreaterThan(0);
  });

  it('an empty text is p = 1, not an error; other refusals name the source', () => {
    const r = detectTexts(d, [{ source: 'empty', text: '' }], { alpha: 1e-6 });
    expect(r.results[0]).toMatchObject({ verdict: 'not-detected', tokens: 0, tooShort: true, test: 'binomial', lnP: 0, pValue: '1' });
    const small = new Detector(d.spec, key, { tokenizer: { maxTextChars: 10 } });
    detectors.push(small);
    let err: unknown;
    try {
      detectTexts(small, [{ source: 'big.txt', text: 'x'.repeat(11) }], { alpha: 1e-6 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toMatch(/^big\.txt: /);
  });

  it('reports the payload id and no spans for payload specs', () => {
    const p = detector({ scheme: { name: 'kgw', gamma: 0.25, delta: 2.5 }, context: { width: 2, mode: 'left' }, payload: { bits: 16, digitBits: 2 } });
    const r = detectTexts(p, [{ source: 'pay', text: text(embed(p.watermark, { n: 400, seed: 'pay', message: 0xbeefn })) }], { alpha: 1e-6 });
    const t = r.results[0]!;
    expect(t.test).toBe('payload');
    expect(t.payload!.messageHex).toBe('0xbeef');
    expect(t.spans).toBeUndefined();
    expect(detectTexts(p, [{ source: 'e', text: '' }], { alpha: 1e-6 }).results[0]!.test).toBe('payload');
  });
});
