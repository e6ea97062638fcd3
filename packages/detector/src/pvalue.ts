/**
 * Per-scheme exact tests: (number of scored tuples, score sum) → ln p.
 *
 *   kgw, unigram  S = #green ~ Binomial(n, γ_eff)          p = P(S ≥ s)
 *   synthid       S = Σ g-values ~ Binomial(m·n, 1/2)      p = P(S ≥ s)   (binary g, distinct tuples)
 *   gumbel        S = Σ −ln(1 − r) ~ Gamma(n, 1)           p = Q(n, s)
 *
 * γ_eff is the threshold actually used (floor(γ·2^32)/2^32), not the nominal γ.
 * The z-score is reported as a summary only: its normal tail is not the p-value.
 */
import type { NullModel } from '@tracemark/watermark';
import { binomialUpperTailLog, gammaUpperTailLog } from './stats/index.js';

export type TestName = 'binomial' | 'gamma';

export interface SchemeTest {
  test: TestName;
  /** Bernoulli trials behind the score (binomial tests): n × trials per token. */
  trials: number;
  /** Mean of the score under H0. */
  expected: number;
  lnP: number;
  z: number;
}

export function schemeTest(nullModel: NullModel, scored: number, sum: number): SchemeTest {
  if (nullModel.kind === 'gamma') {
    if (scored === 0) return { test: 'gamma', trials: 0, expected: 0, lnP: 0, z: 0 };
    return {
      test: 'gamma',
      trials: scored,
      expected: scored,
      lnP: Math.min(0, gammaUpperTailLog(scored, sum)),
      z: (sum - scored) / Math.sqrt(scored),
    };
  }
  const trials = scored * nullModel.trialsPerToken;
  const p = nullModel.p;
  const expected = trials * p;
  if (trials === 0) return { test: 'binomial', trials: 0, expected: 0, lnP: 0, z: 0 };
  // score sums of 0/1 (or g-count) values are integers; round away float noise defensively
  const s = Math.round(sum);
  return {
    test: 'binomial',
    trials,
    expected,
    lnP: Math.min(0, binomialUpperTailLog(s, trials, p)),
    z: (s - expected) / Math.sqrt(trials * p * (1 - p)),
  };
}
