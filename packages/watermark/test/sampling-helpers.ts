/** Shared fixtures and exact statistics for the sampling tests (not a test file itself). */
import { gammaincc, logGamma } from '../src/engines/stats.js';
import { Watermark, WatermarkKey, parseSpec, seededRng, type Rng, type WatermarkSpecInput } from '../src/index.js';

export const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff));

export function makeWm(
  scheme: WatermarkSpecInput['scheme'],
  extra: Partial<Pick<WatermarkSpecInput, 'context' | 'payload'>> = {},
): Watermark {
  return new Watermark(parseSpec({ version: 1, scheme, keyFingerprint: KEY.fingerprint, ...extra }), KEY);
}

export function normal(rng: Rng): number {
  const u1 = rng() + 2 ** -33;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
}

/** Gaussian logits N(0, sigma²): a flat-ish distribution. */
export function gaussianLogits(V: number, rng: Rng, sigma = 2): Float32Array {
  const l = new Float32Array(V);
  for (let i = 0; i < V; i++) l[i] = sigma * normal(rng);
  return l;
}

/** A Gaussian bulk plus a head of `head` tokens `lift` nats above it: LLM-like, peaked. */
export function peakedLogits(V: number, rng: Rng, head = 30, lift = 18): Float32Array {
  const l = gaussianLogits(V, rng, 2);
  for (let j = 0; j < head; j++) l[Math.floor(rng() * V)] = lift + 6 * rng();
  return l;
}

/** Softmax of logits/T in float64. */
export function softmax(logits: Float32Array, temperature = 1): Float64Array {
  let M = -Infinity;
  for (const l of logits) if (l > M) M = l;
  const p = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += p[i] = Math.exp((logits[i]! - M) / temperature);
  for (let i = 0; i < p.length; i++) p[i]! /= s;
  return p;
}

export { seededRng };

// ------------------------------------------------------------------ statistics

/** P(χ²_df ≥ x). */
export function chiSquareSf(x: number, df: number): number {
  return gammaincc(df / 2, x / 2);
}

/**
 * Pearson goodness of fit of observed counts to probabilities; cells with expected
 * count < 5 are pooled into one. Returns the p-value.
 */
export function chiSquareGof(counts: ArrayLike<number>, probs: ArrayLike<number>): { stat: number; df: number; p: number } {
  let N = 0;
  for (let i = 0; i < counts.length; i++) N += counts[i]!;
  let stat = 0;
  let cells = 0;
  let poolO = 0;
  let poolE = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = N * probs[i]!;
    if (e < 5) {
      poolO += counts[i]!;
      poolE += e;
      continue;
    }
    stat += (counts[i]! - e) ** 2 / e;
    cells++;
  }
  if (poolE > 0) {
    if (poolE < 1e-12 && poolO > 0) return { stat: Infinity, df: cells, p: 0 };
    stat += (poolO - poolE) ** 2 / Math.max(poolE, 1e-300);
    cells++;
  }
  const df = cells - 1;
  return { stat, df, p: chiSquareSf(stat, df) };
}

function logBinomPmf(n: number, k: number, p: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed exactly in log space. */
export function binomUpper(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  const mode = Math.floor((n + 1) * p);
  const start = Math.max(k, 0);
  const ref = logBinomPmf(n, Math.max(start, Math.min(mode, n)), p);
  let s = 0;
  for (let j = start; j <= n; j++) {
    const t = Math.exp(logBinomPmf(n, j, p) - ref);
    s += t;
    if (j > mode && t < s * 1e-17) break;
  }
  return Math.min(1, s * Math.exp(ref));
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomLower(n: number, k: number, p: number): number {
  return binomUpper(n, n - k, 1 - p);
}

/** Two-sided exact binomial p-value: 2·min(lower, upper), capped at 1. */
export function binomTwoSided(n: number, k: number, p: number): number {
  return Math.min(1, 2 * Math.min(binomLower(n, k, p), binomUpper(n, k, p)));
}

/** Counts the rng() calls made through the returned wrapper. */
export function countingRng(rng: Rng): { rng: Rng; calls: () => number } {
  let c = 0;
  return {
    rng: () => {
      c++;
      return rng();
    },
    calls: () => c,
  };
}
