/**
 * Attribution: WHICH accounts did the leaking or the harvesting?
 *
 * 1. Leaked texts (payload specs: every response carries its account id as a payload).
 *    The detector's payload p-value answers "does this text carry SOME id?" (exact, over
 *    all 2^N ids). Naming an account needs more: a text carrying id Y also agrees with
 *    every id that shares some of Y's digits, so "agreement with X is above γ" does not
 *    show that X is the id. The null for naming X is H0(X): "X is not the id this text
 *    carries" (the text carries another id, or none). Under H0(X) at least one digit
 *    position b has X's digit x_b ≠ the carried digit, and there the colour x_b is NOT
 *    boosted: its count is stochastically ≤ Binomial(n_b, γ). Hence the
 *    intersection–union test
 *        p(X) = max_b P(Binomial(n_b, γ) ≥ counts[b][x_b])
 *    is a valid p-value for H0(X) (every digit must be individually significant).
 *    Over all 2^N ids the smallest p(X) is attained by the per-position majority colour,
 *    i.e. the usual decoded id. Across T texts and M candidate ids, the T·M hypotheses
 *    are Holm-adjusted together (with no candidate list, M = 2^N and the adjustment is
 *    Bonferroni's T·2^N, which bounds Holm's).
 *
 * 2. A clone's outputs, with the provider's ledger (per-account window sets).
 *    Windows sent to several accounts cannot tell them apart; windows sent to ONE account
 *    only ("exclusive windows") can: a student learns the watermark's bias at a window
 *    only from training text containing that window, so if X never harvested, nothing in
 *    the student's training data carried our bias at X's exclusive windows and the
 *    scores there follow the null. For each candidate X: the scheme's exact test on the
 *    clone's (globally deduplicated, prompt-excluded) tuples whose window is exclusive
 *    to X — for payload specs, agreement with X's digits (Binomial(n, γ) under H0).
 *    The candidates are Holm-adjusted. The account universe must be every account that
 *    received traffic: a window is exclusive only relative to all of them.
 */
import { messageDigits, type Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { DetectorError } from '../errors.js';
import { decodePayload, type PayloadCounts } from '../payload.js';
import { schemeTest } from '../pvalue.js';
import { binomialUpperTailLog, formatPValue, holmAdjustLog, lnToLog10 } from '../stats/index.js';
import { PooledPass } from './pool.js';
import type { EvidenceItem } from './radioactivity.js';
import { WindowOwners } from './windows.js';

export interface Candidate {
  account: string;
  id: bigint | number | string;
}

/** ln P(Binomial(n_b, γ) ≥ counts[b][c]) for every digit position b and colour c (index b·r + c). */
export function digitTailsLog(wm: Watermark, pc: PayloadCounts): Float64Array {
  const B = wm.payloadDigits, r = wm.payloadColours, g = wm.gammaEff;
  const out = new Float64Array(B * r);
  for (let b = 0; b < B; b++) {
    const n = pc.perPosition[b]!;
    for (let c = 0; c < r; c++) out[b * r + c] = Math.min(0, binomialUpperTailLog(pc.counts[b * r + c]!, n, g));
  }
  return out;
}

/** Intersection–union ln p of "the text carries the id with these digits": max over positions. */
export function idLnP(tails: Float64Array, r: number, digits: readonly number[]): number {
  let worst = -Infinity;
  for (let b = 0; b < digits.length; b++) worst = Math.max(worst, tails[b * r + digits[b]!]!);
  return worst;
}

export interface LeakText {
  id: string;
  counts: PayloadCounts;
}

export interface LeakTextResult {
  id: string;
  scored: number;
  /** "Carries some id" (exact, over all ids): the detector's payload test. */
  anyIdLnP: number;
  anyIdLog10P: number;
  /** The per-position majority decode. */
  decoded: string;
  /** The best-supported candidate (smallest intersection–union p). */
  best: { id: string; account: string | null; lnP: number; lnPAdjusted: number; log10PAdjusted: number; pValueAdjusted: string } | null;
  named: boolean;
  /**
   * Why the best candidate is (not) named: an id is named only when every one of its digits
   * stands out, so the weakest digit decides. `moreTuples`: about how many more scored tuples
   * at the text's current per-digit agreement rates would name it (0 when named; null when some
   * digit agrees no more often than chance, so more text of this kind would not).
   */
  weakest: { position: number; tuples: number; agreeing: number; lnP: number; moreTuples: number | null } | null;
}

export interface LeakAttribution {
  alpha: number;
  method: 'holm' | 'bonferroni';
  /** Hypotheses adjusted over: texts × candidate ids. */
  hypotheses: number;
  texts: LeakTextResult[];
  /** Accounts named at family-wise error α, with the texts that name them. */
  named: { id: string; account: string | null; texts: string[]; minLog10PAdjusted: number }[];
}

/** Largest texts × candidates matrix adjusted exactly by Holm; above it, Bonferroni (a bound on Holm). */
const HOLM_MAX_PAIRS = 2_000_000;

export function attributeLeaks(wm: Watermark, texts: readonly LeakText[], opts: { candidates?: readonly Candidate[]; alpha?: number } = {}): LeakAttribution {
  const spec = wm.spec;
  if (!spec.payload) throw new DetectorError('NO_PAYLOAD', 'attributing leaked texts needs a spec with a payload (account ids)');
  const alpha = opts.alpha ?? 1e-3;
  const { bits, digitBits } = spec.payload;
  const r = wm.payloadColours;
  const T = texts.length;
  const cands = opts.candidates?.map((c) => {
    let v: bigint;
    try {
      v = BigInt(c.id);
    } catch {
      throw new DetectorError('BAD_OPTION', `candidate id ${String(c.id)} of ${c.account} is not an integer`);
    }
    if (v < 0n || v >= 1n << BigInt(bits)) throw new DetectorError('BAD_OPTION', `candidate id ${v} of ${c.account} is outside [0, 2^${bits})`);
    return { account: c.account, id: v.toString(), digits: messageDigits(v, bits, digitBits) };
  });
  const tails = texts.map((t) => digitTailsLog(wm, t.counts));
  const decoded = texts.map((t) => decodePayload(wm, t.counts));
  const results: LeakTextResult[] = texts.map((t, i) => ({
    id: t.id,
    scored: t.counts.scored,
    anyIdLnP: decoded[i]!.lnP,
    anyIdLog10P: decoded[i]!.log10P,
    decoded: decoded[i]!.message,
    best: null,
    named: false,
    weakest: null,
  }));
  const lnAlpha = Math.log(alpha);
  let method: LeakAttribution['method'];
  let hypotheses: number;
  if (cands) {
    const M = cands.length;
    hypotheses = T * M;
    if (M === 0) throw new DetectorError('BAD_OPTION', 'the candidate list is empty');
    const raw = new Float64Array(T * M);
    for (let i = 0; i < T; i++) for (let j = 0; j < M; j++) raw[i * M + j] = idLnP(tails[i]!, r, cands[j]!.digits);
    let adj: ArrayLike<number>;
    if (T * M <= HOLM_MAX_PAIRS) {
      adj = holmAdjustLog(Array.from(raw));
      method = 'holm';
    } else {
      const lnM = Math.log(T * M);
      adj = raw.map((v) => Math.min(0, v + lnM));
      method = 'bonferroni';
    }
    for (let i = 0; i < T; i++) {
      let bj = 0;
      for (let j = 1; j < M; j++) if (raw[i * M + j]! < raw[i * M + bj]!) bj = j;
      const a = adj[i * M + bj]!;
      results[i]!.best = { id: cands[bj]!.id, account: cands[bj]!.account, lnP: raw[i * M + bj]!, lnPAdjusted: a, log10PAdjusted: lnToLog10(a), pValueAdjusted: formatPValue(a) };
      results[i]!.named = a <= lnAlpha;
    }
  } else {
    method = 'bonferroni';
    hypotheses = T * 2 ** bits;
    const lnM = Math.log(T) + bits * Math.LN2;
    for (let i = 0; i < T; i++) {
      const digits = messageDigits(BigInt(decoded[i]!.message), bits, digitBits);
      const lnP = idLnP(tails[i]!, r, digits);
      const a = Math.min(0, lnP + lnM);
      results[i]!.best = { id: decoded[i]!.message, account: null, lnP, lnPAdjusted: a, log10PAdjusted: lnToLog10(a), pValueAdjusted: formatPValue(a) };
      results[i]!.named = a <= lnAlpha;
    }
  }
  for (let i = 0; i < T; i++) {
    const b = results[i]!.best;
    if (!b) continue;
    const digits = messageDigits(BigInt(b.id), bits, digitBits);
    // Bonferroni's factor: what Holm applies to the smallest p, so a bound for naming one more
    const w = weakestDigit(wm, texts[i]!.counts, tails[i]!, digits, Math.log(hypotheses), lnAlpha);
    results[i]!.weakest = results[i]!.named && w ? { ...w, moreTuples: 0 } : w;
  }
  const byId = new Map<string, LeakAttribution['named'][number]>();
  for (const t of results) {
    if (!t.named || !t.best) continue;
    const e = byId.get(t.best.id) ?? { id: t.best.id, account: t.best.account, texts: [], minLog10PAdjusted: 0 };
    e.texts.push(t.id);
    e.minLog10PAdjusted = Math.min(e.minLog10PAdjusted, t.best.log10PAdjusted);
    byId.set(t.best.id, e);
  }
  return { alpha, method, hypotheses, texts: results, named: [...byId.values()] };
}

/**
 * The digit that keeps an id from being named, and the scored tuples that would name it if
 * every digit position kept its observed agreement rate: the smallest factor k with
 * ln P(Bin(k·n_b, γ) ≥ k·a_b) + lnAdjust ≤ ln α at every position b (found by doubling and
 * bisection; the tail is decreasing in k when a_b/n_b > γ).
 */
export function weakestDigit(wm: Watermark, pc: PayloadCounts, tails: Float64Array, digits: readonly number[], lnAdjust: number, lnAlpha: number): LeakTextResult['weakest'] {
  const r = wm.payloadColours, g = wm.gammaEff;
  let wb = 0;
  for (let b = 1; b < digits.length; b++) if (tails[b * r + digits[b]!]! > tails[wb * r + digits[wb]!]!) wb = b;
  const at = (b: number): { n: number; a: number } => ({ n: pc.perPosition[b]!, a: pc.counts[b * r + digits[b]!]! });
  const w = at(wb);
  const base = { position: wb, tuples: w.n, agreeing: w.a, lnP: tails[wb * r + digits[wb]!]! };
  if (base.lnP + lnAdjust <= lnAlpha) return { ...base, moreTuples: 0 };
  const positions = digits.map((_, b) => at(b));
  if (positions.some((x) => x.n === 0 || x.a / x.n <= g)) return { ...base, moreTuples: null };
  const names = (k: number): boolean =>
    positions.every((x) => Math.min(0, binomialUpperTailLog(Math.ceil(k * x.a), Math.round(k * x.n), g)) + lnAdjust <= lnAlpha);
  let lo = 1, hi = 2;
  while (!names(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) return { ...base, moreTuples: null };
  }
  for (let it = 0; it < 40 && hi - lo > 1e-3 * lo; it++) {
    const mid = (lo + hi) / 2;
    if (names(mid)) hi = mid;
    else lo = mid;
  }
  return { ...base, moreTuples: Math.ceil((hi - 1) * pc.scored) };
}

export interface AccountWindows {
  account: string;
  /** Payload id (needed for payload specs). */
  id?: bigint | number | string;
  /** Window hashes (u64: hi·2^32 + lo) the ledger recorded for this account's responses. */
  windows: Iterable<bigint>;
}

export interface CloneAccountResult {
  account: string;
  id: string | null;
  exclusiveWindows: number;
  /** Distinct clone tuples at this account's exclusive windows. */
  scored: number;
  /** Score sum (payload specs: tuples agreeing with the account's digits). */
  score: number;
  expected: number;
  lnP: number;
  lnPAdjusted: number;
  log10PAdjusted: number;
  pValueAdjusted: string;
  named: boolean;
}

export interface CloneAttribution {
  alpha: number;
  method: 'exclusive-windows, holm';
  accountsInUniverse: number;
  candidates: number;
  /** Clone tuples (distinct, prompt windows excluded) at any account's exclusive window. */
  exclusivePositions: number;
  accounts: CloneAccountResult[];
  named: string[];
}

export interface CloneAttributionOptions {
  spec: WatermarkSpec;
  key: WatermarkKey;
  /** The clone's responses (probe transcript). */
  items: readonly EvidenceItem[];
  /** Every account that received traffic, with its windows. */
  accounts: readonly AccountWindows[];
  /** Accounts to test (default: all). */
  candidates?: readonly string[];
  alpha?: number;
  specialTokens?: Iterable<number>;
}

export function attributeClone(o: CloneAttributionOptions): CloneAttribution {
  const alpha = o.alpha ?? 1e-3;
  const pass = new PooledPass(o.spec, o.key, o.specialTokens ? { specialTokens: o.specialTokens } : {});
  const wm = pass.watermark;
  const payload = o.spec.payload;
  const names = new Map<string, number>();
  o.accounts.forEach((a, i) => {
    if (names.has(a.account)) throw new DetectorError('BAD_OPTION', `account ${a.account} appears twice`);
    names.set(a.account, i);
  });
  const owners = new WindowOwners();
  o.accounts.forEach((a, i) => owners.addU64(a.windows, i));
  const exclusive = owners.exclusiveCounts(o.accounts.length);
  const candIdx = (o.candidates ?? o.accounts.map((a) => a.account)).map((c) => {
    const i = names.get(c);
    if (i === undefined) throw new DetectorError('BAD_OPTION', `candidate ${c} is not among the accounts given`);
    return i;
  });
  if (candIdx.length === 0) throw new DetectorError('BAD_OPTION', 'no candidate accounts');
  let digits: (number[] | null)[] = o.accounts.map(() => null);
  if (payload) {
    digits = o.accounts.map((a) => {
      if (a.id === undefined) throw new DetectorError('BAD_OPTION', `account ${a.account} has no payload id (the spec has a payload)`);
      return messageDigits(BigInt(a.id), payload.bits, payload.digitBits);
    });
  }
  const n = new Float64Array(o.accounts.length);
  const s = new Float64Array(o.accounts.length);
  let exclusivePositions = 0;
  const w = { hi: 0, lo: 0 };
  for (const it of o.items) {
    const len = it.tokens.length;
    if (len === 0) continue;
    const own = new Int32Array(len).fill(-1);
    const mask = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      if (!wm.windowSeed(it.tokens, i, w)) continue;
      const a = owners.owner(w.hi >>> 0, w.lo >>> 0);
      if (a >= 0) {
        own[i] = a;
        mask[i] = 1;
      }
    }
    pass.add(it.tokens, it.given, {
      mask,
      sink: (score, i, pos, col) => {
        const a = own[i]!;
        exclusivePositions++;
        n[a]!++;
        if (payload) {
          if (col >= 0 && col === digits[a]![pos]) s[a]!++;
        } else s[a]! += score;
      },
    });
  }
  const nm = wm.nullModel;
  const raw = candIdx.map((a) => {
    if (payload) return { expected: n[a]! * wm.gammaEff, lnP: Math.min(0, binomialUpperTailLog(s[a]!, n[a]!, wm.gammaEff)) };
    const t = schemeTest(nm, n[a]!, s[a]!);
    return { expected: t.expected, lnP: t.lnP };
  });
  const adj = holmAdjustLog(raw.map((x) => x.lnP));
  const lnAlpha = Math.log(alpha);
  const accounts: CloneAccountResult[] = candIdx.map((a, j) => ({
    account: o.accounts[a]!.account,
    id: o.accounts[a]!.id !== undefined ? String(o.accounts[a]!.id) : null,
    exclusiveWindows: exclusive[a]!,
    scored: n[a]!,
    score: s[a]!,
    expected: raw[j]!.expected,
    lnP: raw[j]!.lnP,
    lnPAdjusted: adj[j]!,
    log10PAdjusted: lnToLog10(adj[j]!),
    pValueAdjusted: formatPValue(adj[j]!),
    named: adj[j]! <= lnAlpha,
  }));
  return {
    alpha,
    method: 'exclusive-windows, holm',
    accountsInUniverse: o.accounts.length,
    candidates: candIdx.length,
    exclusivePositions,
    accounts,
    named: accounts.filter((x) => x.named).map((x) => x.account),
  };
}

/** Precision and recall of a named set against the truth (for simulations). */
export function precisionRecall(named: Iterable<string>, truth: Iterable<string>): { named: number; truePositives: number; precision: number | null; recall: number | null } {
  const t = new Set(truth);
  const nset = new Set(named);
  let tp = 0;
  for (const x of nset) if (t.has(x)) tp++;
  return { named: nset.size, truePositives: tp, precision: nset.size > 0 ? tp / nset.size : null, recall: t.size > 0 ? tp / t.size : null };
}
