/**
 * The benchmark's statistics: prefix p-values from per-token marks, detection
 * rates with exact (Clopper–Pearson) intervals, the "size" (tokens until the
 * p-value stays below α), perplexity and distinct-n.
 *
 * Prefix p-values. A detector's per-token marks (flags and scores, with the same
 * deduplication and prompt exclusion as `detect`) give, for every prefix of T
 * tokens, the number n_T of scored tuples and their score sum s_T, and so the
 * exact p-value of the T-token prefix: schemeTest(nullModel, n_T, s_T). That is
 * exactly what `detect` returns for the text made of those T tokens (the test
 * checks it), so one marks() call serves every length and the size curve.
 */
import { clopperPearson, FLAG_SCORED, schemeTest } from '@tracemark/detector';
import type { NullModel } from '@tracemark/watermark';

export interface Curve {
  /** n[t] = scored tuples among the first t tokens (length tokens + 1). */
  n: Int32Array;
  /** s[t] = their score sum. */
  s: Float64Array;
}

export function curveFromMarks(flags: Uint8Array, scores: Float64Array): Curve {
  const len = flags.length;
  const n = new Int32Array(len + 1);
  const s = new Float64Array(len + 1);
  for (let i = 0; i < len; i++) {
    const scored = flags[i] === FLAG_SCORED;
    n[i + 1] = n[i]! + (scored ? 1 : 0);
    s[i + 1] = s[i]! + (scored ? scores[i]! : 0);
  }
  return { n, s };
}

/** ln p of the first T tokens (the whole text if it is shorter). */
export function prefixLnP(nm: NullModel, c: Curve, T: number): number {
  const t = Math.min(T, c.n.length - 1);
  return schemeTest(nm, c.n[t]!, c.s[t]!).lnP;
}

export interface SizeOutcome {
  /** Tokens after which ln p stays ≤ ln α up to the horizon; null if p > α at the horizon. */
  size: number | null;
  /** ln p went ≤ ln α at some prefix. */
  ever: boolean;
}

/** For each α: the size (see SizeOutcome) over prefixes up to `horizon` tokens. */
export function sizes(nm: NullModel, c: Curve, horizon: number, lnAlphas: readonly number[]): SizeOutcome[] {
  const H = Math.min(horizon, c.n.length - 1);
  const lastAbove = lnAlphas.map(() => 0); // last prefix length with p > α (0: none)
  const ever = lnAlphas.map(() => false);
  let prevN = -1;
  let lnP = 0;
  for (let t = 1; t <= H; t++) {
    if (c.n[t] !== prevN) {
      prevN = c.n[t]!;
      lnP = schemeTest(nm, c.n[t]!, c.s[t]!).lnP;
    }
    for (let a = 0; a < lnAlphas.length; a++) {
      if (lnP > lnAlphas[a]!) lastAbove[a] = t;
      else ever[a] = true;
    }
  }
  return lnAlphas.map((_, a) => ({ size: H > 0 && lastAbove[a]! < H ? lastAbove[a]! + 1 : null, ever: ever[a]! }));
}

export interface Rate {
  k: number;
  n: number;
  rate: number;
  /** 95% Clopper–Pearson interval. */
  lo: number;
  hi: number;
}

export function rate(k: number, n: number): Rate {
  if (n === 0) return { k, n, rate: 0, lo: 0, hi: 1 };
  const ci = clopperPearson(k, n);
  return { k, n, rate: k / n, lo: ci.lower, hi: ci.upper };
}

export interface RateAt extends Rate {
  fpr: number;
}

/** Share of ln p-values ≤ ln(fpr), for each level: reject iff p ≤ FPR. */
export function ratesAt(lnPs: readonly number[], fprs: readonly number[]): RateAt[] {
  return fprs.map((fpr) => {
    const l = Math.log(fpr);
    let k = 0;
    for (const x of lnPs) if (x <= l) k++;
    return { fpr, ...rate(k, lnPs.length) };
  });
}

export type FprVerdict = 'ok' | 'conservative' | 'anti-conservative';

/** How an empirical null rate compares with the nominal level: a CI above it is a finding. */
export function fprVerdict(r: Rate, nominal: number): FprVerdict {
  if (r.n === 0) return 'ok';
  if (r.lo > nominal) return 'anti-conservative';
  if (r.hi < nominal) return 'conservative';
  return 'ok';
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Quantile with linear interpolation (type 7); NaN for an empty list. +Infinity values sort last. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h), hi = Math.ceil(h);
  const a = s[lo]!, b = s[hi]!;
  if (lo === hi || a === b) return a;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return b;
  return a + (h - lo) * (b - a);
}

/** distinct-n: distinct n-grams / n-grams of one sequence (1 when it has none). */
export function distinctN(tokens: ArrayLike<number>, n: number): number {
  const total = tokens.length - n + 1;
  if (total <= 0) return 1;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) {
    let k = '';
    for (let j = 0; j < n; j++) k += `${tokens[i + j]},`;
    seen.add(k);
  }
  return seen.size / total;
}

/** Anything that gives P(token | prefix): the reference model. */
export interface ProbModel {
  prob(prefix: ArrayLike<number>, prefixLength: number, token: number): number;
}

/** Σ −ln P(generated token | prompt + earlier tokens) and the token count. */
export function negLogLik(model: ProbModel, prompt: readonly number[], tokens: readonly number[]): { nll: number; tokens: number } {
  const seq = new Uint32Array(prompt.length + tokens.length);
  seq.set(prompt);
  seq.set(tokens, prompt.length);
  let nll = 0;
  for (let i = 0; i < tokens.length; i++) {
    const p = model.prob(seq, prompt.length + i, tokens[i]!);
    nll -= Math.log(p > 0 ? p : Number.MIN_VALUE);
  }
  return { nll, tokens: tokens.length };
}

/** Per-cell and simultaneous (Bonferroni over the cells) coverage of nominal rates. */
export function nullSummary(cells: readonly Rate[], nominal: readonly number[]): {
  cells: number;
  perCellAbove: number;
  familywiseAbove: number;
  perCellMiss: number;
  familywiseMiss: number;
} {
  const m = cells.length;
  const level = 1 - 0.05 / Math.max(1, m);
  let perCellAbove = 0, familywiseAbove = 0, perCellMiss = 0, familywiseMiss = 0;
  cells.forEach((r, i) => {
    const f = nominal[i]!;
    if (r.lo > f) perCellAbove++;
    if (r.lo > f || r.hi < f) perCellMiss++;
    if (r.n === 0) return;
    const ci = clopperPearson(r.k, r.n, level);
    if (ci.lower > f) familywiseAbove++;
    if (ci.lower > f || ci.upper < f) familywiseMiss++;
  });
  return { cells: m, perCellAbove, familywiseAbove, perCellMiss, familywiseMiss };
}
