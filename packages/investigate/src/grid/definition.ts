/**
 * The radioactivity grid's definition: its sizes (full and quick), the deterministic
 * keys and specs of every job, and the list of jobs (one per scheme × context width,
 * plus one for attribution and the sequential null streams).
 *
 * Keys are derived from fixed public labels (a real deployment uses generateKey()), so
 * every number in docs/RADIOACTIVITY.md can be regenerated bit for bit.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { parseSpec, WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';

export type GridScheme = 'kgw' | 'gumbel' | 'synthid';

export interface AttributionSizes {
  accounts: number;
  harvesters: number;
  innocentResponses: number;
  innocentTokens: number;
  harvesterResponses: number;
  harvesterTokens: number;
  leaksPerHarvester: number;
  leakTokens: number[];
  humanLeaks: number;
  cloneQueries: number;
  cloneTokens: number;
  alpha: number;
}

export interface SequentialSizes {
  streams: number;
  cap: number;
  alphas: number[];
  orderings: number;
}

export interface GridSizes {
  schemes: GridScheme[];
  widths: number[];
  rhos: number[];
  /** Student training tokens (harvest share + human share). */
  train: number;
  harvestMaxTokens: number;
  queries: number[];
  probeTokens: number;
  decoys: number;
  /** Unsupervised filter: provider answers per probe prompt and their length. */
  teacherTokens: number;
  attribution: AttributionSizes;
  sequential: SequentialSizes;
}

/** The sizes behind docs/RADIOACTIVITY.md. */
export const FULL_SIZES: GridSizes = {
  schemes: ['kgw', 'gumbel', 'synthid'],
  widths: [1, 2, 4],
  rhos: [1, 0.1, 0.05, 0.01, 0.005, 0],
  train: 200_000,
  harvestMaxTokens: 128,
  queries: [100, 400, 1600],
  probeTokens: 100,
  decoys: 20,
  teacherTokens: 100,
  attribution: { accounts: 1000, harvesters: 20, innocentResponses: 3, innocentTokens: 64, harvesterResponses: 100, harvesterTokens: 128, leaksPerHarvester: 2, leakTokens: [400, 1000], humanLeaks: 60, cloneQueries: 4000, cloneTokens: 100, alpha: 1e-3 },
  sequential: { streams: 2000, cap: 10_000, alphas: [0.05, 0.01], orderings: 20 },
};

/** A smoke run (about a minute per worker). */
export const QUICK_SIZES: GridSizes = {
  ...FULL_SIZES,
  widths: [1, 2],
  rhos: [1, 0.1, 0],
  train: 30_000,
  queries: [50, 200],
  decoys: 8,
  attribution: { ...FULL_SIZES.attribution, accounts: 200, harvesters: 8, cloneQueries: 300, humanLeaks: 10 },
  sequential: { streams: 500, cap: 5000, alphas: [0.05], orderings: 5 },
};

export function keyFor(label: string): WatermarkKey {
  return new WatermarkKey(sha256(new TextEncoder().encode(`tracemark/radioactivity-bench/v1/${label}`)));
}

export function specFor(scheme: GridScheme, h: number, key: WatermarkKey, payload = false): WatermarkSpec {
  const sc = scheme === 'kgw' ? { name: 'kgw', gamma: 0.25, delta: 2 } : scheme === 'gumbel' ? { name: 'gumbel' } : { name: 'synthid', layers: 30 };
  return parseSpec({ version: 1, scheme: sc, context: { width: h }, ...(payload ? { payload: { bits: 16, digitBits: 2 } } : {}), keyFingerprint: key.fingerprint });
}

export function decoysFor(label: string, k: number): WatermarkKey[] {
  return Array.from({ length: k }, (_, i) => keyFor(`${label}/decoy/${i}`));
}

export type GridJob = { kind: 'grid'; scheme: GridScheme; h: number } | { kind: 'attribution' };

export function gridJobs(sizes: GridSizes): GridJob[] {
  const out: GridJob[] = [{ kind: 'attribution' }];
  for (const scheme of sizes.schemes) for (const h of sizes.widths) out.push({ kind: 'grid', scheme, h });
  return out;
}

/** Rough relative cost, for the greedy split over workers (attribution and sequential are the longest single jobs). */
export function jobCost(j: GridJob): number {
  return j.kind === 'grid' ? (j.scheme === 'synthid' ? 1.3 : 1) * (j.h === 1 ? 1.3 : 1) : 1.5;
}
