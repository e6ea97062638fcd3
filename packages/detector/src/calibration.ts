/**
 * Null calibration: p-values of unwatermarked (human) text under many random
 * keys. Test i uses its own key (derived from a seed and i), so the p-values are
 * independent given the texts, and a uniformity test is meaningful.
 *
 * Reported per test: the detector's p-value (P(S ≥ s), what users see) and a
 * randomized p-value P(S > s) + U·P(S = s) with U ~ U(0, 1). For a discrete
 * test the first is conservative (P(p ≤ α) ≤ α, not = α), so it cannot be
 * exactly uniform; the randomized one is exactly uniform if and only if the null
 * model — independent scores for distinct tuples — holds on the text. That is
 * the property the KS test checks. (Gumbel scores are continuous: both agree.)
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  parseSpec,
  seededRng,
  WatermarkKey,
  type WatermarkSpec,
  type WatermarkSpecInput,
} from '@tracemark/watermark';
import { Scorer, type Engine } from './scorer.js';
import { countPayload, decodePayloadWithTails, randomizedLnP } from './payload.js';
import { schemeTest } from './pvalue.js';
import {
  binomialPmfLog,
  binomialUpperTailLog,
  clopperPearson,
  ksUniform,
  logAddExp,
  type KsResult,
} from './stats/index.js';

export type CalibrationSpec = Omit<WatermarkSpecInput, 'version' | 'keyFingerprint'>;

export interface NullTestOptions {
  /** First test index (for splitting a run over workers) and number of tests. */
  start?: number;
  count: number;
  /** Seed of the per-test keys and randomization (default "tracemark/calibration"). */
  seed?: string;
  engine?: Engine;
  /** Per-text dedup (default true; false only to show what breaks without it). */
  dedup?: boolean;
}

export interface NullTests {
  /** ln of the detector's p-value, per test. */
  lnP: Float64Array;
  /** ln of the randomized p-value (exactly U(0,1) under H0). */
  lnPRand: Float64Array;
  /** Scored tuples per test. */
  scored: Int32Array;
  /** 1 where lnPRand is randomized; 0 where it fell back to lnP (payload tests past the exact budget). */
  randomized: Uint8Array;
}

/** The 32-byte key of calibration test i: SHA-256("<seed>:key:<i>"). Never used for anything else. */
export function calibrationKey(seed: string, i: number): WatermarkKey {
  return new WatermarkKey(sha256(new TextEncoder().encode(`${seed}:key:${i}`)));
}

/**
 * Run tests start … start+count−1: test i scores document i mod D under key i.
 * Documents are token arrays (tokenize once, reuse for every key).
 */
export function nullTests(template: CalibrationSpec, docs: readonly Uint32Array[], opts: NullTestOptions): NullTests {
  const seed = opts.seed ?? 'tracemark/calibration';
  const start = opts.start ?? 0;
  const { count } = opts;
  if (docs.length === 0) throw new Error('nullTests: no documents');
  const out: NullTests = { lnP: new Float64Array(count), lnPRand: new Float64Array(count), scored: new Int32Array(count), randomized: new Uint8Array(count).fill(1) };
  for (let j = 0; j < count; j++) {
    const i = start + j;
    const key = calibrationKey(seed, i);
    const spec: WatermarkSpec = parseSpec({ ...template, version: 1, keyFingerprint: key.fingerprint });
    const scorer = new Scorer(spec, key, opts.engine ?? 'wasm');
    const doc = docs[i % docs.length]!;
    const payload = spec.payload !== null;
    const r = scorer.score(doc, { payload, dedup: opts.dedup ?? true });
    out.scored[j] = r.scored;
    const u = seededRng(`${seed}:u:${i}`)();
    if (payload) {
      const { result: p, exactTails } = decodePayloadWithTails(scorer.wm, countPayload(scorer.wm, r.payloadPos!, r.payloadColour!));
      out.lnP[j] = p.lnP;
      // randomized when the exact null is computable (same convolution); otherwise the (conservative) p itself
      out.lnPRand[j] = exactTails ? randomizedLnP(exactTails, u) : p.lnP;
      out.randomized[j] = exactTails ? 1 : 0;
      continue;
    }
    const t = schemeTest(scorer.wm.nullModel, r.scored, r.sum);
    out.lnP[j] = t.lnP;
    if (t.test === 'gamma' || t.trials === 0) {
      out.lnPRand[j] = t.lnP;
    } else {
      const s = Math.round(r.sum), p = scorer.wm.nullModel.kind === 'binomial' ? scorer.wm.nullModel.p : 0.5;
      // P(S > s) + U·P(S = s)
      out.lnPRand[j] = Math.min(0, logAddExp(binomialUpperTailLog(s + 1, t.trials, p), Math.log(u) + binomialPmfLog(s, t.trials, p)));
    }
  }
  return out;
}

export interface FprRow {
  alpha: number;
  /** Tests with p ≤ α. */
  rejections: number;
  rate: number;
  /** Clopper–Pearson interval of the rate. */
  lower: number;
  upper: number;
  /** α inside [lower, upper]: the rate is consistent with α. */
  consistent: boolean;
  /** lower ≤ α: the rate is not significantly above α (what validity requires). */
  valid: boolean;
}

export interface CalibrationSummary {
  tests: number;
  ks: KsResult;
  fpr: FprRow[];
}

/** KS uniformity of exp(lnP) and false-positive rates at each α with Clopper–Pearson intervals. */
export function summarizeNull(lnP: ArrayLike<number>, alphas: readonly number[], level = 0.95, ksOn?: ArrayLike<number>): CalibrationSummary {
  const n = lnP.length;
  const ks = ksUniform(Array.from(ksOn ?? lnP, (v) => Math.min(1, Math.exp(v))));
  const fpr = alphas.map((alpha) => {
    const la = Math.log(alpha);
    let k = 0;
    for (let i = 0; i < n; i++) if (lnP[i]! <= la) k++;
    const { lower, upper } = clopperPearson(k, n, level);
    return { alpha, rejections: k, rate: k / n, lower, upper, consistent: lower <= alpha && alpha <= upper, valid: lower <= alpha };
  });
  return { tests: n, ks, fpr };
}
