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

  it('character offsets of marks index the normalised text', () => {
    const m = normalising.marks(obfuscated);
    expect(m.charOffsets![m.tokens.length]).toBe(text.length);
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
