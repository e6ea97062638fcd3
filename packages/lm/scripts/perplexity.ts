/**
 * Held-out perplexity of the reference Kneser–Ney model next to simple baselines,
 * all trained on the corpora's 'train' split and scored on its 'heldout' split
 * (o200k_base tokens; each document scored from its start, its final
 * end-of-text token included).
 *
 *   node --conditions=source --import tsx packages/lm/scripts/perplexity.ts [--orders 2,3,4]
 */
import { humanText } from '@tracemark/corpora';
import {
  AddOneBigram,
  AddOneUnigram,
  encode,
  KneserNeyModel,
  loadReferenceModel,
  perplexity,
  tokenizerInfo,
  trainKneserNey,
  type TokenScorer,
} from '../src/index.js';

const ordersArg = process.argv.indexOf('--orders');
const orders = ordersArg > 0 ? process.argv[ordersArg + 1]!.split(',').map(Number) : [2, 3, 4];
const encoding = 'o200k_base';
const info = tokenizerInfo(encoding);
const validVocab = info.ordinary + 1;

const t0 = performance.now();
const train = humanText({ split: 'train' }).map((d) => encode(encoding, d.text));
const heldout = humanText({ split: 'heldout' }).map((d) => encode(encoding, d.text));
const trainTokens = train.reduce((a, d) => a + d.length, 0);
console.log(`train: ${train.length} documents, ${trainTokens} tokens; heldout: ${heldout.length} documents (${((performance.now() - t0) / 1000).toFixed(1)} s to load and tokenize)\n`);

const rows: { model: string; ppl: number; bits: number; tokens: number; train: string }[] = [];
function score(name: string, model: TokenScorer, trainMs: number): void {
  const r = perplexity(model, heldout, info.eos);
  rows.push({ model: name, ppl: r.perplexity, bits: r.bitsPerToken, tokens: r.tokens, train: `${(trainMs / 1000).toFixed(1)} s` });
}

let t = performance.now();
score('unigram, add-one', new AddOneUnigram(train, info.eos, validVocab), performance.now() - t);
t = performance.now();
score('bigram, add-one', new AddOneBigram(train, info.eos, validVocab), performance.now() - t);
for (const order of orders) {
  t = performance.now();
  if (order === 3) {
    const ref = loadReferenceModel();
    score(`KN order 3 (reference, ${ref.source})`, ref.model, ref.ms);
  } else {
    const model = new KneserNeyModel(trainKneserNey(train, { order, encoding }));
    score(`KN order ${order}`, model, performance.now() - t);
  }
}

console.log('| model | held-out perplexity | bits/token | scored tokens | train/load |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.model} | ${r.ppl.toFixed(1)} | ${r.bits.toFixed(3)} | ${r.tokens} | ${r.train} |`);
