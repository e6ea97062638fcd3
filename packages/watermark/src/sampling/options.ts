/** Validation of sampling options: bad values fail loudly with one-line messages. */
import type { SamplingOptions } from './types.js';

export interface ResolvedOptions {
  temperature: number;
  invT: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
}

export const DEFAULT_EPSILON = 1e-9;

export function resolveOptions(opts: SamplingOptions | undefined, out: ResolvedOptions): ResolvedOptions {
  const t = opts?.temperature ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    throw new RangeError(`temperature must be a finite number > 0 (got ${String(t)})`);
  }
  const k = opts?.topK ?? 0;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) {
    throw new RangeError(`topK must be an integer ≥ 0, 0 = off (got ${String(k)})`);
  }
  const p = opts?.topP ?? 1;
  if (typeof p !== 'number' || !(p > 0 && p <= 1)) {
    throw new RangeError(`topP must be in (0, 1], 1 = off (got ${String(p)})`);
  }
  out.temperature = t;
  out.invT = 1 / t;
  out.topK = k;
  out.topP = p;
  return out;
}

export function resolveEpsilon(eps: number | undefined): number {
  const e = eps ?? DEFAULT_EPSILON;
  if (typeof e !== 'number' || !(e >= 0 && e < 1)) {
    throw new RangeError(`epsilon must be a number in [0, 1) (got ${String(eps)})`);
  }
  return e;
}

export function newResolved(): ResolvedOptions {
  return { temperature: 1, invT: 1, topK: 0, topP: 1 };
}
