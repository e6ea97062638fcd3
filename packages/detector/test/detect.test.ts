import { afterAll, describe, expect, it } from 'vitest';
import { exportKeyFile, Watermark } from '@tracemark/watermark';
import { get_encoding } from 'tiktoken';
import { Detector, DetectorError, binomialUpperTailLog } from '../src/index.js';
import { embed, generate, randomTokens, testKey, testSpec } from './helpers.js';

/** Counted independently of the scorer: distinct (window, token) tuples n and the green ones s (width-1 windows from position 1). */
function distinctGreen(wm: Watermark, toks: ArrayLike<number>): { n: number; s: number } {
  const seen = new Set<string>();
  let n = 0, s = 0;
  const w = { hi: 0, lo: 0 };
  for (let i = 1; i < toks.length; i++) {
    wm.windowSeed(toks, i, w);
    const k = `${w.hi},${w.lo},${toks[i]}`;
    if (seen.has(k)) continue;
    seen.add(k);
    n++;
    if (wm.isGreen(w, toks[i]!)) s++;
  }
  return { n, s };
}

const LN_1E6 = Math.log(1e-6);
const key = testKey('detect');
const detectors: Detector[] = [];
function detector(input: Parameters<typeof testSpec>[1], k = key): Detector {
  const d = new Detector(testSpec(k, input), k);
  detectors.push(d);
  return d;
}
afterAll(() => detectors.forEach((d) => d.dispose()));

describe('watermarked text (from the Embedder) is detected at 200 tokens', () => {
  const cases = [
    { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } },
    { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 4, mode: 'self' } },
    { scheme: { name: 'gumbel' }, context: { width: 2, mode: 'left' } },
    { scheme: { name: 'synthid', layers: 30 }, context: { width: 2, mode: 'min' } },
    { scheme: { name: 'unigram', gamma: 0.25, delta: 2 } },
  ] as const;
  for (const c of cases) {
    it(`${c.scheme.name} ${'context' in c ? `${c.context.mode} h=${c.context.width}` : ''}`, () => {
      const d = detector(c);
      for (const seed of [1, 2, 3]) {
        const toks = embed(d.watermark, { n: 200, seed });
        const r = d.detectTokens(toks);
        expect(r.tokens).toBe(200);
        expect(r.lnP).toBeLessThan(LN_1E6);
        expect(r.log10P).toBeCloseTo(r.lnP / Math.LN10, 10);
        expect(r.tooShort).toBe(false);
      }
    });
  }
});

describe('exact p-value', () => {
  it('KGW: P(S ≥ s) with S ~ Bin(n, γ_eff) over distinct tuples, counted independently', () => {
    const d = detector({ scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 1, mode: 'left' } });
    const wm = d.watermark;
    const toks = generate(wm, { n: 120, seed: 'p', vocab: 50 }); // small vocab → repeated bigrams
    const { n, s } = distinctGreen(wm, toks);
    const r = d.detectTokens(toks);
    expect(r.duplicates).toBeGreaterThan(0);
    expect(r.scored).toBe(n);
    expect(r.score).toBe(s);
    expect(r.lnP).toBe(binomialUpperTailLog(s, n, wm.gammaEff));
    expect(r.noContext).toBe(1);
  });
  it('repeated text is scored once: 50 copies of a watermarked sentence are not 50× the evidence', () => {
    const d = detector({ scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 2, mode: 'left' } });
    const one = generate(d.watermark, { n: 20, seed: 'rep' });
    const many = Uint32Array.from({ length: 1000 }, (_, i) => one[i % 20]!);
    const once = d.detectTokens(one);
    const r = d.detectTokens(many);
    expect(r.scored).toBeLessThanOrEqual(once.scored + 20); // + the windows across copy boundaries
    const noDedup = d.detectTokens(many, { dedup: false });
    expect(noDedup.scored).toBe(998);
    expect(noDedup.lnP).toBeLessThan(r.lnP - 100);
  });
  it('windows given to the generator are excluded', () => {
    const d = detector({ scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 2, mode: 'left' } });
    const prompt = generate(d.watermark, { n: 300, seed: 'prompt' }); // a watermarked prompt the suspect echoes
    const echo = Uint32Array.from([...prompt.slice(0, 150), ...randomTokens(100, 'fresh', 100_000)]);
    const plain = d.detectTokens(echo);
    expect(plain.lnP).toBeLessThan(LN_1E6);
    const ex = d.detectTokens(echo, { exclude: [prompt] });
    expect(ex.excluded).toBe(149); // every window inside the prompt (positions 2..150)
    expect(ex.lnP).toBeGreaterThan(Math.log(1e-3));
  });
  it('unigram exclusion is by token (there is no window)', () => {
    const d = detector({ scheme: { name: 'unigram', gamma: 0.5 } });
    const r = d.detectTokens([1, 2, 3, 4, 2], { exclude: [[2, 9]] });
    expect(r.excluded).toBe(2);
    expect(r.scored).toBe(3);
    expect(r.noContext).toBe(0);
  });
});

describe('text input', () => {
  const d = detector({ scheme: { name: 'kgw' }, context: { width: 1, mode: 'left' } });
  const enc = get_encoding('o200k_base');
  afterAll(() => enc.free());
  it('detects watermarked text after decoding and re-tokenizing', () => {
    const toks = generate(d.watermark, { n: 300, seed: 'text' });
    const text = new TextDecoder().decode(enc.decode(toks));
    const r = d.detect(text);
    expect(r.lnP).toBeLessThan(LN_1E6);
    expect(d.detect(new TextEncoder().encode(text)).lnP).toBe(r.lnP);
  });
  it('reports special-token strings and treats them as ordinary text', () => {
    const r = d.detect('hello <|endoftext|> world <|endoftext|>');
    expect(r.specialStrings).toBe(2);
    expect(r.special).toBe(0);
    expect(r.tokens).toBeGreaterThan(4);
  });
  it('flags special tokens in pre-tokenized input', () => {
    const r = d.detectTokens([1000, 199999, 2000, 3000]);
    expect(r.special).toBe(1);
    expect(r.scored).toBe(2);
  });
  it('flags short texts instead of hiding them: the p-value is still the exact one', () => {
    // Recount independently: o200k tokens, distinct (window, token) tuples, green by the key,
    // and the binomial tail P(S ≥ s), S ~ Bin(n, γ_eff), summed term by term.
    const wm = d.watermark;
    const g = wm.gammaEff;
    let someGreen = false;
    for (const text of ['Hi there.', 'Hello, world!', 'The cat sat on the mat.', 'See you at noon.', 'Thanks, that works.']) {
      const r = d.detect(text);
      expect(r.tooShort).toBe(true);
      const toks = Uint32Array.from(enc.encode_ordinary(text));
      const { n, s } = distinctGreen(wm, toks);
      let tail = 0;
      for (let j = s; j <= n; j++) {
        let c = 1;
        for (let i = 0; i < j; i++) c = (c * (n - i)) / (i + 1); // C(n, j)
        tail += c * g ** j * (1 - g) ** (n - j);
      }
      expect(r.tokens).toBe(toks.length);
      expect(r.scored).toBe(n);
      expect(r.score).toBe(s);
      expect(r.lnP).toBeCloseTo(Math.log(tail), 12);
      if (s > 0) someGreen = true;
    }
    expect(someGreen).toBe(true); // so that some p-value is below 1 and the tail sum is exercised
  });
  it('refuses bad input with typed one-line errors', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(DetectorError);
        expect((e as Error).message).not.toContain('\n');
        return (e as DetectorError).code;
      }
      return 'no error';
    };
    expect(code(() => d.detect(''))).toBe('EMPTY_TEXT');
    expect(code(() => d.detectTokens([]))).toBe('EMPTY_TEXT');
    expect(code(() => d.detect(Uint8Array.of(0x68, 0xff, 0x69)))).toBe('INVALID_UTF8');
    expect(code(() => d.detectTokens([1, 2, 3.5]))).toBe('BAD_TOKENS');
    expect(code(() => d.decodePayload('x'))).toBe('NO_PAYLOAD');
    const other = testKey('other');
    expect(code(() => new Detector(d.spec, other))).toBe('WRONG_KEY');
    const specJson = JSON.stringify(d.spec);
    expect(code(() => Detector.fromJson(specJson, JSON.stringify(exportKeyFile(other))))).toBe('WRONG_KEY');
    expect(code(() => Detector.fromJson('{"version":1}', JSON.stringify(exportKeyFile(key))))).toBe('SPEC_MISMATCH');
    expect(code(() => new Detector(d.spec, key, { tokenizer: { maxTextChars: 10 } }).detect('x'.repeat(11)))).toBe('TEXT_TOO_LARGE');
    const hf = detector({ tokenizer: 'hf:some/model', scheme: { name: 'kgw' } });
    expect(code(() => hf.detect('text'))).toBe('SPEC_MISMATCH');
    expect(hf.detectTokens([1, 2, 3]).scored).toBe(2);
  });
  it('fromJson accepts the matching key file without printing it', () => {
    const fromJson = Detector.fromJson(JSON.stringify(d.spec), JSON.stringify(exportKeyFile(key)));
    detectors.push(fromJson);
    expect(fromJson.detect('some text here').lnP).toBe(d.detect('some text here').lnP);
    expect(JSON.stringify(fromJson.detect('x'))).not.toContain(Buffer.from(key.secretBytes()).toString('hex'));
  });
});

describe('localisation', () => {
  const d = detector({ scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
  it('finds a watermarked span pasted into human-like text', () => {
    const human1 = randomTokens(1500, 'h1', 100_000), human2 = randomTokens(1500, 'h2', 100_000);
    const marked = generate(d.watermark, { n: 250, seed: 'span' });
    const toks = Uint32Array.from([...human1, ...marked, ...human2]);
    const res = d.localize(toks);
    expect(res.windowsScanned).toBeGreaterThan(100);
    expect(res.lnP).toBeLessThan(LN_1E6);
    expect(res.best!.lnP).toBeCloseTo(Math.min(0, res.best!.lnPRaw + Math.log(res.windowsScanned)), 9);
    expect(res.spans.length).toBe(1);
    const span = res.spans[0]!;
    // the span overlaps the marked region and does not stray far outside it
    expect(span.startToken).toBeGreaterThanOrEqual(1500 - 32);
    expect(span.endToken).toBeLessThanOrEqual(1750 + 32);
    expect(span.startToken).toBeLessThanOrEqual(1500 + 32);
    expect(span.endToken).toBeGreaterThanOrEqual(1750 - 32);
    expect(span.endToken - span.startToken).toBeGreaterThan(100);
    // the whole-text test is much weaker than the localised one
    expect(d.detectTokens(toks).lnP).toBeGreaterThan(res.lnP);
  });
  it('gives character offsets for text and no spans for human text', () => {
    const enc = get_encoding('o200k_base');
    const text = new TextDecoder().decode(enc.decode(randomTokens(800, 'plain', 100_000)));
    enc.free();
    const res = d.localize(text);
    expect(res.spans).toEqual([]);
    expect(res.best!.charEnd! > res.best!.charStart!).toBe(true);
    const m = d.marks(text);
    let rebuilt = '';
    for (let i = 0; i < m.tokens.length; i++) rebuilt += text.slice(m.charOffsets![i], m.charOffsets![i + 1]);
    expect(rebuilt).toBe(text);
  });
});

describe('payload', () => {
  const spec = { scheme: { name: 'kgw', gamma: 0.25, delta: 2.5 }, context: { width: 2, mode: 'left' }, payload: { bits: 16, digitBits: 2 } } as const;
  const d = detector(spec);
  const wm: Watermark = d.watermark;
  const id = 0xbeefn;
  it('decodes the id with an exact family-wise p-value', () => {
    const toks = embed(wm, { n: 400, seed: 'pay', message: id });
    const p = d.decodePayload(toks);
    expect(p.message).toBe(String(id));
    expect(p.messageHex).toBe('0xbeef');
    expect(p.method).toBe('exact');
    expect(p.lnP).toBeLessThan(LN_1E6);
    expect(p.lnP).toBeLessThanOrEqual(p.lnPBonferroni);
    expect(p.confidence).toBeGreaterThan(0.5);
    const r = d.detectTokens(toks);
    expect(r.test).toBe('payload');
    expect(r.payload!.message).toBe(String(id));
    const [right, wrong] = d.testIds(toks, [id, 0x1234n]);
    expect(right!.lnP).toBeLessThan(LN_1E6);
    expect(wrong!.lnPAdjusted).toBeGreaterThan(Math.log(0.01));
  });
  it('human text carries no id', () => {
    const p = d.decodePayload(randomTokens(400, 'nopay', 100_000));
    expect(p.lnP).toBeGreaterThan(Math.log(1e-3));
    expect(() => d.testIds([1, 2, 3], [1n << 20n])).toThrow(/outside/);
  });
});
