/**
 * Detection for the serve tests, through the detector package: its tokenizer, its
 * Scorer (per-position flags: each (window, token) tuple scored once) and its exact
 * per-scheme test. `filter` restricts the test to positions whose window seed is in
 * the filter (the supervised filter exported from the ledger); without it this is
 * the plain per-text test (checked against Detector.detect in the tests).
 */
import { Detector, FLAG_SCORED, Scorer, schemeTest, lnToLog10 } from '@tracemark/detector';
import type { Seed, WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import type { WindowFilter } from '@tracemark/serve';

export interface FilteredResult {
  tokens: number;
  scored: number;
  sum: number;
  lnP: number;
  log10P: number;
}

export class TestDetector {
  readonly detector: Detector;
  readonly #scorer: Scorer;

  constructor(readonly spec: WatermarkSpec, key: WatermarkKey) {
    this.detector = new Detector(spec, key);
    this.#scorer = new Scorer(spec, key);
  }

  detect(text: string, filter?: WindowFilter): FilteredResult {
    const tokens = this.detector.tokenize(text).tokens;
    const r = this.#scorer.score(tokens, { perToken: true });
    const wm = this.#scorer.wm;
    const seed: Seed = { hi: 0, lo: 0 };
    let scored = 0;
    let sum = 0;
    for (let i = 0; i < tokens.length; i++) {
      if (r.flags![i] !== FLAG_SCORED) continue;
      if (filter) {
        if (!wm.windowSeed(tokens, i, seed) || !filter.has(seed.hi, seed.lo)) continue;
      }
      scored++;
      sum += r.scores![i]!;
    }
    const t = schemeTest(wm.nullModel, scored, sum);
    return { tokens: tokens.length, scored, sum, lnP: t.lnP, log10P: lnToLog10(t.lnP) };
  }
}
