/**
 * Radioactivity of the KGW watermark through n-gram distillation: harvest
 * watermarked responses from the reference model, distil students with a
 * watermarked fraction ρ of their training text, and test each student's own
 * fresh outputs with the teacher's key (pooled over all outputs, tuples
 * deduplicated, prompt windows excluded).
 *
 *   node --conditions=source --import tsx packages/lm/scripts/radioactivity.ts [--prompts 300] [--outputs 120] [--h 1]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { humanText, promptSet } from '@tracemark/corpora';
import { scanCorpus } from '@tracemark/detector';
import { generateKey, parseSpec } from '@tracemark/watermark';
import { distil, generateTextSync, harvest, referenceModel } from '../src/index.js';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const nPrompts = arg('--prompts', 300), nOutputs = arg('--outputs', 120), h = arg('--h', 1);
const key = generateKey();
const spec = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: h }, keyFingerprint: key.fingerprint });
const teacher = referenceModel();
const human = humanText({ split: 'train' }).map((d) => d.text);
const dir = mkdtempSync(join(tmpdir(), 'tracemark-radio-'));
try {
  let t = performance.now();
  const harvested = harvest({ teacher, spec, key, prompts: promptSet(nPrompts, 11), maxTokens: 200, seed: 5, accounts: 3 });
  const hTokens = harvested.reduce((a, r) => a + r.tokens.length, 0);
  console.log(`harvest: ${harvested.length} responses, ${hTokens} tokens in ${((performance.now() - t) / 1000).toFixed(1)} s (KGW γ 0.25 δ 2, h = ${h})\n`);
  console.log('| ρ (watermarked share) | student outputs (tokens) | pooled tuples | green rate | log10 p |');
  console.log('|---:|---:|---:|---:|---:|');
  const prompts = promptSet(nOutputs, 99);
  for (const rho of [1, 0.5, 0.2, 0.1, 0.05, 0]) {
    const student = distil({ harvested, humanText: human, rho, seed: 3 }).model;
    const outputs = prompts.map((prompt, i) => generateTextSync({ model: student, prompt, maxTokens: 200, seed: i }));
    const file = join(dir, `rho-${rho}.jsonl`);
    writeFileSync(file, outputs.map((o) => JSON.stringify({ text: o.text })).join('\n') + '\n');
    const s = await scanCorpus({ spec, key }, [file], { exclude: prompts });
    const tokens = outputs.reduce((a, o) => a + o.tokens.length, 0);
    console.log(`| ${rho} | ${tokens} | ${s.pooled.scored} | ${(s.pooled.score / s.pooled.scored).toFixed(3)} | ${s.pooled.log10P.toFixed(1)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
