import { beforeAll, describe, expect, it } from 'vitest';
import { radioactivityTest, windowSetOf } from '@tracemark/detector';
import { Watermark } from '@tracemark/watermark';
import { QUICK_SIZES, renderRadioactivityDoc, resultsJson, spliceResultsSection, type GridSizes, type RadioactivityResults } from '../src/index.js';
import { runSchemeJob } from '../src/grid/cells.js';
import { decoysFor, gridJobs, keyFor, specFor } from '../src/grid/definition.js';
import { RESULTS_BEGIN, RESULTS_END } from '../src/grid/doc.js';
import { assignJobs } from '../src/grid/run.js';
import { GridSimulation } from '../src/grid/simulation.js';
import type { GridResult } from '../src/grid/types.js';

/** One tiny cell of the grid: KGW, h = 2, a clone (ρ = 1) and the control (ρ = 0). */
const TINY: GridSizes = {
  ...QUICK_SIZES,
  schemes: ['kgw'],
  widths: [2],
  rhos: [1, 0],
  train: 1500,
  queries: [3, 6],
  probeTokens: 24,
  decoys: 3,
  teacherTokens: 24,
};

const withoutTime = (g: GridResult): Omit<GridResult, 'seconds'> => {
  const { seconds: _, ...rest } = g;
  return rest;
};

describe('radioactivity grid', () => {
  const sim = new GridSimulation(TINY);
  let job: GridResult;
  beforeAll(() => {
    job = runSchemeJob(sim, 'kgw', 2);
  });

  it('has a cell per ρ × filter variant × query count, each with every decoy', () => {
    expect(job.cells).toHaveLength(TINY.rhos.length * 3 * TINY.queries.length);
    for (const c of job.cells) {
      expect(c.decoys).toHaveLength(TINY.decoys);
      if (c.variant === 'unfiltered') expect(c.scored).toBeGreaterThan(0);
      // decoys score the real key's positions: with no scored tuple there is no KS check (their p-values are then pure U)
      expect(c.decoyKs === null).toBe(c.scored === 0);
      expect(c.filterWindows === null).toBe(c.variant === 'unfiltered');
    }
    // more answers never mean fewer distinct tuples; a filter never keeps more than it is given
    for (const c of job.cells.filter((x) => x.queries === 6)) {
      const fewer = job.cells.find((x) => x.rho === c.rho && x.variant === c.variant && x.queries === 3)!;
      const unfiltered = job.cells.find((x) => x.rho === c.rho && x.variant === 'unfiltered' && x.queries === 6)!;
      expect(c.scored).toBeGreaterThanOrEqual(fewer.scored);
      expect(c.scored).toBeLessThanOrEqual(unfiltered.scored);
    }
    expect(job.pipeline).toEqual([]); // sequential rows are for h = 1 only
  });

  it("reads off exactly the detector's pooled test (and decoys) on the same evidence", () => {
    const key = keyFor('kgw/h2');
    const spec = specFor('kgw', 2, key);
    const control = sim.controls.get(Math.max(...TINY.queries))!;
    expect(control).toHaveLength(6);
    // ρ = 0 under the supervised filter uses the windows of the whole (ρ = 1) harvest
    const harvested = sim.harvestAtLeast(spec, key, TINY.train + 1);
    const sup = windowSetOf(new Watermark(spec, key), harvested.map((r) => ({ promptTokens: r.promptTokens, tokens: r.tokens })));
    for (const q of TINY.queries) {
      for (const [variant, filter] of [['unfiltered', undefined], ['supervised', sup]] as const) {
        const cell = job.cells.find((c) => c.rho === 0 && c.variant === variant && c.queries === q)!;
        const ref = radioactivityTest({ spec, key, decoyKeys: decoysFor('kgw/h2', TINY.decoys), alpha: 1e-6, suspect: control.slice(0, q), ...(filter ? { filter } : {}) }).suspect;
        expect(cell.log10P).toBe(ref.pooled.log10P);
        expect(cell.scored).toBe(ref.pooled.scored);
        expect(cell.decoys).toEqual(ref.decoys.log10P);
        expect(cell.decoyKs).toBe(ref.decoys.ks?.pValue ?? null);
        if (filter) expect(cell.filterWindows).toBe(filter.size);
      }
    }
  });

  it('is deterministic: a fresh simulation gives the same cells', () => {
    const again = runSchemeJob(new GridSimulation(TINY), 'kgw', 2);
    expect(withoutTime(again)).toEqual(withoutTime(job));
  });

  it('renders one table row per scheme × h × query count, and splices it between the markers', () => {
    const results: RadioactivityResults = { sizes: TINY, grid: [job], attribution: null, innocent: [], seconds: 1, workers: 0 };
    const md = renderRadioactivityDoc(results);
    const rows = md.split('\n').filter((l) => l.startsWith('| KGW | 2 | '));
    expect(rows).toHaveLength(TINY.queries.length + 1); // section 1 (per query count) + section 2
    expect(md.endsWith('\n')).toBe(true);
    const doc = `# title\n\n${RESULTS_BEGIN}\nold\n${RESULTS_END}\ntail\n`;
    expect(spliceResultsSection(doc, md)).toBe(`# title\n\n${RESULTS_BEGIN}\n${md}${RESULTS_END}\ntail\n`);
    expect(() => spliceResultsSection('# no markers\n', md, 'x.md')).toThrow(/x\.md has no/);
    expect(JSON.parse(resultsJson(results)).grid[0].cells).toHaveLength(job.cells.length);
  });

  it('splits the jobs over workers without losing or repeating one', () => {
    const n = gridJobs(QUICK_SIZES).length;
    for (const w of [1, 2, 3]) {
      const buckets = assignJobs(QUICK_SIZES, w);
      expect(buckets).toHaveLength(w);
      expect(buckets.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
