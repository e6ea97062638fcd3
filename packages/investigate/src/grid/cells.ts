/**
 * One grid job: a scheme × context width h, every ρ, every filter variant, every query
 * count (the cells of sections 1–2 of docs/RADIOACTIVITY.md).
 *
 *   1. the provider's reference model answers harvest prompts, watermarked (the cloner's
 *      harvest; the ledger records the windows of every answer);
 *   2. students (Kneser–Ney, order 3) are trained on `train` tokens, a share ρ of them from
 *      the harvest (the first ρ·train tokens' worth of answers: what that cloner harvested),
 *      the rest human text; ρ = 0 is the innocent control (same amount of text);
 *   3. the investigator probes each student with Q held-out prompts (unwatermarked
 *      sampling, temperature 1) and tests the answers: prompt windows excluded, global
 *      dedup, exact pooled test — unfiltered, with the supervised filter (the ledger
 *      windows of the cloner's harvest) and with the unsupervised filter (the windows
 *      of the provider's own fresh watermarked answers to the same probe prompts);
 *   4. every test is repeated under K decoy keys on the same positions.
 */
import { promptSet } from '@tracemark/corpora';
import { RadioactivityRun, windowSetOf, type EvidenceItem, type RadioactivitySummary, type WindowSet } from '@tracemark/detector';
import { distil, generateTextSync } from '@tracemark/lm';
import { Embedder, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { decoysFor, keyFor, specFor, type GridScheme } from './definition.js';
import { sequentialRow } from './sequential.js';
import { harvestPrefix, probe, type GridSimulation } from './simulation.js';
import type { Cell, FilterVariant, GridResult, PipelineRow } from './types.js';

export interface CellScoring {
  spec: WatermarkSpec;
  key: WatermarkKey;
  decoyKeys: readonly WatermarkKey[];
  /** Query counts at which a cell is read off (prefixes of `items`). */
  queries: readonly number[];
}

/**
 * One student's answers under one filter: the radioactivity test (exact pooled test and
 * decoys, α = 1e-6) read off after each of `queries` answers.
 */
export function scoreCells(where: { scheme: string; h: number; rho: number }, items: readonly EvidenceItem[], variant: FilterVariant, filter: WindowSet | null, o: CellScoring): Cell[] {
  const { scheme, h, rho } = where;
  const cells: Cell[] = [];
  const run = new RadioactivityRun({ spec: o.spec, key: o.key, decoyKeys: o.decoyKeys, alpha: 1e-6, ...(filter ? { filter, filterName: variant } : {}) });
  items.forEach((it, i) => {
    run.add(it);
    if (o.queries.includes(i + 1)) {
      const s: RadioactivitySummary = run.summary();
      cells.push({ scheme, h, rho, variant, queries: i + 1, scored: s.pooled.scored, log10P: s.pooled.log10P, decoys: s.decoys.log10P, decoyKs: s.decoys.ks?.pValue ?? null, filterWindows: filter ? filter.size : null });
    }
  });
  return cells;
}

/** The job of one scheme and context width: harvest, students for every ρ, probes, cells. */
export function runSchemeJob(sim: GridSimulation, scheme: GridScheme, h: number): GridResult {
  const sizes = sim.sizes;
  const t0 = performance.now();
  const label = `${scheme}/h${h}`;
  const key = keyFor(label);
  const spec = specFor(scheme, h, key);
  const wm = new Watermark(spec, key);
  const scoring: CellScoring = { spec, key, decoyKeys: decoysFor(label, sizes.decoys), queries: sizes.queries };
  // 1. harvest ≥ TRAIN tokens of watermarked answers
  let tj = performance.now();
  const harvested = sim.harvestAtLeast(spec, key, sizes.train + 1);
  if (sim.profile) sim.log(`  ${label} harvest ${((performance.now() - tj) / 1000).toFixed(1)} s`);
  tj = performance.now();
  const hTokens = harvested.reduce((a, r) => a + r.tokens.length, 0);
  sim.log(`${label}: harvested ${harvested.length} answers, ${hTokens} tokens`);
  // 2. probe prompts and the unsupervised filter (provider's own fresh answers to them)
  const qMax = Math.max(...sizes.queries);
  const prompts = promptSet(qMax, 99);
  const emb = new Embedder(wm);
  const teacherAnswers = prompts.map((prompt, i) => {
    const r = generateTextSync({ model: sim.teacher(), watermark: emb, prompt, maxTokens: sizes.teacherTokens, seed: `unsup/${i}` });
    return { promptTokens: r.promptTokens, tokens: r.tokens };
  });
  const unsup = windowSetOf(wm, teacherAnswers);
  if (sim.profile) sim.log(`  ${label} unsupervised filter ${((performance.now() - tj) / 1000).toFixed(1)} s`);
  let control = sim.controls.get(qMax);
  if (!control) {
    const student = distil({ harvested: [], humanText: sim.human(), rho: 0, trainingTokens: sizes.train, seed: 3 }).model;
    control = probe(student, prompts, sizes.probeTokens, 7);
    sim.controls.set(qMax, control);
  }
  const cells: Cell[] = [];
  const pipeline: PipelineRow[] = [];
  for (const rho of sizes.rhos) {
    let items: EvidenceItem[];
    let sup: WindowSet | null = null;
    let tp = performance.now();
    const lap = (what: string): void => {
      if (sim.profile) sim.log(`  ${label} ρ ${rho} ${what}: ${((performance.now() - tp) / 1000).toFixed(2)} s`);
      tp = performance.now();
    };
    if (rho === 0) items = control;
    else {
      const sub = harvestPrefix(harvested, Math.ceil(rho * sizes.train) + 1);
      sup = windowSetOf(wm, sub.map((r) => ({ promptTokens: r.promptTokens, tokens: r.tokens })));
      lap('prefix+filter');
      const student = distil({ harvested: sub, humanText: sim.human(), rho, trainingTokens: sizes.train, seed: 3 }).model;
      lap('distil');
      items = probe(student, prompts, sizes.probeTokens, 7);
      lap('probe');
    }
    if (h === 1 && (rho >= 0.05 || rho === 0)) pipeline.push(sequentialRow(sim, scheme, spec, key, rho, items));
    lap('sequential');
    // ρ = 0 under the supervised filter: score the control with the ρ = 1 harvest's windows (the largest filter)
    if (rho === 0) sup = windowSetOf(wm, harvested.map((r) => ({ promptTokens: r.promptTokens, tokens: r.tokens })));
    for (const [variant, filter] of [['unfiltered', null], ['supervised', sup], ['unsupervised', unsup]] as const) {
      cells.push(...scoreCells({ scheme, h, rho }, items, variant, filter, scoring));
      lap(`score ${variant}`);
    }
    sim.log(`${label}: ρ = ${rho} done`);
  }
  return { scheme, h, harvest: { responses: harvested.length, tokens: hTokens }, cells, pipeline, seconds: (performance.now() - t0) / 1000 };
}
