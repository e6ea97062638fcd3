/**
 * The open-model test (docs/RADIOACTIVITY.md §4b) on one neural student: its ONNX directory
 * loaded by @tracemark/lm's adapter and teacher-forced by `teacherForce` (what
 * `tracemark radioactivity --model` runs) on
 *  - supervised: the watermarked answers we served to the cell's harvest prompts (for the
 *    control: our watermarked answers to the same prompts, which it never saw), at most
 *    SIZES.supervisedTexts of them (a seeded sample; for ρ = 0, which took none, a sample of all), and
 *  - unsupervised: the fresh watermarked answers to the fresh prompts (held out from the harvest).
 *
 * Why the library call here: it reads the suspect through fastReader (below), which skips the
 * adapter's listing and sorting of every id above 1e-12 / V at each reading, and it scores
 * exactly the served token ids. The same test through `tracemark radioactivity --model` (which accepts these
 * students: their tokenizer.json is o200k_base id for id) is open-cli.ts.
 */
import { readFileSync } from 'node:fs';
import { loadOnnxLanguageModel, shuffled, type OnnxLanguageModel } from '@tracemark/lm';
import type { SparseDistribution } from '@tracemark/watermark';
import { teacherForce, type ForcedText } from '../../src/index.js';
import { readingOf, type OpenModelReading } from '../open-model-doc.js';
import { DECOYS, KEY, SIZES, SPEC, WORK, type Cell } from './setup.js';

export interface OpenCell extends OpenModelReading {
  variant: 'supervised' | 'unsupervised';
  texts: number;
  seconds: number;
}

interface ServedText { tokens: number[]; start: number }

/** Keep this many of the most likely ids per reading; teacherForce reads the first 64 (its listSize). */
const LISTED = 256;

/**
 * The suspect as teacherForce reads it, with a cheaper listing than the adapter's
 * `distribution` (which lists and sorts every id above 1e-12 / V: ~20k ids of a 200k
 * vocabulary per reading, most of the time of a reading on these shared cores). Same logits,
 * same probabilities; only ids with p > 1e-9 are listed (the LISTED most likely, sorted),
 * the rest is restMass. teacherForce reads the 64 most likely listed ids and counts the rest
 * at the null mean, so its result is the adapter's unless fewer than 64 ids have p > 1e-9
 * (then ids below 1e-9 count at the null mean instead of their own score).
 */
function fastReader(m: OnnxLanguageModel) {
  const distributionAsync = async (prefix: ArrayLike<number>, n: number): Promise<SparseDistribution> => {
    const lg = await m.logitsAsync(prefix, n);
    let max = -Infinity;
    for (let i = 0; i < lg.length; i++) if (lg[i]! > max) max = lg[i]!;
    let z = 0;
    for (let i = 0; i < lg.length; i++) z += Math.exp(lg[i]! - max);
    const cut = max + Math.log(1e-9 * z);
    const cand: number[] = [];
    for (let i = 0; i < lg.length; i++) if (lg[i]! > cut) cand.push(i);
    cand.sort((a, b) => lg[b]! - lg[a]! || a - b);
    const ids = Int32Array.from(cand.slice(0, LISTED));
    const probs = Float64Array.from(ids, (i) => Math.exp(lg[i]! - max) / z);
    const listed = probs.reduce((a, p) => a + p, 0);
    return { ids, probs, restMass: Math.max(0, 1 - listed), sampleRest: () => { throw new Error('the fast reader does not sample'); } };
  };
  return {
    id: m.id,
    tokenizer: m.tokenizer,
    vocabSize: m.vocabSize,
    distribution: (): SparseDistribution => { throw new Error('use distributionAsync'); },
    distributionAsync,
  };
}

export async function openModelTests(cell: Cell & { served: number[] }): Promise<OpenCell[]> {
  const harvest = JSON.parse(readFileSync(`${WORK}harvest.json`, 'utf8')) as { watermarked: ServedText[] };
  const held = JSON.parse(readFileSync(`${WORK}heldout.json`, 'utf8')) as { fresh: ServedText[] };
  // A student that took no harvested answer (ρ = 0) is tested on all our served answers, as an innocent model would be.
  const pool = cell.served.length ? cell.served : harvest.watermarked.map((_, i) => i);
  const pick = shuffled(pool.length, 77 + cell.seed).slice(0, SIZES.supervisedTexts).map((i) => pool[i]!);
  const asForced = (t: ServedText): ForcedText => ({ tokens: t.tokens, start: t.start });
  const sets: [OpenCell['variant'], ForcedText[]][] = [
    ['supervised', pick.map((i) => asForced(harvest.watermarked[i]!))],
    ['unsupervised', held.fresh.map(asForced)],
  ];
  const suspect = await loadOnnxLanguageModel(`${WORK}students/${cell.name}`);
  const out: OpenCell[] = [];
  try {
    for (const [variant, texts] of sets) {
      const t0 = performance.now();
      const r = await teacherForce({ spec: SPEC, key: KEY, suspect: fastReader(suspect), texts, decoyKeys: DECOYS, alpha: 1e-6 });
      const t = r.summary.test;
      out.push({
        variant,
        texts: texts.length,
        ...readingOf(r),
        seconds: Math.round((performance.now() - t0) / 1000),
      });
      process.stderr.write(`${cell.name} open ${variant}: ${t.windows} windows, log10 p ${t.log10P.toFixed(1)}\n`);
    }
  } finally {
    await suspect.dispose();
  }
  return out;
}
