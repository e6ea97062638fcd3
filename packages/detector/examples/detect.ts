/**
 * Runnable tour of @tracemark/detector:
 *
 *   node --conditions=source --import tsx packages/detector/examples/detect.ts
 *
 * A provider key and spec; watermarked text from the sampler (random model
 * logits stand in for a language model); then detection, localisation inside
 * human text, payload decoding, and a corpus scan with two worker threads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { Embedder, generateKey, parseSpec, seededRng, Watermark } from '@tracemark/watermark';
import { Detector, scanCorpus } from '@tracemark/detector';

const enc = get_encoding('o200k_base');
const toText = (tokens: Uint32Array): string => new TextDecoder().decode(enc.decode(tokens));

/** Stand-in for a language model: random next-token distributions over 2,000 ids. */
function sample(wm: Watermark, n: number, seed: string, message?: bigint): Uint32Array {
  const emb = new Embedder(wm, message === undefined ? {} : { message });
  const rng = seededRng(seed);
  const ids = Int32Array.from({ length: 2000 }, (_, i) => 1000 + i * 37);
  const probs = new Float64Array(ids.length);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < ids.length; j++) z += probs[j] = Math.exp(4 * (rng() - 0.5));
    for (let j = 0; j < ids.length; j++) probs[j]! /= z;
    out[i] = emb.step(out, i, { ids, probs, restMass: 0 }, rng).token;
  }
  return out;
}

// 1. The provider's secret key and the public spec that names it.
const key = generateKey();
const spec = parseSpec({
  version: 1,
  tokenizer: 'o200k_base',
  scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
  context: { width: 1, mode: 'left' },
  keyFingerprint: key.fingerprint,
});
const detector = new Detector(spec, key);

// 2. One watermarked response, and one human-looking text.
const marked = toText(sample(detector.watermark, 200, 'response'));
const r = detector.detect(marked);
console.log(`watermarked: ${r.scored} tuples scored, ${r.score} green, p = ${r.pValue} (log10 p = ${r.log10P.toFixed(1)})`);
const human = 'It was a bright cold day in April, and the clocks were striking thirteen. '.repeat(8);
const h = detector.detect(human);
console.log(`human:       ${h.tokens} tokens, ${h.duplicates} repeated tuples not rescored, p = ${h.pValue}`);

// 3. A watermarked paragraph pasted into longer text: where is it?
const noise = toText(Uint32Array.from({ length: 1500 }, (_, i) => 2000 + ((i * 7919) % 90_000)));
const mixed = noise + marked + noise;
const loc = detector.localize(mixed);
console.log(`localised: ${loc.windowsScanned} windows scanned, best p (Bonferroni) = ${loc.pValue}, spans:`,
  loc.spans.map((s) => `chars ${s.charStart}–${s.charEnd} (marked text is ${noise.length}–${noise.length + marked.length})`));

// 4. Payload: which account produced this text?
const pspec = parseSpec({ ...spec, payload: { bits: 16, digitBits: 2 } });
const pdet = new Detector(pspec, key);
const leaked = toText(sample(pdet.watermark, 300, 'leak', 4242n));
const p = pdet.decodePayload(leaked);
console.log(`payload: account ${p.message} (confidence ${p.confidence.toFixed(3)}), p over all 2^16 ids = ${p.pValue} [${p.method}]`);

// 5. A corpus scan: JSONL, two workers, corpus-wide dedup, pooled + Fisher.
const dir = mkdtempSync(join(tmpdir(), 'tracemark-example-'));
try {
  const file = join(dir, 'corpus.jsonl');
  const lines = [marked, human, noise, marked].map((text, i) => JSON.stringify({ id: `doc-${i}`, text }));
  writeFileSync(file, lines.join('\n') + '\n');
  const summary = await scanCorpus({ spec, key }, [file], {
    workers: 2,
    idField: 'id',
    onDocument: (d) => console.log(`  ${d.id}: p = ${d.result.pValue}, ${d.novel.scored} tuples new to the corpus`),
  });
  console.log(`corpus: ${summary.documents} documents, pooled p = ${summary.pooled.pValue} (${summary.pooled.dedup} dedup), Fisher p = ${summary.fisher.pValue}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  detector.dispose();
  pdet.dispose();
  enc.free();
}
