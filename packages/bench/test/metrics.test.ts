/**
 * The benchmark's measurement code: prefix p-values from per-token marks are the
 * detector's own p-values; the size, rates and intervals; the no-end-of-text
 * sampler; scheme descriptors and seed-derived keys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '@tracemark/detector';
import { referenceModel, type LanguageModel } from '@tracemark/lm';
import { Embedder, seededRng, Watermark } from '@tracemark/watermark';
import { generateSample, withoutEos } from '../src/generate.js';
import { curveFromMarks, distinctN, fprVerdict, nullSummary, prefixLnP, quantile, rate, ratesAt, sizes } from '../src/metrics.js';
import { recheckTask } from '../src/tasks.js';
import { benchConfig } from '../src/config.js';
import { benchKey, benchSpec, parseScheme, parseSchemeList } from '../src/schemes.js';

let model: LanguageModel & { eos?: number };

beforeAll(() => {
  model = referenceModel();
});

describe('prefix p-values', () => {
  it.each(['kgw-g0.25-d2-h1-left', 'gumbel-h2-left', 'synthid-m30-h1-left', 'unigram-g0.25-d2', 'kgw-g0.5-d1-h4-self'])(
    '%s: the T-token prefix p-value from marks is detect() of that prefix',
    (id) => {
      const s = parseScheme(id);
      const key = benchKey(3, s.id);
      const spec = benchSpec(s, key);
      const det = new Detector(spec, key);
      try {
        const sample = generateSample(withoutEos(model), new Embedder(new Watermark(spec, key)), [791, 3303, 1093, 484], 120, 'prefix', 1);
        const ex = det.exclusion([sample.prompt]);
        const m = det.marks(sample.text, { exclude: ex });
        const curve = curveFromMarks(m.flags, m.scores);
        const full = det.detect(sample.text, { exclude: ex });
        expect(prefixLnP(det.watermark.nullModel, curve, 10_000)).toBeCloseTo(full.lnP, 9);
        expect(full.lnP).toBeLessThan(Math.log(1e-3));
        let exact = 0;
        for (const T of [16, 25, 50, 80]) {
          const prefix = sample.text.slice(0, m.charOffsets![T]!);
          const r = det.detect(prefix, { exclude: ex });
          if (r.tokens !== T) continue; // re-tokenizing a cut text may merge the last token
          exact++;
          expect(prefixLnP(det.watermark.nullModel, curve, T)).toBeCloseTo(r.lnP, 9);
          expect(curve.n[T]).toBe(r.scored);
        }
        expect(exact).toBeGreaterThanOrEqual(3);
      } finally {
        det.dispose();
      }
    },
  );
});

describe('size', () => {
  const s = parseScheme('kgw-g0.25-d2-h1-left');
  const key = benchKey(1, s.id);
  const nm = new Watermark(benchSpec(s, key), key).nullModel;

  it('all-green tuples: p ≤ α from the first t with γ^t ≤ α on', () => {
    const flags = new Uint8Array(40); // all scored
    const scores = new Float64Array(40).fill(1);
    const c = curveFromMarks(flags, scores);
    const [a, b] = sizes(nm, c, 40, [Math.log(1e-3), Math.log(1e-5)]);
    expect(a).toEqual({ size: Math.ceil(Math.log(1e-3) / Math.log(nm.kind === 'binomial' ? nm.p : 0.25)), ever: true });
    expect(b!.size).toBe(9); // 0.25^9 ≈ 3.8e-6
  });

  it('a signal that fades: ever detected, but not at the horizon', () => {
    const flags = new Uint8Array(200);
    const scores = new Float64Array(200);
    for (let i = 0; i < 10; i++) scores[i] = 1;
    const [a] = sizes(nm, curveFromMarks(flags, scores), 200, [Math.log(1e-3)]);
    expect(a).toEqual({ size: null, ever: true });
    // unscored positions (duplicates, excluded) count as tokens but not as tuples
    flags.fill(1, 0, 5);
    const c = curveFromMarks(flags, scores);
    expect(c.n[10]).toBe(5);
    expect(prefixLnP(nm, c, 10)).toBeCloseTo(5 * Math.log(nm.kind === 'binomial' ? nm.p : 0.25), 6);
  });
});

describe('rates and intervals', () => {
  it('reject iff p ≤ FPR; Clopper–Pearson intervals; verdicts', () => {
    const lnPs = [Math.log(0.02), Math.log(0.01), Math.log(0.0005), 0, Math.log(1e-6)];
    const r = ratesAt(lnPs, [1e-2, 1e-3, 1e-5]);
    expect(r.map((x) => x.k)).toEqual([3, 2, 1]);
    expect(r[0]!.lo).toBeLessThan(0.6);
    expect(r[0]!.hi).toBeGreaterThan(0.6);
    expect(fprVerdict(rate(0, 1000), 1e-2)).toBe('conservative'); // upper 3.7e-3 < 1e-2
    expect(fprVerdict(rate(10, 1000), 1e-2)).toBe('ok');
    expect(fprVerdict(rate(30, 1000), 1e-2)).toBe('anti-conservative');
    expect(fprVerdict(rate(0, 100), 1e-5)).toBe('ok');
  });

  it('multiplicity: per-cell vs simultaneous (Bonferroni) intervals', () => {
    // 2/200 at 1e-3: the per-cell 95% interval lies above 1e-3, the simultaneous one over 270 cells does not
    const cells = [rate(2, 200), ...Array.from({ length: 269 }, () => rate(0, 200))];
    const s = nullSummary(cells, cells.map(() => 1e-3));
    expect(s).toEqual({ cells: 270, perCellAbove: 1, familywiseAbove: 0, perCellMiss: 1, familywiseMiss: 0 });
    expect(nullSummary([rate(40, 200)], [1e-2]).familywiseAbove).toBe(1);
  });

  it('re-checks a null set with fresh keys (pooled over keys)', () => {
    const c = benchConfig({ quick: true, nullSamples: 40, lengths: [25, 50] });
    const r = recheckTask(c, { scheme: 0, nullSet: 'human', keys: 3 });
    expect(r).toMatchObject({ scheme: 'kgw-g0.25-d2-h1-left', nullSet: 'human', keys: 3, texts: 40 });
    expect(r.lengths.map((l) => l.length)).toEqual([25, 50]);
    for (const l of r.lengths) {
      expect(l.rows.map((x) => x.n)).toEqual([120, 120, 120]);
      expect(l.rows.every((x) => x.verdict !== 'anti-conservative')).toBe(true);
    }
    expect(recheckTask(c, { scheme: 0, nullSet: 'human', keys: 3 })).toEqual(r);
    expect(() => recheckTask(c, { scheme: 0, nullSet: 'nope', keys: 1 })).toThrow(/unknown null set/);
  });

  it('quantiles treat undetected (∞) samples as largest; distinct-n', () => {
    expect(quantile([3, 1, Infinity, 2], 0.5)).toBe(2.5);
    expect(quantile([3, Infinity, Infinity], 0.5)).toBe(Infinity);
    expect(distinctN([1, 2, 1, 2, 1, 2], 2)).toBeCloseTo(2 / 5);
    expect(distinctN([1], 2)).toBe(1);
  });
});

describe('generation without end-of-text', () => {
  it('never lists end-of-text, stays normalised, and gives exactly T tokens', () => {
    const eos = model.eos!;
    const m = withoutEos(model);
    expect(m.eos).toBeUndefined();
    const prefix = Int32Array.from([eos, 13]); // right after a sentence end
    for (const temperature of [0.7, 1]) {
      const d = m.distribution(prefix, prefix.length, { temperature });
      expect(Array.from(d.ids)).not.toContain(eos);
      const total = d.probs.reduce((a, b) => a + b, 0) + d.restMass;
      expect(total).toBeCloseTo(1, 9);
      if (d.sampleRest) {
        const rng = seededRng(1);
        for (let i = 0; i < 200; i++) expect(d.sampleRest(rng)).not.toBe(eos);
      }
    }
    const s = generateSample(m, undefined, [13], 300, 'eos-test', 1);
    expect(s.tokens).toHaveLength(300);
    expect(s.tokens).not.toContain(eos);
  });
});

describe('schemes and keys', () => {
  it('canonical descriptors, defaults and one-line errors', () => {
    expect(parseScheme('kgw').id).toBe('kgw-g0.25-d2-h1-left');
    expect(parseScheme('kgw-self-h4-d1').id).toBe('kgw-g0.25-d1-h4-self');
    expect(parseScheme('gumbel-h2').id).toBe('gumbel-h2-left');
    expect(parseScheme('synthid-m20').scheme).toEqual({ name: 'synthid', layers: 20 });
    expect(parseScheme('unigram-g0.5').id).toBe('unigram-g0.5-d2');
    expect(parseSchemeList('default,kgw').length).toBe(5);
    for (const bad of ['kgx', 'kgw-g2', 'kgw-h9', 'gumbel-g0.5', 'unigram-left', 'synthid-m65', 'kgw-q1']) {
      expect(() => parseScheme(bad)).toThrow(/--schemes/);
    }
  });

  it('keys are a function of (seed, scheme)', () => {
    expect(benchKey(1, 'kgw-g0.25-d2-h1-left').fingerprint).toBe(benchKey(1, 'kgw-g0.25-d2-h1-left').fingerprint);
    expect(benchKey(2, 'kgw-g0.25-d2-h1-left').fingerprint).not.toBe(benchKey(1, 'kgw-g0.25-d2-h1-left').fingerprint);
    expect(benchKey(1, 'gumbel-h1-left').fingerprint).not.toBe(benchKey(1, 'kgw-g0.25-d2-h1-left').fingerprint);
  });
});
