/**
 * Text normalisation in detection: normalizeText itself, the opt-in `normalize`
 * option of the Detector (off by default: the text is scored as given), and the
 * runnable example examples/normalize.ts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { get_encoding } from 'tiktoken';
import { Embedder, seededRng } from '@tracemark/watermark';
import { Detector, normalizeText } from '../src/index.js';
import { testKey, testSpec } from './helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const key = testKey('normalize');
const spec = testSpec(key, { tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
const detector = new Detector(spec, key);
const normalising = new Detector(spec, key, { normalize: true });
const enc = get_encoding('o200k_base');
afterAll(() => {
  detector.dispose();
  normalising.dispose();
  enc.free();
});

/** Watermarked text over " word" tokens (plain ASCII, so normalisation leaves it unchanged). */
function watermarkedText(n: number, seed: string): string {
  const decode = (t: Uint32Array): string => new TextDecoder().decode(enc.decode(t));
  const words: number[] = [];
  for (let id = 1000; words.length < 1500; id++) if (/^ [a-z]{3,}$/.test(decode(Uint32Array.of(id)))) words.push(id);
  const emb = new Embedder(detector.watermark);
  const rng = seededRng(seed);
  const ids = Int32Array.from(words);
  const probs = new Float64Array(ids.length);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < ids.length; j++) z += probs[j] = Math.exp(4 * (rng() - 0.5));
    for (let j = 0; j < ids.length; j++) probs[j]! /= z;
    out[i] = emb.step(out, i, { ids, probs, restMass: 0 }, rng).token;
  }
  return decode(out);
}

const zeroWidth = (t: string): string => t.replace(/\b([a-z])/g, '$1\u200b');

describe('normalizeText', () => {
  it('removes zero-width and format characters, maps lookalikes back, applies NFKC', () => {
    expect(normalizeText('wa\u200bter\u2060mark\ufeff')).toBe('watermark');
    expect(normalizeText('p\u0430ssw\u043erd')).toBe('password'); // Cyrillic а, о inside a Latin word
    expect(normalizeText('ＦＵＬＬwidth ﬁne')).toBe('FULLwidth fine');
    const russian = 'Привет, как дела?';
    expect(normalizeText(russian)).toBe(russian); // genuine Cyrillic text is left alone
  });
});

describe('Detector normalize option', () => {
  const text = watermarkedText(200, 'normalize-test');
  const obfuscated = zeroWidth(text);

  it('is off by default: the text is scored as given', () => {
    expect(detector.normalize).toBe(false);
    const clean = detector.detect(text);
    const raw = detector.detect(obfuscated);
    expect(clean.lnP).toBeLessThan(Math.log(1e-10));
    expect(raw.scored).not.toBe(clean.scored);
    expect(raw.lnP).toBeGreaterThan(Math.log(1e-6));
  });

  it('per call or per detector, normalisation restores the result of the clean text', () => {
    const clean = detector.detect(text);
    expect(detector.detect(obfuscated, { normalize: true })).toEqual(clean);
    expect(normalising.detect(obfuscated)).toEqual(clean);
    expect(normalising.detect(obfuscated, { normalize: false })).toEqual(detector.detect(obfuscated));
  });

  it('normalises exclusion texts too, and never changes token input', () => {
    const clean = detector.detect(text, { exclude: [text] });
    expect(clean.scored).toBe(0);
    expect(normalising.detect(obfuscated, { exclude: [obfuscated] })).toEqual(clean);
    const tokens = detector.tokenize(obfuscated).tokens;
    expect(normalising.detectTokens(tokens)).toEqual(detector.detectTokens(tokens));
  });

  it('character offsets of marks index the text as given (mapped back from the normalised one)', () => {
    const m = normalising.marks(obfuscated);
    const off = m.charOffsets!;
    expect(off[m.tokens.length]).toBe(obfuscated.length);
    // every token's slice of the original normalises to that token's text
    for (let i = 0; i < m.tokens.length; i++) {
      const piece = normalizeText(obfuscated.slice(off[i]!, off[i + 1]!));
      expect(piece).toBe(new TextDecoder().decode(enc.decode(m.tokens.subarray(i, i + 1))));
    }
  });
});

describe('character offsets when no map back exists', () => {
  it('conjoining Hangul jamo (composed by whole-text NFKC across runs): marks without offsets, not wrong ones', () => {
    const jamo = 'han \u1112\u1161\u11ab gug \u1100\u116e\u11a8 words';
    expect(normalizeText(jamo)).not.toBe(jamo);
    const m = normalising.marks(jamo);
    expect(m.charOffsets).toBeUndefined();
    expect(m.tokens.length).toBeGreaterThan(0);
    const plain = normalising.marks(zeroWidth('plain words here'));
    expect(plain.charOffsets).toBeDefined();
  });
});

describe("normalize: 'auto' (the CLI's default)", () => {
  const auto = new Detector(spec, key, { normalize: 'auto' });
  afterAll(() => auto.dispose());
  const text = watermarkedText(200, 'normalize-auto');
  const obfuscated = zeroWidth(text);

  it('a text normalisation leaves alone is scored once, unpenalised', () => {
    const r = auto.detect(text);
    expect(r).toEqual(detector.detect(text));
    expect(r.normalization).toBeUndefined();
  });

  it('a text it changes is tested both ways; the smaller p is reported doubled', () => {
    const r = auto.detect(obfuscated);
    const asGiven = detector.detect(obfuscated).lnP, normalised = normalising.detect(obfuscated).lnP;
    expect(r.normalization).toEqual({ rule: 'min-of-two, Bonferroni x2', scored: 'normalized', lnPAsGiven: asGiven, lnPNormalized: normalised });
    expect(r.lnP).toBeCloseTo(Math.min(0, Math.min(asGiven, normalised) + Math.LN2), 12);
    expect(r.lnP).toBeLessThan(Math.log(1e-8)); // the zero-width attack no longer hides the watermark
    expect(asGiven).toBeGreaterThan(Math.log(1e-6));
  });

  it('spans and marks read the version detect reported, with offsets into the text as given', () => {
    const loc = auto.localize(obfuscated);
    expect(loc.spans.length).toBeGreaterThan(0);
    for (const sp of loc.spans) {
      expect(sp.charEnd!).toBeLessThanOrEqual(obfuscated.length);
      expect(normalizeText(obfuscated.slice(sp.charStart!, sp.charEnd!)).length).toBeGreaterThan(0);
    }
    expect(auto.marks(obfuscated)).toEqual(normalising.marks(obfuscated));
    expect(auto.marks(text)).toEqual(detector.marks(text));
  });

  it('false positives on human text that normalisation changes stay at α (min of two, doubled)', async () => {
    const { humanText } = await import('@tracemark/corpora');
    const docs = humanText({ split: 'heldout' }).slice(0, 250);
    const alphas = [0.01, 0.05];
    const hits = [0, 0];
    let tests = 0, changed = 0;
    for (let k = 0; k < 4; k++) {
      const kk = testKey(`normalize-fpr-${k}`);
      const d = new Detector(testSpec(kk, { tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } }), kk, { normalize: 'auto' });
      try {
        for (const doc of docs) {
          // zero-width characters make every document one that normalisation changes (both versions tested)
          const r = d.detect(zeroWidth(doc.text.slice(0, 1500)));
          if (r.normalization) changed++;
          tests++;
          alphas.forEach((a, i) => (hits[i]! += r.lnP <= Math.log(a) ? 1 : 0));
        }
      } finally {
        d.dispose();
      }
    }
    expect(changed).toBe(tests);
    // at most the 99.9 % upper quantile of Binomial(tests, α): a valid test cannot exceed it but by chance once in 1000 runs
    alphas.forEach((a, i) => {
      const mean = tests * a;
      expect(hits[i]!).toBeLessThanOrEqual(Math.ceil(mean + 3.1 * Math.sqrt(mean * (1 - a)) + 1));
    });
  });
});

describe('examples/normalize.ts', () => {
  it('runs and prints both p-values', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/detector/examples/normalize.ts'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const p = (label: string): number => Number(new RegExp(`${label}:.*p = (\\S+)`).exec(r.stdout)?.[1]);
    expect(p('clean text')).toBeLessThan(1e-10);
    expect(p('zero-width, as given')).toBeGreaterThan(1e-6);
    expect(p('zero-width, normalised')).toBe(p('clean text'));
    expect(r.stdout).toContain('normalizeText restores the text: true');
  });
});
