/**
 * The open-model test (docs/RADIOACTIVITY.md §4b) on the clone simulator: Kneser–Ney
 * students distilled at several ρ (share of harvested watermarked tokens, same training
 * size) and two distillation seeds, teacher-forced on the texts we served (supervised) and
 * on fresh watermarked answers (unsupervised). The setup is the one of
 * packages/investigate/test/open-model.test.ts.
 *
 *   node --conditions=source --import tsx packages/investigate/scripts/open-model-sweep.ts [--write]
 *
 * --write: docs/open-model-results.json and the tables between the markers of §4b.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { humanText, promptSet } from '@tracemark/corpora';
import { distil, generateTextSync, harvest, referenceModel } from '@tracemark/lm';
import { Embedder, parseSpec, Watermark, WatermarkKey } from '@tracemark/watermark';
import { teacherForce, type ForcedText } from '../src/index.js';
import { OPEN_MODEL_BEGIN, OPEN_MODEL_END, readingOf, renderOpenModel, type OpenModelCell, type OpenModelResults } from './open-model-doc.js';

const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff));
const SPEC = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint });
const DECOYS = Array.from({ length: 8 }, (_, i) => new WatermarkKey(Uint8Array.from({ length: 32 }, (_, j) => (j * 13 + i * 29 + 3) & 0xff)));
const RHOS = [1, 0.5, 0.1, 0.05, 0.01, 0];
const SEEDS = [4, 5];

const t0 = performance.now();
const teacher = referenceModel();
const human = humanText({ split: 'train' }).map((d) => d.text);
const served = harvest({ teacher, spec: SPEC, key: KEY, prompts: promptSet(150, 21), maxTokens: 120, seed: 9 });
const servedTexts: ForcedText[] = served.map((r) => ({ tokens: [...r.promptTokens, ...r.tokens], start: r.promptTokens.length }));
const embedder = new Embedder(new Watermark(SPEC, KEY));
const fresh: ForcedText[] = promptSet(60, 77).map((prompt, i) => {
  const g = generateTextSync({ model: teacher, watermark: embedder, prompt, maxTokens: 120, seed: `fresh/${i}` });
  return { tokens: [...g.promptTokens, ...g.tokens], start: g.promptTokens.length };
});
const cells: OpenModelCell[] = [];
let trainingTokens = 0;
for (const rho of RHOS) {
  for (const seed of SEEDS) {
    const d = distil({ harvested: served, humanText: human, rho, seed });
    trainingTokens = d.harvestedTokens + d.humanTokens;
    for (const [variant, texts] of [['supervised', servedTexts], ['unsupervised', fresh]] as const) {
      const r = await teacherForce({ spec: SPEC, key: KEY, suspect: d.model, texts, decoyKeys: DECOYS, alpha: 1e-6 });
      const t = r.summary.test;
      cells.push({ rho, seed, variant, ...readingOf(r) });
      process.stderr.write(`ρ ${rho} seed ${seed} ${variant}: log10 p ${t.log10P.toFixed(1)}\n`);
    }
  }
}
const results: OpenModelResults = {
  spec: 'KGW γ = 0.25 δ = 2, h = 1 left',
  servedAnswers: served.length,
  answerTokens: 120,
  freshAnswers: fresh.length,
  trainingTokens,
  decoys: DECOYS.length,
  seconds: Math.round((performance.now() - t0) / 1000),
  cells,
};
const table = renderOpenModel(results);
process.stdout.write(`${table}\n`);
if (process.argv.includes('--write')) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  writeFileSync(`${root}docs/open-model-results.json`, `${JSON.stringify(results, null, 1)}\n`);
  const doc = readFileSync(`${root}docs/RADIOACTIVITY.md`, 'utf8');
  const a = doc.indexOf(OPEN_MODEL_BEGIN), b = doc.indexOf(OPEN_MODEL_END);
  if (a < 0 || b < a) throw new Error('docs/RADIOACTIVITY.md has no open-model markers');
  writeFileSync(`${root}docs/RADIOACTIVITY.md`, `${doc.slice(0, a + OPEN_MODEL_BEGIN.length)}\n${table}\n${doc.slice(b)}`);
  process.stderr.write('wrote docs/open-model-results.json and docs/RADIOACTIVITY.md\n');
}
