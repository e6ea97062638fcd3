/**
 * The query planner: how many scored tokens, and so how many queries, an investigation
 * needs for a level-α test to reach a given power against an assumed effect.
 *
 *   Binomial tests (KGW/Unigram: 1 trial per token at γ; SynthID: m g-values per token
 *   at ½): the exact smallest number of trials N for the exact one-sided binomial test
 *   (plannedTokensExact: exact critical value, exact power) and the normal approximation
 *     N ≈ [(z_α√(p0(1−p0)) + z_β√(q(1−q)))/(q − p0)]²;
 *   tokens = ⌈N / trials per token⌉. For SynthID this treats a token's m g-values as
 *   independent under the alternative too; they are positively correlated there (the
 *   tournament favours tokens with many g = 1), so the SynthID figure is optimistic —
 *   estimate q from a pilot and keep a margin.
 *
 *   Gamma test (Gumbel: score Exp(1) under H0): per-token alternative mean μ > 1 and sd σ
 *   (σ = μ for exponential scores); normal N ≈ [(z_α + z_β σ)/(μ − 1)]²; "exact" uses the
 *   exact Gamma(N, 1) critical value and, for σ = μ, the exact Gamma(N, μ) power (else a
 *   normal power at that critical value).
 *
 * Queries = ⌈tokens / scored tokens per response⌉. Under global deduplication the novel
 * tuples per response fall as a probe grows (common tuples were seen already), so the
 * pilot's rate is taken from the second half of the pilot, and the plan is a floor.
 */
import type { NullModel } from '@tracemark/watermark';
import {
  clopperPearson,
  gammaUpperTailLog,
  normalCdfLog,
  normalQuantile,
  normalQuantileLog,
  plannedTokens,
  plannedTokensExact,
} from '../stats/index.js';

export interface PlanInput {
  nullModel: NullModel;
  /** Binomial tests: success rate per trial under the alternative (green rate; SynthID: mean g-value). */
  q?: number;
  /** Gamma test: per-token score mean under the alternative (> 1). */
  mean?: number;
  /** Gamma test: per-token score sd under the alternative (default: mean, i.e. exponential scores). */
  sd?: number;
  alpha: number;
  power: number;
  /** Scored (novel) tokens per response, to turn tokens into queries. */
  tokensPerResponse?: number;
  /** Search limit on tokens (default 1e8). */
  maxTokens?: number;
}

export interface Plan {
  test: 'binomial' | 'gamma';
  p0: number | null;
  trialsPerToken: number;
  alternative: { q: number } | { mean: number; sd: number };
  alpha: number;
  power: number;
  tokens: {
    /** Exact search (null when no N ≤ maxTokens reaches the power). */
    exact: number | null;
    normal: number;
    /** Critical value of the exact test at `exact` (green count / g-sum / score sum). */
    critical: number | null;
    attainedPower: number | null;
  };
  tokensPerResponse: number | null;
  queries: { exact: number | null; normal: number } | null;
  notes: string[];
}

export function planTest(inp: PlanInput): Plan {
  const { alpha, power } = inp;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  const maxTokens = inp.maxTokens ?? 1e8;
  const tpr = inp.tokensPerResponse;
  if (tpr !== undefined && !(tpr > 0)) throw new RangeError(`tokens per response must be > 0, got ${tpr}`);
  const notes: string[] = [];
  let plan: Omit<Plan, 'queries' | 'tokensPerResponse' | 'notes'>;
  const nm = inp.nullModel;
  if (nm.kind === 'binomial') {
    const q = inp.q;
    if (q === undefined) throw new RangeError('an assumed green rate q is needed');
    if (!(q > nm.p && q < 1)) throw new RangeError(`the assumed rate q = ${q} must exceed the null rate ${nm.p} (and be < 1): there is nothing to detect otherwise`);
    const m = nm.trialsPerToken;
    const normalTrials = plannedTokens(nm.p, q, alpha, power);
    const ex = plannedTokensExact(nm.p, q, alpha, power, Math.min(Number.MAX_SAFE_INTEGER, maxTokens * m));
    plan = {
      test: 'binomial',
      p0: nm.p,
      trialsPerToken: m,
      alternative: { q },
      alpha,
      power,
      tokens: {
        exact: ex ? Math.ceil(ex.n / m) : null,
        normal: Math.ceil(normalTrials / m),
        critical: ex ? ex.critical : null,
        attainedPower: ex ? ex.power : null,
      },
    };
    if (m > 1) notes.push(`${m} g-values per token are treated as independent trials; under the alternative they are correlated, so the token count is optimistic`);
  } else {
    const mean = inp.mean;
    if (mean === undefined) throw new RangeError('an assumed mean score is needed for the Gumbel test');
    if (!(mean > 1)) throw new RangeError(`the assumed mean score ${mean} must exceed the null mean 1: there is nothing to detect otherwise`);
    const sd = inp.sd ?? mean;
    if (!(sd > 0)) throw new RangeError(`sd must be > 0, got ${sd}`);
    const zA = -normalQuantileLog(Math.log(alpha));
    const zB = normalQuantile(power);
    const root = (zA + zB * sd) / (mean - 1);
    const normal = Math.max(1, Math.ceil(root * root));
    const ex = gammaExactPlan(mean, sd, alpha, power, maxTokens);
    plan = {
      test: 'gamma',
      p0: null,
      trialsPerToken: 1,
      alternative: { mean, sd },
      alpha,
      power,
      tokens: { exact: ex ? ex.n : null, normal, critical: ex ? ex.critical : null, attainedPower: ex ? ex.power : null },
    };
    if (Math.abs(sd / mean - 1) > 1e-9) notes.push('power at the exact critical value uses a normal approximation of the alternative (sd ≠ mean)');
  }
  if (plan.tokens.exact === null) notes.push(`no sample size up to ${maxTokens} tokens reaches the power: the effect is too small`);
  return {
    ...plan,
    tokensPerResponse: tpr ?? null,
    queries:
      tpr !== undefined
        ? { exact: plan.tokens.exact === null ? null : Math.ceil(plan.tokens.exact / tpr), normal: Math.ceil(plan.tokens.normal / tpr) }
        : null,
    notes,
  };
}

/** Smallest c with ln Q(n, c) ≤ lnAlpha (the exact Gamma(n, 1) critical score sum). */
export function gammaCriticalValue(n: number, lnAlpha: number): number {
  let lo = n, hi = n + 10 * Math.sqrt(n) + 50;
  while (gammaUpperTailLog(n, hi) > lnAlpha) hi = n + 2 * (hi - n);
  for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (gammaUpperTailLog(n, mid) > lnAlpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

function gammaPower(n: number, c: number, mean: number, sd: number): number {
  if (Math.abs(sd / mean - 1) <= 1e-9) return Math.exp(gammaUpperTailLog(n, c / mean));
  const z = (n * mean - c) / (sd * Math.sqrt(n));
  return -Math.expm1(normalCdfLog(-z));
}

function gammaExactPlan(mean: number, sd: number, alpha: number, power: number, maxN: number): { n: number; critical: number; power: number } | null {
  const lnAlpha = Math.log(alpha);
  const ok = (n: number): boolean => gammaPower(n, gammaCriticalValue(n, lnAlpha), mean, sd) >= power;
  let hi = 1;
  while (!ok(hi)) {
    if (hi >= maxN) return null;
    hi = Math.min(maxN, hi * 2);
  }
  let lo = Math.floor(hi / 2);
  if (lo < 1 || ok(lo)) lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  const c = gammaCriticalValue(hi, lnAlpha);
  return { n: hi, critical: c, power: gammaPower(hi, c, mean, sd) };
}

export interface PilotStats {
  /** Novel tuples scored in the pilot. */
  scored: number;
  /** Σ scores. */
  sum: number;
  /** Σ scores² (Gumbel: for the sd). */
  sumSq?: number;
  /** Novel tuples added by each pilot response, in order. */
  novelPerResponse: readonly number[];
}

export interface PilotEstimate {
  scored: number;
  responses: number;
  /** Binomial: estimated rate per trial and its one-sided 95% lower confidence bound (Clopper–Pearson). */
  q: number | null;
  qLower: number | null;
  /** Gamma: mean and sd of the per-token score. */
  mean: number | null;
  sd: number | null;
  /** Novel tuples per response over the second half of the pilot (dedup saturates). */
  tokensPerResponse: number | null;
}

export function estimateFromPilot(nullModel: NullModel, st: PilotStats): PilotEstimate {
  const r = st.novelPerResponse;
  const half = r.slice(Math.floor(r.length / 2));
  const tpr = half.length > 0 ? half.reduce((a, b) => a + b, 0) / half.length : null;
  const base = { scored: st.scored, responses: r.length, tokensPerResponse: tpr && tpr > 0 ? tpr : null };
  if (st.scored === 0) return { ...base, q: null, qLower: null, mean: null, sd: null };
  if (nullModel.kind === 'binomial') {
    const N = st.scored * nullModel.trialsPerToken;
    const k = Math.round(st.sum);
    return { ...base, q: k / N, qLower: clopperPearson(k, N, 0.9).lower, mean: null, sd: null };
  }
  const mean = st.sum / st.scored;
  const v = st.sumSq !== undefined && st.scored > 1 ? (st.sumSq - st.scored * mean * mean) / (st.scored - 1) : mean * mean;
  return { ...base, q: null, qLower: null, mean, sd: Math.sqrt(Math.max(v, 0)) };
}
