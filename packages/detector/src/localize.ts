/**
 * Windowed localisation: find watermarked spans inside longer (human) text.
 *
 * Windows are taken over the sequence of *scored* tuples (duplicates, excluded
 * and context-less positions do not count toward a window's size): for each
 * size W (default 32, 64, 128, 256) windows start every W/2 scored tuples, plus
 * one window flush with the end, plus the whole text. Each window gets its exact
 * p-value; the smallest is not itself a p-value (it is a minimum over many
 * tests), so every window's p-value is Bonferroni-corrected by the number of
 * windows actually scanned: p_corr = min(1, m·p). That is valid under any
 * dependence between the overlapping windows.
 *
 * Windows whose corrected p-value is ≤ α are significant; overlapping or
 * touching significant windows (not counting the whole-text window) merge into
 * spans. A merged span also contains the unmarked edges of its windows, so its
 * boundaries are then trimmed to the stretch with the largest excess of score
 * over a threshold halfway between the null mean and the mean of the span's
 * best window (maximum-subarray; a threshold above the null mean gives
 * unmarked text a negative drift, so the trim does not wander into it). A span's p-value is the smallest corrected
 * p-value of its windows (the evidence that *some* window in it is
 * watermarked); its boundaries, score and size are descriptive.
 */
import type { NullModel } from '@tracemark/watermark';
import { DetectorError } from './errors.js';
import { schemeTest } from './pvalue.js';
import { FLAG_SCORED } from './scorer.js';
import { formatPValue, lnToLog10 } from './stats/index.js';

export const DEFAULT_WINDOW_SIZES = [32, 64, 128, 256] as const;

export interface LocalizeOptions {
  /** Window sizes in scored tuples (default 32, 64, 128, 256). */
  windowSizes?: readonly number[];
  /** Family-wise level for marking windows significant (default 1e-3). */
  alpha?: number;
}

export interface WindowResult {
  /** Token index of the window's first scored tuple. */
  startToken: number;
  /** Token index one past its last scored tuple. */
  endToken: number;
  charStart?: number;
  charEnd?: number;
  scored: number;
  score: number;
  /** Uncorrected ln p of this window. */
  lnPRaw: number;
  /** Bonferroni-corrected over all windows scanned. */
  lnP: number;
  log10P: number;
  pValue: string;
}

export interface LocalizationResult {
  windowSizes: number[];
  windowsScanned: number;
  correction: 'bonferroni';
  alpha: number;
  /** The window with the smallest p-value (corrected), or null when nothing was scored. */
  best: WindowResult | null;
  /** Corrected p-value of the best window: the test "some window is watermarked". */
  lnP: number;
  log10P: number;
  pValue: string;
  spans: WindowResult[];
}

interface RawWindow {
  a: number; // first scored tuple (index into the scored list)
  b: number; // one past the last
  score: number;
  lnP: number;
}

export function localizeScores(
  nullModel: NullModel,
  flags: Uint8Array,
  scores: Float64Array,
  opts: LocalizeOptions = {},
): LocalizationResult {
  const sizes = [...(opts.windowSizes ?? DEFAULT_WINDOW_SIZES)];
  for (const w of sizes) {
    if (!Number.isInteger(w) || w < 1) throw new DetectorError('BAD_OPTION', `window sizes must be positive integers, got ${w}`);
  }
  const alpha = opts.alpha ?? 1e-3;
  if (!(alpha > 0 && alpha < 1)) throw new DetectorError('BAD_OPTION', `alpha must be in (0, 1), got ${alpha}`);

  // scored tuples in text order, with prefix sums of their scores
  const idx: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === FLAG_SCORED) idx.push(i);
  const S = idx.length;
  const prefix = new Float64Array(S + 1);
  for (let k = 0; k < S; k++) prefix[k + 1] = prefix[k]! + scores[idx[k]!]!;

  const seen = new Set<number>();
  const raw: RawWindow[] = [];
  const add = (a: number, b: number): void => {
    const key = a * (S + 1) + b;
    if (b <= a || seen.has(key)) return;
    seen.add(key);
    const score = prefix[b]! - prefix[a]!;
    raw.push({ a, b, score, lnP: schemeTest(nullModel, b - a, score).lnP });
  };
  for (const W of sizes) {
    if (W > S) continue;
    const stride = Math.max(1, Math.floor(W / 2));
    for (let a = 0; a + W <= S; a += stride) add(a, a + W);
    add(S - W, S);
  }
  const sized = raw.length;
  add(0, S); // the whole text is one more window
  const m = raw.length;
  const lnM = Math.log(Math.max(1, m));
  const toResult = (w: RawWindow): WindowResult => {
    const lnP = Math.min(0, w.lnP + lnM);
    return {
      startToken: idx[w.a]!,
      endToken: idx[w.b - 1]! + 1,
      scored: w.b - w.a,
      score: w.score,
      lnPRaw: w.lnP,
      lnP,
      log10P: lnToLog10(lnP),
      pValue: formatPValue(lnP),
    };
  };

  let best: RawWindow | null = null;
  for (const w of raw) if (!best || w.lnP < best.lnP) best = w;

  // significant windows → merged spans (in scored-tuple coordinates)
  const lnAlpha = Math.log(alpha);
  // the whole-text window spans everything; it joins spans only when no sized window fits
  const candidates = sized > 0 ? raw.slice(0, sized) : raw;
  const sig = candidates.filter((w) => w.lnP + lnM <= lnAlpha).sort((x, y) => x.a - y.a || x.b - y.b);
  const mean = schemeTest(nullModel, 1, 0).expected; // null mean score per tuple
  const spans: WindowResult[] = [];
  let cur: { a: number; b: number; lnP: number; rate: number } | null = null;
  const flush = (): void => {
    if (!cur) return;
    const [a, b] = maxExcess(prefix, cur.a, cur.b, (mean + cur.rate) / 2);
    spans.push(toResult({ a, b, score: prefix[b]! - prefix[a]!, lnP: cur.lnP }));
  };
  for (const w of sig) {
    const rate = w.score / (w.b - w.a);
    if (cur && w.a <= cur.b) {
      cur.b = Math.max(cur.b, w.b);
      if (w.lnP < cur.lnP) {
        cur.lnP = w.lnP;
        cur.rate = rate;
      }
    } else {
      flush();
      cur = { a: w.a, b: w.b, lnP: w.lnP, rate };
    }
  }
  flush();

  const bestResult = best ? toResult(best) : null;
  const lnP = bestResult ? bestResult.lnP : 0;
  return {
    windowSizes: sizes,
    windowsScanned: m,
    correction: 'bonferroni',
    alpha,
    best: bestResult,
    lnP,
    log10P: lnToLog10(lnP),
    pValue: formatPValue(lnP),
    spans,
  };
}

/** [a', b') ⊆ [a, b) maximizing Σ (score − threshold) (Kadane); the whole range if nothing is positive. */
function maxExcess(prefix: Float64Array, a: number, b: number, threshold: number): [number, number] {
  let best = -Infinity, bestA = a, bestB = b;
  let run = 0, runA = a;
  for (let k = a; k < b; k++) {
    const v = prefix[k + 1]! - prefix[k]! - threshold;
    if (run <= 0) {
      run = v;
      runA = k;
    } else run += v;
    if (run > best) {
      best = run;
      bestA = runA;
      bestB = k + 1;
    }
  }
  return best > 0 ? [bestA, bestB] : [a, b];
}
