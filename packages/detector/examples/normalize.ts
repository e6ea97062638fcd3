/**
 * Scoring a text with normalisation (@tracemark/detector):
 *
 *   node --conditions=source --import tsx packages/detector/examples/normalize.ts
 *
 * A watermarked text (random model logits over plain English word tokens stand in
 * for a language model), then the same text with a zero-width space inside every
 * word: tokenized as given, the words split into other tokens and the watermark is
 * gone; normalised first (NFKC, format characters removed, lookalikes mapped back),
 * the text is the original again and so is its p-value.
 */
import { get_encoding } from 'tiktoken';
import { Embedder, generateKey, parseSpec, seededRng } from '@tracemark/watermark';
import { Detector, normalizeText } from '@tracemark/detector';

const enc = get_encoding('o200k_base');
const decode = (tokens: Uint32Array): string => new TextDecoder().decode(enc.decode(tokens));

// A vocabulary of " word" tokens, so the text is plain English-looking ASCII.
const words: number[] = [];
for (let id = 1000; words.length < 2000 && id < 150_000; id++) {
  if (/^ [a-z]{3,}$/.test(decode(Uint32Array.of(id)))) words.push(id);
}

const key = generateKey();
const spec = parseSpec({
  version: 1,
  tokenizer: 'o200k_base',
  scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
  context: { width: 1, mode: 'left' },
  keyFingerprint: key.fingerprint,
});
const detector = new Detector(spec, key);

// 1. 200 watermarked tokens.
const emb = new Embedder(detector.watermark);
const rng = seededRng('normalize-example');
const ids = Int32Array.from(words);
const probs = new Float64Array(ids.length);
const tokens = new Uint32Array(200);
for (let i = 0; i < tokens.length; i++) {
  let z = 0;
  for (let j = 0; j < ids.length; j++) z += probs[j] = Math.exp(4 * (rng() - 0.5));
  for (let j = 0; j < ids.length; j++) probs[j]! /= z;
  tokens[i] = emb.step(tokens, i, { ids, probs, restMass: 0 }, rng).token;
}
const text = decode(tokens);

// 2. The obfuscation: a zero-width space after the first letter of every word.
const obfuscated = text.replace(/\b([a-z])/g, '$1\u200b');

// 3. Scored as given, and normalised (per call here; `new Detector(spec, key, { normalize: true })` sets the default).
const clean = detector.detect(text);
const raw = detector.detect(obfuscated);
const normalised = detector.detect(obfuscated, { normalize: true });
console.log(`clean text:               ${clean.scored} tuples scored, p = ${clean.pValue}`);
console.log(`zero-width, as given:     ${raw.scored} tuples scored, p = ${raw.pValue}`);
console.log(`zero-width, normalised:   ${normalised.scored} tuples scored, p = ${normalised.pValue}`);
console.log(`normalizeText restores the text: ${normalizeText(obfuscated) === text}`);

detector.dispose();
enc.free();
