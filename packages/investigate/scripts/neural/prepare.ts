/**
 * Stage 1 of the neural-student experiment: the harvest and the training mixes.
 *
 * Our built-in teacher (the KN reference model) answers the harvest prompts watermarked with
 * the provider's key (the cloner's harvest) and, for the control, without a key. Each cell
 * mixes ρ·N harvested tokens (prompt + answer documents, seeded order) with (1 − ρ)·N human
 * tokens (the train split), as `distil` of @tracemark/lm does for the KN students, and is
 * written as token ids for train.py. The harvested answers a cell took are its "served"
 * texts: what the provider's logs hold for the cloner's accounts.
 *
 *   node --conditions=source --import tsx packages/investigate/scripts/neural/prepare.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { humanText, promptSet } from '@tracemark/corpora';
import { encode, generateTextSync, harvest, referenceModel, shuffled, type HarvestedResponse } from '@tracemark/lm';
import { Embedder, Watermark } from '@tracemark/watermark';
import { writeO200kTokenizer } from './o200k-tokenizer.js';
import { checkO200kTokenizer } from './check-tokenizer.js';
import { CELLS, KEY, SIZES, SPEC, WORK, type Cell } from './setup.js';

/** Documents in seeded order until `want` tokens are taken (the last one cut); the indices taken. */
function take(docs: readonly number[][], want: number, seed: number, into: number[][]): { tokens: number; used: number[] } {
  let tokens = 0;
  const used: number[] = [];
  if (want <= 0) return { tokens, used };
  for (const i of shuffled(docs.length, seed)) {
    const d = docs[i]!;
    if (d.length === 0) continue;
    const part = d.length <= want - tokens ? d : d.slice(0, want - tokens);
    into.push(part);
    used.push(i);
    tokens += part.length;
    if (tokens >= want) break;
  }
  return { tokens, used };
}

const ids = (r: HarvestedResponse): number[] => [...r.promptTokens, ...r.tokens];

export function prepare(): void {
  const t0 = performance.now();
  mkdirSync(`${WORK}cells`, { recursive: true });
  const tok = writeO200kTokenizer(`${WORK}tokenizer`);
  const teacher = referenceModel();
  const prompts = promptSet(SIZES.harvestPrompts + SIZES.probePrompts + SIZES.freshPrompts, SIZES.promptSeed);
  const harvestPrompts = prompts.slice(0, SIZES.harvestPrompts);
  const probePrompts = prompts.slice(SIZES.harvestPrompts, SIZES.harvestPrompts + SIZES.probePrompts);
  const freshPrompts = prompts.slice(SIZES.harvestPrompts + SIZES.probePrompts);
  const common = { teacher, prompts: harvestPrompts, maxTokens: SIZES.answerTokens, seed: SIZES.harvestSeed };
  const harvested = { watermarked: harvest({ ...common, spec: SPEC, key: KEY }), unwatermarked: harvest({ ...common, embedderForAccount: () => undefined }) };
  process.stderr.write(`harvested ${harvested.watermarked.length} + ${harvested.unwatermarked.length} answers (${Math.round(performance.now() - t0)} ms)\n`);
  const embedder = new Embedder(new Watermark(SPEC, KEY));
  const fresh = freshPrompts.map((prompt, i) => {
    const g = generateTextSync({ model: teacher, watermark: embedder, prompt, maxTokens: SIZES.answerTokens, seed: `fresh/${i}` });
    return { prompt, text: g.text, tokens: [...g.promptTokens, ...g.tokens], start: g.promptTokens.length };
  });
  const humanDocs = humanText({ split: 'train' }).map((d) => d.text);
  const heldout: number[][] = [];
  let heldoutTokens = 0;
  for (const d of humanText({ split: 'heldout' })) {
    if (heldoutTokens >= SIZES.heldoutHumanTokens) break;
    const t = Array.from(encode('o200k_base', d.text)).slice(0, SIZES.heldoutHumanTokens - heldoutTokens);
    heldout.push(t);
    heldoutTokens += t.length;
  }
  const served = (rs: HarvestedResponse[]) => rs.map((r, i) => ({ id: `h${i}`, prompt: r.prompt, text: r.text, tokens: ids(r), start: r.promptTokens.length }));
  writeFileSync(`${WORK}harvest.json`, JSON.stringify({ watermarked: served(harvested.watermarked), unwatermarked: served(harvested.unwatermarked) }));
  writeFileSync(`${WORK}prompts.json`, JSON.stringify({ harvest: harvestPrompts, probe: probePrompts, fresh: freshPrompts }));
  writeFileSync(`${WORK}heldout.json`, JSON.stringify({ human: heldout, harvested: fresh.map((f) => f.tokens), fresh, eos: tok.eos, vocabSize: tok.vocabSize }));
  for (const c of CELLS) writeCell(c, harvested[c.teacher].map(ids), humanDocs);
  process.stderr.write(`wrote ${WORK} (${Math.round((performance.now() - t0) / 1000)} s)\n`);
}

function writeCell(c: Cell, harvestDocs: number[][], humanDocs: string[]): void {
  const N = SIZES.trainingTokens;
  const train: number[][] = [];
  const h = take(harvestDocs, Math.round(c.rho * N), c.seed, train);
  if (h.tokens < Math.round(c.rho * N)) throw new Error(`${c.name}: only ${h.tokens} harvested tokens, need ${Math.round(c.rho * N)}`);
  // Human documents are encoded only as they are taken: the corpus is far larger than one share.
  let humanTokens = 0;
  if (N - h.tokens > 0) {
    for (const i of shuffled(humanDocs.length, c.seed + 1)) {
      const d = Array.from(encode('o200k_base', humanDocs[i]!));
      const part = d.slice(0, N - h.tokens - humanTokens);
      if (part.length === 0) continue;
      train.push(part);
      humanTokens += part.length;
      if (h.tokens + humanTokens >= N) break;
    }
  }
  writeFileSync(`${WORK}cells/${c.name}.json`, JSON.stringify({ ...c, harvestedTokens: h.tokens, humanTokens, served: h.used, train }));
  process.stderr.write(`${c.name}: ${h.tokens} harvested (${h.used.length} answers) + ${humanTokens} human tokens\n`);
}

if (process.argv[1]?.endsWith('prepare.ts')) {
  prepare();
  const check = await checkO200kTokenizer(`${WORK}tokenizer`);
  process.stderr.write(`tokenizer check: ${JSON.stringify(check)}\n`);
  writeFileSync(`${WORK}tokenizer-check.json`, `${JSON.stringify(check)}\n`);
}
