/**
 * Multi-bit payload decoding (KGW with a payload: the generator biases, at each
 * step, the tokens whose colour equals the message digit at that step's digit
 * position — MPAC-style).
 *
 * Per scored tuple the scorer gives (digit position b, colour c or −1); here we
 * count counts[b][c], decode each digit as the most frequent colour (ties → the
 * smaller colour), and test:
 *   - "this text carries some id" (family-wise over all 2^N ids): P(M ≥ m) with
 *     M = Σ_b max_c counts[b][c] — see maxmult.ts for why this is exact;
 *   - "this text carries id X" (one id fixed in advance): the tokens agreeing
 *     with X's digits ~ Binomial(n_scored, γ) under H0 — each scored token
 *     agrees with probability γ whatever X is.
 */
import { digitsToMessage, messageDigits, type Watermark } from '@tracemark/watermark';
import { DetectorError } from './errors.js';
import {
  CONVOLUTION_MAX_N,
  EXACT_BUDGET,
  cachedMaxLogPmf,
  exactCost,
  sumUpperTails,
} from './maxmult.js';
import { binomialUpperTailLog, formatPValue, holmAdjustLog, lnToLog10, normalQuantileLog } from './stats/index.js';
import { expectedMaxCount } from './payload-null.js';

export type PayloadMethod = 'exact' | 'union' | 'bonferroni';

export interface DigitEstimate {
  position: number;
  /** Scored tokens that carry this digit position. */
  n: number;
  /** Tokens per colour. */
  counts: number[];
  digit: number;
  /** Top count minus the runner-up. */
  margin: number;
  /** Plug-in posterior probability of the decoded digit (see `decodePayload`), not a p-value. */
  confidence: number;
}

export interface PayloadResult {
  bits: number;
  digitBits: number;
  /** Decoded message, decimal and hex (strings: ids can exceed 2^53). */
  message: string;
  messageHex: string;
  digits: DigitEstimate[];
  /** Scored tuples (the n of the tests). */
  scored: number;
  /** Scored tuples agreeing with the decoded message: M. */
  matched: number;
  /** Expected agreement under H0 for one fixed id: γ·n. */
  expectedPerId: number;
  /**
   * Expected agreement under H0 of the *best-matching* id, E[M] (what `matched` is to be
   * compared with: the decoder picks the best id, so M exceeds γ·n on any text).
   */
  expectedBest: number;
  /** `exact`: from the exact null pmfs; `normal`: a normal approximation per digit position. */
  expectedBestMethod: 'exact' | 'normal';
  /**
   * Φ⁻¹(1 − mid-p) of the same test (mid-p = P(M > m) + ½·P(M = m); the p itself under the
   * bonferroni method): a z summary whose null is centred N(0, 1)-like, in step with lnP.
   */
  z: number;
  /** ln P(M ≥ matched) under H0: "carries some id", corrected over all 2^N ids. */
  lnP: number;
  log10P: number;
  pValue: string;
  /** How lnP was computed (exact DP, per-position union bound, or plain Bonferroni). */
  method: PayloadMethod;
  /** The plain Bonferroni value 2^N·P(Bin(n, γ) ≥ M), for comparison (≥ lnP). */
  lnPBonferroni: number;
  /** Product of the per-digit confidences. */
  confidence: number;
}

export interface PayloadCounts {
  /** counts[b * r + c] */
  counts: Int32Array;
  /** tokens per digit position */
  perPosition: Int32Array;
  scored: number;
}

export function countPayload(wm: Watermark, pos: Uint8Array, colour: Int8Array): PayloadCounts {
  const B = wm.payloadDigits, r = wm.payloadColours;
  const counts = new Int32Array(B * r);
  const perPosition = new Int32Array(B);
  for (let i = 0; i < pos.length; i++) {
    const b = pos[i]!, c = colour[i]!;
    perPosition[b]!++;
    if (c >= 0) counts[b * r + c]!++;
  }
  return { counts, perPosition, scored: pos.length };
}

export function decodePayload(wm: Watermark, pc: PayloadCounts): PayloadResult {
  return decodePayloadWithTails(wm, pc).result;
}

/**
 * decodePayload, plus ln P(M > m) and ln P(M = m) from the same convolution when the null
 * pmfs are exact (null otherwise): what the randomized p-value is made of.
 */
export function decodePayloadWithTails(wm: Watermark, pc: PayloadCounts): { result: PayloadResult; exactTails: FamilyWise['exactTails'] } {
  const spec = wm.spec;
  if (!spec.payload) throw new DetectorError('NO_PAYLOAD', 'the spec has no payload');
  const { bits, digitBits } = spec.payload;
  const B = wm.payloadDigits, r = wm.payloadColours, gamma = wm.gammaEff;
  const n = pc.scored;

  const digits: number[] = [];
  let matched = 0, coloured = 0;
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let c = 0; c < r; c++) {
      const v = pc.counts[b * r + c]!;
      coloured += v;
      if (v > pc.counts[b * r + best]!) best = c;
    }
    digits.push(best);
    matched += pc.counts[b * r + best]!;
  }

  // Plug-in posterior: colour = digit with rate p1, each other colour with rate p0.
  const p1 = n > 0 ? matched / n : 0;
  const p0 = n > 0 ? (coloured - matched) / (n * (r - 1)) : 0;
  const estimates: DigitEstimate[] = [];
  let confidence = 1;
  for (let b = 0; b < B; b++) {
    const counts = Array.from(pc.counts.subarray(b * r, (b + 1) * r));
    const d = digits[b]!;
    const top = counts[d]!;
    const second = Math.max(-Infinity, ...counts.filter((_, c) => c !== d));
    let conf: number;
    if (p1 > p0 && p0 > 0) {
      const lnRho = Math.log(p1 / p0);
      let z = 0;
      for (const v of counts) z += Math.exp((v - top) * lnRho);
      conf = 1 / z;
    } else if (p1 > p0) {
      conf = counts.filter((v) => v === top).length === 1 ? 1 : 1 / counts.filter((v) => v === top).length;
    } else conf = 1 / r;
    confidence *= conf;
    estimates.push({ position: b, n: pc.perPosition[b]!, counts, digit: d, margin: top - second, confidence: conf });
  }

  const lnPBonferroni = Math.min(0, bits * Math.LN2 + binomialUpperTailLog(matched, n, gamma));
  const { lnP, lnMid, method, expectedBest, expectedBestMethod, exactTails } = familyWiseLnP(pc.perPosition, r, gamma, matched, lnPBonferroni);
  const message = digitsToMessage(digits, digitBits);
  const result: PayloadResult = {
    bits,
    digitBits,
    message: message.toString(),
    messageHex: `0x${message.toString(16)}`,
    digits: estimates,
    scored: n,
    matched,
    expectedPerId: gamma * n,
    expectedBest,
    expectedBestMethod,
    z: n === 0 || lnMid >= 0 ? 0 : -normalQuantileLog(lnMid),
    lnP,
    log10P: lnToLog10(lnP),
    pValue: formatPValue(lnP),
    method,
    lnPBonferroni,
    confidence,
  };
  return { result, exactTails };
}

export interface FamilyWise {
  lnP: number;
  /** ln mid-p of the same method (= lnP for bonferroni). */
  lnMid: number;
  method: PayloadMethod;
  expectedBest: number;
  expectedBestMethod: 'exact' | 'normal';
  /** ln P(M > m) and ln P(M = m) when the null pmfs are exact (the randomized p's parts). */
  exactTails: { lnGt: number; lnEq: number } | null;
}

function familyWiseLnP(perPosition: Int32Array, r: number, gamma: number, matched: number, lnPBonferroni: number): FamilyWise {
  let total = 0, cost = 0;
  for (const nb of perPosition) {
    total += nb;
    cost += exactCost(nb, r);
  }
  const normal = (): number => Array.from(perPosition).reduce((e, nb) => e + expectedMaxCount(nb, r, gamma), 0);
  if (total > CONVOLUTION_MAX_N) {
    return { lnP: lnPBonferroni, lnMid: lnPBonferroni, method: 'bonferroni', expectedBest: normal(), expectedBestMethod: 'normal', exactTails: null };
  }
  let exact = cost <= EXACT_BUDGET;
  const pmfs: Float64Array[] = [];
  if (exact) {
    for (const nb of perPosition) {
      const lp = cachedMaxLogPmf('exact', nb, r, gamma);
      if (!lp) {
        exact = false;
        break;
      }
      pmfs.push(lp);
    }
  }
  if (!exact) {
    pmfs.length = 0;
    for (const nb of perPosition) pmfs.push(cachedMaxLogPmf('union', nb, r, gamma)!);
  }
  const { lnGe, lnMid, lnGt, lnEq } = sumUpperTails(pmfs, matched);
  if (!exact) {
    const expectedBest = normal();
    // the union construction is an upper bound, and so is Bonferroni: the smaller bound is still valid
    if (lnPBonferroni < lnGe) return { lnP: lnPBonferroni, lnMid: lnPBonferroni, method: 'bonferroni', expectedBest, expectedBestMethod: 'normal', exactTails: null };
    return { lnP: lnGe, lnMid, method: 'union', expectedBest, expectedBestMethod: 'normal', exactTails: null };
  }
  let expectedBest = 0;
  for (const lp of pmfs) for (let k = 1; k < lp.length; k++) expectedBest += k * Math.exp(lp[k]!);
  return { lnP: lnGe, lnMid, method: 'exact', expectedBest, expectedBestMethod: 'exact', exactTails: { lnGt, lnEq } };
}

/**
 * The randomized p-value of the payload test, P(M > m) + u·P(M = m) for u ~ U(0, 1): exactly
 * U(0, 1) on text without the watermark when the null model holds, so a calibration run can
 * test uniformity, not only validity. Null when the exact null pmfs are too costly (the
 * union/Bonferroni methods bound the tail; they have no exact point probabilities).
 */
export function payloadRandomizedLnP(wm: Watermark, pc: PayloadCounts, u: number): number | null {
  const { exactTails } = decodePayloadWithTails(wm, pc);
  return exactTails ? randomizedLnP(exactTails, u) : null;
}

/** ln(P(M > m) + u·P(M = m)) from the exact tails (decodePayloadWithTails). */
export function randomizedLnP(t: { lnGt: number; lnEq: number }, u: number): number {
  const a = t.lnGt, b = Math.log(u) + t.lnEq;
  const hi = Math.max(a, b);
  return hi === -Infinity ? -Infinity : Math.min(0, hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi)));
}

export interface IdTest {
  id: string;
  /** Scored tuples agreeing with this id's digits. */
  matched: number;
  scored: number;
  /** ln P(Bin(n, γ) ≥ matched): valid for one id chosen before looking at the text. */
  lnP: number;
  /** Holm-adjusted over the ids tested together. */
  lnPAdjusted: number;
  log10PAdjusted: number;
  pValueAdjusted: string;
}

/** Test given candidate ids (e.g. the accounts under suspicion), Holm-adjusted over the list. */
export function testIds(wm: Watermark, pc: PayloadCounts, ids: readonly (bigint | number | string)[]): IdTest[] {
  const spec = wm.spec;
  if (!spec.payload) throw new DetectorError('NO_PAYLOAD', 'the spec has no payload');
  const { bits, digitBits } = spec.payload;
  const r = wm.payloadColours;
  const raw = ids.map((id) => {
    let v: bigint;
    try {
      v = BigInt(id);
    } catch {
      throw new DetectorError('BAD_OPTION', `payload id ${String(id)} is not an integer`);
    }
    if (v < 0n || v >= 1n << BigInt(bits)) {
      throw new DetectorError('BAD_OPTION', `payload id ${v} is outside [0, 2^${bits})`);
    }
    const d = messageDigits(v, bits, digitBits);
    let matched = 0;
    d.forEach((digit, b) => (matched += pc.counts[b * r + digit]!));
    return { id: v.toString(), matched, lnP: Math.min(0, binomialUpperTailLog(matched, pc.scored, wm.gammaEff)) };
  });
  const adj = raw.length > 0 ? holmAdjustLog(raw.map((x) => x.lnP)) : [];
  return raw.map((x, i) => ({
    ...x,
    scored: pc.scored,
    lnPAdjusted: adj[i]!,
    log10PAdjusted: lnToLog10(adj[i]!),
    pValueAdjusted: formatPValue(adj[i]!),
  }));
}
