/**
 * Null calibration on real human text (the corpora package's calibration
 * split), one random key per test. Fixed seeds make every run identical; the
 * thresholds are what a correct implementation passes with probability ≥ 0.999
 * per check (KS p > 1e-3; α inside a 99.9% Clopper–Pearson interval).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { nullTests, summarizeNull, type CalibrationSpec } from '../src/calibration.js';
import { Tokenizer } from '../src/index.js';

let docs: Uint32Array[];
beforeAll(() => {
  const tk = new Tokenizer('o200k_base');
  docs = humanText({ split: 'calibration' }).map((d) => tk.encode(d.text).tokens);
  tk.dispose();
});

const ALPHAS = [1e-2, 1e-3];
const configs: [string, CalibrationSpec, number][] = [
  ['kgw γ=0.25 h=1 left', { scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 1, mode: 'left' } }, 20_000],
  ['kgw γ=0.5 h=4 self', { scheme: { name: 'kgw', gamma: 0.5 }, context: { width: 4, mode: 'self' } }, 10_000],
  ['gumbel h=2 left', { scheme: { name: 'gumbel' }, context: { width: 2, mode: 'left' } }, 10_000],
  ['synthid m=30 h=2 min', { scheme: { name: 'synthid', layers: 30 }, context: { width: 2, mode: 'min' } }, 10_000],
  ['unigram γ=0.25', { scheme: { name: 'unigram', gamma: 0.25 } }, 10_000],
];

describe('null p-values on human text are calibrated', () => {
  for (const [name, tmpl, count] of configs) {
    it(name, () => {
      const r = nullTests(tmpl, docs, { count, seed: 'ci' });
      const rand = summarizeNull(r.lnPRand, ALPHAS, 0.999);
      expect(rand.ks.pValue).toBeGreaterThan(1e-3);
      for (const row of rand.fpr) expect(row.consistent).toBe(true);
      // the detector's own p-values (P(S ≥ s)) are conservative: never significantly above α
      const own = summarizeNull(r.lnP, ALPHAS, 0.999);
      for (const row of own.fpr) expect(row.valid).toBe(true);
    });
  }

  it('payload (all 2^16 ids): false-positive rate not above α', () => {
    const r = nullTests({ scheme: { name: 'kgw', gamma: 0.25 }, payload: { bits: 16, digitBits: 2 } }, docs, { count: 400, seed: 'ci-payload' });
    const s = summarizeNull(r.lnP, [0.05, 1e-2], 0.999);
    for (const row of s.fpr) expect(row.valid).toBe(true);
  });

  it('the check has teeth: without dedup, repeated n-grams make human text look marked', () => {
    const r = nullTests({ scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 1, mode: 'left' } }, docs, { count: 20_000, seed: 'ci', dedup: false });
    expect(summarizeNull(r.lnPRand, ALPHAS, 0.999).ks.pValue).toBeLessThan(1e-6);
    // the false-positive rate is significantly above α (≈ 3× at α = 1e-3 on this corpus)
    for (const row of summarizeNull(r.lnP, ALPHAS, 0.999).fpr) expect(row.valid).toBe(false);
  });
});
