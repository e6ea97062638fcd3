/**
 * The exact test for accumulated counts: what a pooled (multi-text) result needs once
 * its tuples are deduplicated and summed. One place for it, so a corpus scan, a resumable
 * scan and an evidence report compute the same numbers the same way.
 */
import { payloadWatermark, type ScoringModel } from './scoring-model.js';
import { decodePayload, type PayloadResult } from './payload.js';
import { schemeTest, type TestName } from './pvalue.js';
import { formatPValue, lnToLog10 } from './stats/index.js';

export interface CountsTest {
  test: TestName | 'payload';
  scored: number;
  score: number;
  trials: number;
  expected: number;
  z: number;
  lnP: number;
  log10P: number;
  pValue: string;
  /** Payload specs: the decoded message; the p-value is over all 2^N ids. */
  payload?: PayloadResult;
}

/**
 * `scored` distinct tuples with score sum `sum`; for payload specs, the per-position
 * colour counts (the test is then "carries some id", exact over all ids).
 */
export function testFromCounts(
  model: ScoringModel,
  scored: number,
  sum: number,
  payload?: { counts: Int32Array; perPosition: Int32Array },
): CountsTest {
  const wm = payloadWatermark(model);
  if (payload && wm) {
    const p = decodePayload(wm, { counts: payload.counts, perPosition: payload.perPosition, scored });
    return {
      test: 'payload',
      scored,
      score: p.matched,
      trials: scored,
      expected: p.expectedBest,
      z: p.z,
      lnP: p.lnP,
      log10P: p.log10P,
      pValue: p.pValue,
      payload: p,
    };
  }
  const t = schemeTest(model.nullModel, scored, sum);
  return { test: t.test, scored, score: sum, trials: t.trials, expected: t.expected, z: t.z, lnP: t.lnP, log10P: lnToLog10(t.lnP), pValue: formatPValue(t.lnP) };
}

/**
 * The pooled test as the investigation results report it: CountsTest without the
 * z summary, the payload reduced to the decoded id (field order as before).
 */
export type PoolTest = Omit<CountsTest, 'z' | 'payload'> & { payload?: Pick<PayloadResult, 'message' | 'matched' | 'method'> };

export function poolTestOf(t: CountsTest): PoolTest {
  const { z: _z, payload, ...rest } = t;
  return payload ? { ...rest, payload: { message: payload.message, matched: payload.matched, method: payload.method } } : rest;
}
