/**
 * The weighted draw shared by KGW/unigram, unwatermarked steps and the plain sampler:
 * an exponential race. Token v arrives at E_v / w_v (E_v ~ Exp(1), per-token, from the
 * step nonce); the first arrival wins, with probability w_v / Σ w. Because the winner
 * among any subset is the same whichever other tokens are looked at, the sparse and the
 * dense computation pick the same candidate unless an unlisted token would have won.
 *
 * The unlisted rest competes through a separate uniform u: it wins with probability
 * R_w / (C_w + R_w), C_w and R_w the candidates' and the rest's total weights. When the
 * rest can be enumerated, R_w is only computed (one dense pass) if u falls below the
 * cheap upper bound R̂_w/(C_w + R̂_w) — thinning — so the law is exact and the dense
 * pass happens with probability ≤ R̂_w/C_w. Given that the rest wins, the winner is the
 * race's winner among the rest: the token the dense path would have drawn.
 */
import { tokenExp, uniform53 } from './random.js';
import type { Rng } from './types.js';

/** A step's candidates in unnormalised form, and how to reach the unlisted rest. */
export interface Source {
  n: number;
  ids: Int32Array;
  /** Weights of ids[0..n) on any common scale. */
  w: Float64Array;
  /** Σ w[0..n). */
  total: number;
  /** Upper bound on the rest's total weight on the same scale (exact for plain sampleRest sources). */
  restBound: number;
  /** A lower bound on total that the reported bound divides by (default total). */
  boundTotal?: number;
  /** Exact enumeration of the rest (one dense pass; only on rare events). */
  forEachRest?(fn: (id: number, weight: number) => void): void;
  /** Otherwise: a draw from the rest ∝ weight. */
  sampleRest?: ((rng: Rng) => number) | undefined;
}

const MAX_REJECTIONS = 1000;

export interface Draw {
  token: number;
  fromRest: boolean;
}

/**
 * Draws from weights w_v·(green(v) ? e^δ : 1) (plain weights when green is null).
 * u, nonceHi, nonceLo: the step's randomness (random.ts). Extra rng values are used
 * only when a plain sampleRest source draws from the rest.
 */
export function weightedDraw(
  src: Source,
  green: ((v: number) => boolean) | null,
  eDelta: number,
  u: number,
  nonceHi: number,
  nonceLo: number,
  rng: Rng,
  out: Draw,
): Draw {
  const { n, ids, w } = src;
  let best = Infinity;
  let bestId = -1;
  let cw = 0;
  for (let i = 0; i < n; i++) {
    const v = ids[i]!;
    let ww = w[i]!;
    if (green !== null && green(v)) ww *= eDelta;
    cw += ww;
    const key = tokenExp(nonceHi, nonceLo, v) / ww;
    if (key < best) {
      best = key;
      bestId = v;
    }
  }
  const eD = green === null ? 1 : eDelta;
  out.fromRest = false;
  if (src.restBound > 0) {
    if (src.forEachRest) {
      const rHat = eD * src.restBound;
      if (u * (cw + rHat) < rHat && restWins(src.forEachRest.bind(src), green, eD, u, cw, nonceHi, nonceLo, out)) return out;
    } else {
      // Only a sampler for the rest: rejection from the envelope e^δ·R (≥ the rest's
      // biased weight). A rejected proposal restarts the rest-or-candidate decision with a
      // fresh uniform; the candidate winner stays valid (the race is independent of u).
      // Each round ends the loop with probability ≥ min(1, e^{−δ}·…); at δ = 2 the cap is
      // reached with probability < 1e-60, at extreme δ it returns an unbiased rest token.
      const env = eD * src.restBound;
      let uu = u;
      for (let round = 0; uu * (cw + env) < env; round++) {
        const v = src.sampleRest!(rng);
        if (green === null || round === MAX_REJECTIONS || green(v) || uniform53(rng) * eD < 1) {
          out.token = v;
          out.fromRest = true;
          return out;
        }
        uu = uniform53(rng);
      }
    }
  }
  if (bestId < 0) throw new RangeError('the distribution has no token with positive probability');
  out.token = bestId;
  return out;
}

/**
 * The rest's turn once u fell below the thinning bound: one dense pass gives the rest's
 * exact biased weight R_w and its race winner; the rest wins iff u·(C_w + R_w) < R_w.
 * Writes the winner into `out` and returns true when it does (shared by the lazy race).
 */
export function restWins(
  forEachRest: (fn: (id: number, weight: number) => void) => void,
  green: ((v: number) => boolean) | null,
  eD: number,
  u: number,
  cw: number,
  nonceHi: number,
  nonceLo: number,
  out: Draw,
): boolean {
  let rw = 0;
  let rBest = Infinity;
  let rId = -1;
  forEachRest((v, wt) => {
    let ww = wt;
    if (green !== null && green(v)) ww *= eD;
    rw += ww;
    const key = tokenExp(nonceHi, nonceLo, v) / ww;
    if (key < rBest) {
      rBest = key;
      rId = v;
    }
  });
  if (rId >= 0 && u * (cw + rw) < rw) {
    out.token = rId;
    out.fromRest = true;
    return true;
  }
  return false;
}
