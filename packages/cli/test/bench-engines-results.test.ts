/**
 * The committed engines run (docs/bench-engines/results.json, docs/BENCH-ENGINES.md,
 * produced by `tracemark bench --preset engines --seed 1 --out docs/bench-engines
 * --markdown docs/BENCH-ENGINES.md`): engine watermarks embedded by the engine samplers
 * next to tracemark's own schemes.
 *  - it is the engines preset, and it parses with the `bench --json` schema (its keys, specs
 *    and one scheme's human-null rows are recomputed from the seed in
 *    packages/bench/test/engines.test.ts);
 *  - every scheme detects at the longest length; the human-text FPR of every scheme holds
 *    its level (or was re-checked with fresh keys); the engines' own detectors read the
 *    watermarked samples and stay near their own level on human text;
 *  - the committed Markdown, report.md and charts are exactly what the committed JSON renders to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCharts, benchConfig, ENGINES, renderMarkdown } from '@tracemark/bench';
import type { BenchResults } from '@tracemark/bench';
import { jsonReplacer } from '@tracemark/detector';
import { BenchResultsSchema } from '../src/index.js';
import { REPO_ROOT } from './helpers/cli.js';

const results = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/bench-engines/results.json'), 'utf8')) as BenchResults;
const markdown = readFileSync(join(REPO_ROOT, 'docs/BENCH-ENGINES.md'), 'utf8');
const COMMAND = 'tracemark bench --preset engines --seed 1 --out docs/bench-engines --markdown docs/BENCH-ENGINES.md';

describe('committed engines benchmark', () => {
  it('is the engines preset of its seed and parses with the bench --json schema', () => {
    const c = benchConfig({ preset: 'engines', seed: results.config.seed });
    expect(results.config.schemes).toEqual(ENGINES.schemes);
    expect(results.config.lengths).toEqual(c.lengths);
    expect(results.config.temperatures).toEqual(c.temperatures);
    expect(results.config.samples).toBe(c.samples);
    expect(results.config.attacks).toEqual([]);
    const engineSpecs = results.schemes.filter((s) => (s.spec as { version: number }).version === 2);
    expect(engineSpecs.map((s) => s.id)).toEqual(['vllm/gumbel', 'vllm/red_green', 'vllm/synthid', 'sglang/gumbel', 'hf/kgw', 'hf/synthid']);
    expect(BenchResultsSchema.safeParse(JSON.parse(JSON.stringify(results, jsonReplacer))).success).toBe(true);
  });

  it('every scheme detects at the longest length; human-text FPR holds its level or was re-checked', () => {
    const T = Math.max(...results.config.lengths);
    for (const d of results.detection.filter((x) => x.length === T)) {
      expect(d.tpr.find((x) => x.fpr === 1e-3)!.rate, `${d.scheme} @ ${d.temperature}`).toBeGreaterThanOrEqual(0.9);
    }
    const rechecked = new Set(results.fprRecheck.map((x) => `${x.scheme} ${x.nullSet}`));
    for (const f of results.fpr.filter((x) => x.nullSet === 'human')) {
      if (f.rows.some((x) => x.verdict === 'anti-conservative')) expect(rechecked.has(`${f.scheme} human`), `${f.scheme} T=${f.length}`).toBe(true);
    }
    for (const rc of results.fprRecheck) for (const l of rc.lengths) for (const x of l.rows) expect(x.verdict, `${rc.scheme} ${rc.nullSet} T=${l.length}`).not.toBe('anti-conservative');
  });

  it("the engines' own detectors call every watermarked 200-token sample watermarked, and about their own level of human texts", () => {
    const own = results.engineOwn!;
    const T = Math.max(...results.config.lengths);
    const engines = ['vllm/gumbel', 'vllm/red_green', 'vllm/synthid', 'sglang/gumbel', 'hf/kgw'];
    for (const scheme of engines) {
      for (const t of results.config.temperatures) expect(own.find((x) => x.scheme === scheme && x.set === `marked@${t}` && x.length === T)!.rate, `${scheme} @ ${t}`).toBe(1);
      // vLLM: p ≤ 0.01 by default; SGLang: its p ≤ 0.01 here; HF: z > 3 — a few per thousand to about 1 %
      expect(own.find((x) => x.scheme === scheme && x.set === 'human')!.rate!, scheme).toBeLessThanOrEqual(0.02);
    }
    // HF SynthID reports a mean score for a trained classifier: no verdict, no p-value
    expect(own.filter((x) => x.scheme === 'hf/synthid').every((x) => x.rule === 'none' && x.rate === null)).toBe(true);
  });

  it('docs/BENCH-ENGINES.md, report.md and the charts are rendered from the committed JSON', () => {
    expect(/^Produced by `([^`]+)`/m.exec(markdown)?.[1]).toBe(COMMAND);
    expect(renderMarkdown(results, { chartDir: 'bench-engines/', command: COMMAND })).toBe(markdown);
    expect(readFileSync(join(REPO_ROOT, 'docs/bench-engines/report.md'), 'utf8')).toBe(renderMarkdown(results, { command: COMMAND }));
    for (const [name, svg] of allCharts(results)) expect(readFileSync(join(REPO_ROOT, 'docs/bench-engines', name), 'utf8')).toBe(`${svg}\n`);
    for (const m of markdown.matchAll(/\]\((bench-engines\/[^)]+\.svg)\)/g)) expect(existsSync(join(REPO_ROOT, 'docs', m[1]!))).toBe(true);
  });
});
