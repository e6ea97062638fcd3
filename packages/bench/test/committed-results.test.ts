/**
 * The committed default run (docs/bench/results.json) is recomputed in part from the code,
 * with its own seed, instead of being checked only against itself: its configuration is the
 * default one, every scheme's key and spec derive from the seed, and one whole results row
 * family (the first scheme's human-null FPR at every length: the same 1,592 calibration texts,
 * the same key, the same prefix p-values, counts and Clopper–Pearson intervals) comes out
 * exactly as committed. A change to the corpus cut, key derivation, tokenization, scoring or
 * p-values that would change the published numbers fails here. (~4 s; the generated rows
 * need the language model and take minutes, so they are not recomputed.)
 * packages/cli/test/bench-results.test.ts checks that the committed Markdown, report and
 * charts are rendered from this JSON.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Detector, jsonReplacer } from '@tracemark/detector';
import { benchConfig } from '../src/config.js';
import { curveFromMarks, fprVerdict, prefixLnP, ratesAt } from '../src/metrics.js';
import { configJson } from '../src/run.js';
import { benchKey, benchSpec } from '../src/schemes.js';
import { humanNull } from '../src/tasks.js';
import type { BenchResults, FprRow } from '../src/types.js';

const RESULTS = fileURLToPath(new URL('../../../docs/bench/results.json', import.meta.url));
const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchResults;
/** As written to results.json. */
const asJson = <T>(x: T): T => JSON.parse(JSON.stringify(x, jsonReplacer)) as T;

describe('committed default benchmark, recomputed from the code', () => {
  const c = benchConfig({ seed: results.config.seed });

  it('is the default configuration of its seed, with the keys and specs that seed derives', () => {
    expect(results.config).toEqual(asJson(configJson(c)));
    expect(results.schemes.map((s) => s.id)).toEqual(c.schemes.map((s) => s.id));
    for (const s of c.schemes) {
      const key = benchKey(c.seed, s.id);
      const row = results.schemes.find((x) => x.id === s.id)!;
      expect(row.keyFingerprint).toBe(key.fingerprint);
      expect(row.spec).toEqual(asJson(benchSpec(s, key)));
    }
  });

  it("the first scheme's human-null FPR rows, at every length, are what the code computes", { timeout: 60_000 }, () => {
    const texts = humanNull(c);
    expect(texts.length).toBe(results.data.humanNull.texts);
    const s = c.schemes[0]!;
    const key = benchKey(c.seed, s.id);
    const d = new Detector(benchSpec(s, key), key);
    try {
      const nm = d.watermark.nullModel;
      const curves = texts.map((h) => {
        const m = d.marks(h);
        return curveFromMarks(m.flags, m.scores);
      });
      const rows: FprRow[] = c.lengths.map((L) => {
        const lnPs = curves.map((cv) => prefixLnP(nm, cv, L));
        return { scheme: s.id, nullSet: 'human', length: L, texts: lnPs.length, rows: ratesAt(lnPs, c.fprs).map((r) => ({ ...r, verdict: fprVerdict(r, r.fpr) })) };
      });
      const committed = results.fpr.filter((f) => f.scheme === s.id && f.nullSet === 'human');
      expect(committed).toEqual(asJson(rows));
      expect(rows.some((r) => r.rows.some((x) => x.k > 0))).toBe(true); // not all-zero counts
    } finally {
      d.dispose();
    }
  });
});
