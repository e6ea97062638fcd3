/**
 * The committed default run (docs/bench/results.json, docs/BENCHMARKS.md, produced by
 * `tracemark bench --seed 1 --out docs/bench --markdown docs/BENCHMARKS.md`):
 *  - windowed detection beats whole-text detection on copy-paste (1 span, 10%), and the
 *    windowed test holds its level on whole human texts;
 *  - the sanity row: with no watermark the detection rate equals the FPR within its
 *    simultaneous 95% interval in every cell;
 *  - every null set flagged anti-conservative was re-tested with fresh keys and is fine;
 *  - the committed Markdown, report.md and charts are exactly what the committed JSON renders to.
 * The claims above are about the committed numbers; that those numbers are what the code
 * computes is checked by packages/bench/test/committed-results.test.ts, which recomputes a
 * slice of them (configuration, keys and specs, one scheme's human-null rows) from the seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCharts, renderMarkdown } from '@tracemark/bench';
import type { BenchResults } from '@tracemark/bench';
import { REPO_ROOT } from './helpers/cli.js';

const results = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/bench/results.json'), 'utf8')) as BenchResults;
const markdown = readFileSync(join(REPO_ROOT, 'docs/BENCHMARKS.md'), 'utf8');
const at = (rs: { fpr: number; rate: number }[] | undefined, f: number): number => rs!.find((x) => x.fpr === f)!.rate;

describe('committed default benchmark', () => {
  it('is the default configuration', () => {
    expect(results.config.quick).toBe(false);
    expect(results.config.seed).toBe(1);
    expect(results.config.lengths).toEqual([25, 50, 100, 200, 400]);
    expect(results.config.temperatures).toEqual([0.7, 1]);
    expect(results.config.fprs).toEqual([1e-2, 1e-3, 1e-5]);
    expect(results.schemes.length).toBeGreaterThanOrEqual(5);
    expect(new Set(results.schemes.map((s) => (s.spec as { scheme: { name: string } }).scheme.name))).toEqual(new Set(['kgw', 'gumbel', 'synthid', 'unigram']));
  });

  it('windowed detection beats whole-text detection on copy-paste (1 span, 10%)', () => {
    const rows = results.attacks.filter((a) => a.attack === 'copy-paste:1x0.1');
    expect(rows).toHaveLength(results.schemes.length);
    let gain = 0;
    for (const a of rows) {
      const whole = at(a.tpr, 1e-3), win = at(a.tprWindowed, 1e-3);
      if (whole < 1) expect(win).toBeGreaterThan(whole);
      else expect(win).toBe(1);
      gain += win - whole;
    }
    expect(gain / rows.length).toBeGreaterThan(0.3);
    // the windowed test is a valid test: on whole human texts it stays within its level
    expect(results.nullSummary.copyPaste.familywiseAbove).toBe(0);
    for (const n of results.copyPasteNull) expect(n.windowed.find((x) => x.fpr === 1e-3)!.k).toBeLessThanOrEqual(2);
  });

  it('sanity row: no watermark → TPR equals FPR within its simultaneous interval, in every cell', () => {
    const s = results.nullSummary.sanity;
    expect(s.cells).toBe(results.sanity.length * results.config.fprs.length);
    expect(s.familywiseMiss).toBe(0);
    expect(s.perCellMiss).toBeLessThanOrEqual(Math.ceil(0.05 * s.cells));
  });

  it('every anti-conservative null set was re-tested with fresh keys and holds its level', () => {
    const flagged = new Set([
      ...results.fpr.filter((f) => f.rows.some((x) => x.verdict === 'anti-conservative')).map((f) => `${f.scheme} ${f.nullSet}`),
      ...results.copyPasteNull.flatMap((n) => [
        ...(n.whole.some((x) => x.verdict === 'anti-conservative') ? [`${n.scheme} hosts/whole`] : []),
        ...(n.windowed.some((x) => x.verdict === 'anti-conservative') ? [`${n.scheme} hosts/windowed`] : []),
      ]),
    ]);
    expect(new Set(results.fprRecheck.map((r) => `${r.scheme} ${r.nullSet}`))).toEqual(flagged);
    for (const r of results.fprRecheck) for (const l of r.lengths) for (const x of l.rows) expect(x.verdict).not.toBe('anti-conservative');
    expect(results.nullSummary.fpr.familywiseAbove).toBe(0);
  });

  it('docs/BENCHMARKS.md is the report of docs/bench/results.json, and its charts exist', () => {
    const command = /^Produced by `([^`]+)`/m.exec(markdown)?.[1];
    expect(command).toBe('tracemark bench --seed 1 --out docs/bench --markdown docs/BENCHMARKS.md');
    expect(renderMarkdown(results, { chartDir: 'bench/', command: command! })).toBe(markdown);
    const links = [...markdown.matchAll(/\]\((bench\/[^)]+\.svg)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(6);
    for (const l of links) expect(existsSync(join(REPO_ROOT, 'docs', l))).toBe(true);
  });

  it('docs/bench/report.md and every committed chart are rendered from docs/bench/results.json', () => {
    const command = /^Produced by `([^`]+)`/m.exec(markdown)![1]!;
    expect(readFileSync(join(REPO_ROOT, 'docs/bench/report.md'), 'utf8')).toBe(renderMarkdown(results, { command }));
    const charts = allCharts(results);
    expect(charts.size).toBeGreaterThanOrEqual(6);
    for (const [name, svg] of charts) expect(readFileSync(join(REPO_ROOT, 'docs/bench', name), 'utf8')).toBe(`${svg}\n`);
  });
});
