/**
 * The randomized decoy p-value of the radioactivity test (the input of its decoy KS check):
 * exactly U(0, 1) under H0 also when nothing was scored, unchanged for n > 0; decoys with no
 * scored tuple are left out of the KS check.
 */
import { describe, expect, it } from 'vitest';
import { PooledPass } from '../src/investigate/pool.js';
import { radioactivityTest, randomizedP } from '../src/investigate/radioactivity.js';
import { ksUniform } from '../src/stats/index.js';
import { randomTokens, testKey, testSpec } from './helpers.js';

const schemes = [
  { name: 'kgw', gamma: 0.25, delta: 2 },
  { name: 'gumbel' },
] as const;

describe('randomizedP', () => {
  for (const scheme of schemes) {
    it(`${scheme.name}: with no scored tuple the randomized p-value is U(0, 1) (KS and binned χ², fixed seeds)`, () => {
      const key = testKey('rp');
      const spec = testSpec(key, { scheme: scheme as never, context: { width: 2 } });
      const empty = new PooledPass(spec, key);
      const short = new PooledPass(spec, key);
      short.add(randomTokens(2, 'rp-short', 1000)); // shorter than the context: nothing scored
      expect(empty.test().scored).toBe(0);
      expect(short.test().scored).toBe(0);
      const n = 4000;
      const ps = Array.from({ length: n }, (_, i) => randomizedP(empty, i));
      for (let i = 0; i < 50; i++) expect(randomizedP(short, i)).toBe(ps[i]);
      for (const p of ps) expect(p > 0 && p < 1).toBe(true);
      expect(ksUniform(ps).pValue).toBeGreaterThan(1e-3);
      const bins = 20;
      const counts = new Array<number>(bins).fill(0);
      for (const p of ps) counts[Math.min(bins - 1, Math.floor(p * bins))]!++;
      const e = n / bins;
      const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
      expect(chi2).toBeLessThan(43.8); // χ²(19) upper 0.001 quantile
    });
  }

  it('n > 0: results unchanged bit for bit (recorded before the n = 0 fix)', () => {
    const recorded: [string, number, string, number, number[]][] = [
      ['kgw', 3, 'binomial', 1, [0.6552631795639172, 0.4185660698567517, 0.5656672053737566]],
      ['kgw', 14, 'binomial', 12, [0.9854399934936069, 0.9754430588667188, 0.9816558953357565]],
      ['kgw', 60, 'binomial', 58, [0.6706838697628177, 0.6352688028528093, 0.6572783515258712]],
      ['gumbel', 3, 'gamma', 1, [0.6422095110079061, 0.6422095110079061, 0.6422095110079061]],
      ['gumbel', 14, 'gamma', 12, [0.3637874953589709, 0.3637874953589709, 0.3637874953589709]],
      ['gumbel', 60, 'gamma', 58, [0.4157824746300895, 0.4157824746300895, 0.4157824746300895]],
    ];
    for (const [name, n, test, trials, expected] of recorded) {
      const scheme = schemes.find((s) => s.name === name)!;
      const key = testKey('rp');
      const spec = testSpec(key, { scheme: scheme as never, context: { width: 2 } });
      const d = new PooledPass(spec, key);
      d.add(randomTokens(n, `rp-${n}`, 1000));
      expect(d.test().test).toBe(test);
      expect(d.test().trials).toBe(trials);
      expect([0, 1, 7].map((i) => randomizedP(d, i))).toStrictEqual(expected);
    }
  });

  for (const scheme of schemes) {
    it(`${scheme.name}: decoys with no scored tuple are left out of the decoy KS check (no false "not uniform")`, () => {
      const key = testKey('rp-run');
      const spec = testSpec(key, { scheme: scheme as never, context: { width: 2 } });
      const decoyKeys = Array.from({ length: 20 }, (_, i) => testKey(`rp-decoy-${i}`));
      const r = radioactivityTest({ spec, key, suspect: [{ id: 'a', tokens: randomTokens(2, 'rp-a', 1000) }], decoyKeys, alpha: 1e-6 });
      expect(r.suspect.pooled.scored).toBe(0);
      expect(r.suspect.decoys.k).toBe(20);
      expect(r.suspect.decoys.ks).toBeNull();
      expect(r.suspect.decoys.uniform).toBeNull();
      expect(r.warnings).toEqual([]);
      expect(r.controlsOk).toBe(true);
      // with tuples, the KS check runs over every decoy as before
      const s = radioactivityTest({ spec, key, suspect: [{ id: 'b', tokens: randomTokens(200, 'rp-b', 1000) }], decoyKeys, alpha: 1e-6 });
      expect(s.suspect.pooled.scored).toBeGreaterThan(100);
      expect(s.suspect.decoys.ks).not.toBeNull();
    });
  }
});
