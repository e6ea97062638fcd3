/**
 * Build the reference model from scratch into a temporary cache directory and
 * report what it costs: training time (corpus parsing and tokenization included),
 * file size, load time from the cache, and the model's size.
 *
 *   node --conditions=source --import tsx packages/lm/scripts/reference-model.ts [--order 3]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusFingerprint, humanText } from '@tracemark/corpora';
import { decodeKnFile, KneserNeyModel, loadReferenceModel, tiktoken, trainKneserNey } from '../src/index.js';

const i = process.argv.indexOf('--order');
const order = i > 0 ? Number(process.argv[i + 1]) : 3;
const dir = mkdtempSync(join(tmpdir(), 'tracemark-ref-'));
try {
  let t = performance.now();
  tiktoken('o200k_base');
  const tokenizerMs = performance.now() - t;
  t = performance.now();
  const docs = humanText({ split: 'train' });
  corpusFingerprint();
  const corpusMs = performance.now() - t;
  t = performance.now();
  trainKneserNey(docs.map((d) => d.text), { order }); // tokenize + count, without the cache layer
  const trainMs = performance.now() - t;
  const built = loadReferenceModel({ order, cacheDir: dir });
  const path = built.path;
  // Load as a fresh process would: read, verify the checksum, decode, build the query tables.
  t = performance.now();
  const bytes = readFileSync(path);
  const readMs = performance.now() - t;
  t = performance.now();
  const { data } = decodeKnFile(bytes);
  const decodeMs = performance.now() - t;
  t = performance.now();
  const model = new KneserNeyModel(data);
  const tablesMs = performance.now() - t;
  const tokens = data.count[data.order - 1]!.reduce((a, b) => a + b, 0);
  console.log(`reference model: order ${order}, o200k_base, corpora 'train' split (${docs.length} documents)\n`);
  console.log('| step | time |');
  console.log('|---|---:|');
  console.log(`| load tiktoken o200k_base (once per process) | ${tokenizerMs.toFixed(0)} ms |`);
  console.log(`| parse the corpora (once per process) | ${corpusMs.toFixed(0)} ms |`);
  console.log(`| tokenize + count + discounts | ${trainMs.toFixed(0)} ms |`);
  console.log(`| read cache file (${(bytes.length / 1e6).toFixed(1)} MB) | ${readMs.toFixed(0)} ms |`);
  console.log(`| verify SHA-256 + decode | ${decodeMs.toFixed(0)} ms |`);
  console.log(`| build query tables | ${tablesMs.toFixed(0)} ms |`);
  console.log(`\ntraining tokens (incl. one end-of-text per document): ${tokens}`);
  console.log(`distinct n-grams per order: ${data.count.map((c) => c.length).join(', ')}`);
  console.log(`discounts D1, D2, D3+ per order: ${data.discounts.map((d) => d.map((x) => x.toFixed(3)).join('/')).join('; ')}`);
  console.log(`model id: ${model.id}; file: ${path.replace(dir, '<cache>')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
