/**
 * The exponential race of race.ts (weightedDraw) over a CandidateSet, evaluated lazily:
 * the same winner, bit for bit, without Math.exp, Math.log or a PRF call for the tokens
 * that cannot win.
 *
 * Token v arrives at key_v = E_v / ww_v with E_v = −ln U_v (random.ts) and ww_v = w_v
 * (plain) or w_v·e^{δ g_v} (KGW/unigram), w_v = exp((l_v − M)/T) ≤ 1. The top 32 bits of
 * U_v are b_v = fmix32(fmix32(v ⊕ nonceLo) ⊕ nonceHi), two integer hashes, and
 * U_v < (b_v + 1)/2^32. Tokens are grouped by depth: level k holds the tokens with
 * (M − l_v)/T ∈ [k/2, (k+1)/2), so ww_v ≤ e^δ·e^{−k/2} =: c_k. With the best key so
 * far B, token v can only beat B if E_v < B·c_k, i.e. U_v > e^{−B·c_k}; so it is skipped
 * when b_v < ⌊e^{−B·c_k}·2^32⌋ (thresholds widened by relative margins far above
 * floating-point rounding, so a skipped token's computed key is > B). Every other token
 * gets exactly weightedDraw's computation (its weight, its colour, its key) in the same
 * order with the same strict comparison: the same winner.
 *
 * Expected work: a token at weight ww is evaluated with probability ≈ B·c_k ≈ e^{1/2}·
 * (its share of the weight seen so far), so ~e^{δ+1/2}·ln n tokens per step get the
 * exponentials and, for KGW/unigram, a PRF call; every other token costs two fmix32.
 *
 * The unlisted rest (sparse steps) is decided as in weightedDraw, with the candidates'
 * biased weight C_w replaced by the cheap lower bound totalLb ≤ Σw ≤ C_w first: the rest
 * can only win if u·(totalLb + R̂) < R̂, and only then (probability ≤ R̂/totalLb) is C_w
 * computed exactly and weightedDraw's decision made with it.
 */
import { fmix32 } from '../fmix32.js';
import type { CandidateSet } from './candidates.js';
import { unit53Of } from '../prf.js';
import type { PrfWords } from '../kernel/prf-batch.js';
import { restWins, type Draw } from './race.js';
import { tokenExp } from './random.js';

/** Levels of depth, half a nat each (the last one holds everything deeper). */
const LEVELS = 160;
/** c_k / e^δ, widened by 1e-6 (level rounding is below 1e-13 relative). */
const DEPTH_BOUND = Float64Array.from({ length: LEVELS }, (_, k) => Math.exp(-k / 2) * (1 + 1e-6));
/** SynthID's final race, levels by binary exponent: level k holds p ∈ [2^-k, 2^(1-k)), so p < 2^(1-k). */
const EXPONENT_BOUND = Float64Array.from({ length: LEVELS }, (_, k) => 2 ** (1 - k) * (1 + 1e-6));
/** Index of the high (sign, exponent) word of a float64 in an Int32Array alias. */
const HI_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const TWO32 = 4294967296;
const TOP = TWO32 - 1;

export class LazyRace {
  readonly #thr = new Float64Array(LEVELS);
  /** Tokens fully evaluated in the last draw (weight, colour and key computed). */
  evaluated = 0;

  /**
   * weightedDraw(cs, green, eDelta, u, nonceHi, nonceLo, …) for a CandidateSet, whose
   * weights need not have been computed (cs.weigh()).
   */
  draw(
    cs: CandidateSet,
    green: ((v: number) => boolean) | null,
    eDelta: number,
    u: number,
    nonceHi: number,
    nonceLo: number,
    out: Draw,
  ): Draw {
    const { n, ids, logits: x, M, invT } = cs;
    const eD = green === null ? 1 : eDelta;
    const thr = this.#thr;
    thr.fill(0);
    const scale = invT * 2;
    let best = Infinity;
    let bestId = -1;
    let evaluated = 0;
    for (let i = 0; i < n; i++) {
      const v = ids[i]!;
      const l = x[v]!;
      const d = (M - l) * scale;
      const k = d >= LEVELS - 1 ? LEVELS - 1 : d | 0; // NaN (absurd temperatures): level 0
      const b = fmix32(fmix32((v ^ nonceLo) >>> 0) ^ nonceHi);
      if (b < thr[k]!) continue;
      evaluated++;
      let ww = Math.exp((l - M) * invT);
      if (green !== null && green(v)) ww *= eDelta;
      const key = tokenExp(nonceHi, nonceLo, v) / ww;
      if (key < best) {
        best = key;
        bestId = v;
        this.#thresholds(best * eD * (1 + 1e-9));
      }
    }
    this.evaluated = evaluated;
    out.fromRest = false;
    if (cs.restBound > 0) {
      const rHat = eD * cs.restBound;
      if (u * (cs.totalLb + rHat) < rHat) {
        // Rare: weightedDraw's exact decision, with the candidates' exact biased weight.
        let cw = 0;
        for (let i = 0; i < n; i++) {
          const v = ids[i]!;
          let ww = Math.exp((x[v]! - M) * invT);
          if (green !== null && green(v)) ww *= eDelta;
          cw += ww;
        }
        if (u * (cw + rHat) < rHat && restWins((fn) => cs.forEachRest(fn), green, eD, u, cw, nonceHi, nonceLo, out)) return out;
      }
    }
    if (bestId < 0) throw new RangeError('the distribution has no token with positive probability');
    out.token = bestId;
    return out;
  }

  /**
   * Gumbel (embedder.ts): argmax_v ln(r_v)/w_v, r_v = unit53(prf(v)), i.e. the race
   * argmin_v E_v/w_v with E_v = −ln r_v. Every candidate needs its PRF (r_v is keyed); the
   * words come precomputed (x_i = hi[i]·2^32 + lo[i] for ids[i], one batched call:
   * kernel/prf-batch.ts). r_v's top 32 bits are the hi word, so the same thresholds skip
   * Math.exp and Math.log for the tokens that cannot win: the same token, bit for bit.
   */
  gumbelWords(cs: CandidateSet, words: PrfWords): number {
    const { n, ids, logits: x, M, invT } = cs;
    const { lo, hi } = words;
    const thr = this.#thr;
    thr.fill(0);
    const scale = invT * 2;
    let best = -Infinity;
    let id = -1;
    let evaluated = 0;
    for (let i = 0; i < n; i++) {
      const rHi = hi[i]! >>> 0;
      const v = ids[i]!;
      const l = x[v]!;
      const d = (M - l) * scale;
      const k = d >= LEVELS - 1 ? LEVELS - 1 : d | 0;
      if (rHi < thr[k]!) continue;
      evaluated++;
      const wt = Math.exp((l - M) * invT);
      if (!(wt > 0)) continue;
      const key = Math.log(unit53Of(rHi, lo[i]!)) / wt;
      if (key > best) {
        best = key;
        id = v;
        this.#thresholds(-best * (1 + 1e-9));
      }
    }
    this.evaluated = evaluated;
    if (id < 0) throw new RangeError('the distribution has no token with positive probability');
    return id;
  }

  /**
   * SynthID's final draw (embedder.ts): argmin_i E_{ids[i]}/p[i] with the first strict
   * minimum winning, −1 if no p[i] > 0. The same race as draw(), with levels read from
   * p[i]'s binary exponent (its high word through `pHi`, an Int32Array alias of p's
   * buffer: no Math.log to find the level), so only the tokens that can still win get
   * their exponential: the same token, bit for bit.
   */
  byExponent(ids: Int32Array, p: Float64Array, pHi: Int32Array, n: number, nonceHi: number, nonceLo: number): number {
    const thr = this.#thr;
    thr.fill(0);
    let best = Infinity;
    let id = -1;
    let evaluated = 0;
    for (let i = 0; i < n; i++) {
      const v = ids[i]!;
      const e = (pHi[2 * i + HI_WORD]! >>> 20) & 0x7ff; // 0 for p = 0 and subnormals: the last level
      const k = e >= 1023 ? 0 : 1023 - e >= LEVELS ? LEVELS - 1 : 1023 - e;
      const b = fmix32(fmix32((v ^ nonceLo) >>> 0) ^ nonceHi);
      if (b < thr[k]!) continue;
      evaluated++;
      const key = tokenExp(nonceHi, nonceLo, v) / p[i]!;
      if (key < best) {
        best = key;
        id = v;
        this.#thresholds(best * (1 + 1e-9), EXPONENT_BOUND);
      }
    }
    this.evaluated = evaluated;
    return id;
  }

  /** thr[k] = ⌊e^{−a·c_k}·(1 − 2^-50)·2^32⌋: b below it means U < e^{−a·c_k}, E > a·c_k. */
  #thresholds(a: number, bound: Float64Array = DEPTH_BOUND): void {
    const thr = this.#thr;
    let k = 0;
    for (; k < LEVELS; k++) {
      const e = a * bound[k]!;
      if (e < 2 ** -36) break; // from here on every threshold is 2^32 − 1
      thr[k] = Math.floor(Math.exp(-e) * (1 - 2 ** -50) * TWO32);
    }
    if (k < LEVELS) thr.fill(TOP, k);
  }
}
