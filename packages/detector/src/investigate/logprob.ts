/**
 * The logprob radioactivity test (docs/RADIOACTIVITY.md §4c): a closed suspect whose API
 * returns `logprobs` / `top_logprobs`. Instead of the one token the suspect sampled at a
 * position we read the k most likely tokens it reports there and score their mass on our
 * keyed tokens — the open-model test's green mass (open-model.ts, betting.ts) on the
 * listings the API returns, at the windows of the suspect's own answers:
 *
 *   positions   the suspect's sampled tokens, in transcript order; a position is read when
 *               its window has context inside the answer (as the sampled-token test
 *               scores), the window is not one of a text the suspect was given for that
 *               answer (prompt exclusion exactly as in §1: the Scorer's exclusion set;
 *               Unigram: listed tokens that occur in a given text are dropped into the
 *               rest) and every token of the window is known (the API's token strings are
 *               mapped to ids by the caller; an unknown one is −1);
 *   filter      optionally, only positions whose window (real key) is in a window set — the
 *               supervised / unsupervised filters of §1, decided by window only, applied to
 *               every key alike — so the test reads the windows a student most likely learned;
 *   X_w         Σ_{v listed} p(v)·s(w, v) + (1 − Σ listed p)·μ at each distinct window seed
 *               (first occurrence in the transcript; OpenModelPass also credits tokens whose
 *               PRF input another window shares at μ), so X_w ∈ [0, 1] and, under H0 (the
 *               suspect does not depend on our key), E[X_w | earlier windows] = μ even though
 *               the listing depends on the sampled prefix: the prefix is key-independent;
 *   p           1 / max of the betting e-process (anytime-valid, no normal approximation).
 *
 * The sampled-token test (radioactivity.ts) reads the same answers; `combineLogprobSampled`
 * is their Bonferroni combination (2·min), valid whatever their dependence.
 */
import { isEngineSpec, type AnySpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { schemeNameOf, type SchemeName } from '../detection-types.js';
import { Scorer } from '../scorer.js';
import { lnToLog10 } from '../stats/index.js';
import { OpenModelPass, assertOpenModelSpec, type NextTokenListing } from './open-model.js';
import { decoySummary, type DecoySummary } from './radioactivity.js';
import { windowMask, type WindowSet } from './windows.js';

/** One answer with what the API returned at each of its positions. */
export interface LogprobItem {
  id: string;
  /** The sampled token ids (−1: a token the caller could not map to an id). */
  tokens: ArrayLike<number>;
  /** listings[i]: the suspect's top tokens at position i (before tokens[i] was drawn); null: none returned. */
  listings: readonly (NextTokenListing | null)[];
  /** Token ids of every text the suspect was given for this answer. */
  given?: readonly ArrayLike<number>[];
}

export interface LogprobAccounting {
  responses: number;
  /** Positions that carried a listing. */
  positions: number;
  /** No context inside the answer, or a window with an unknown token. */
  noContext: number;
  /** Windows of a given text (Unigram: listed tokens of a given text, counted per token). */
  excluded: number;
  /** Positions whose window the filter does not select. */
  unselected: number;
}

export interface LogprobTest {
  /** Distinct windows read (Unigram: positions read). */
  windows: number;
  observations: number;
  mean: number;
  nullMean: number;
  maxLnE: number;
  lnP: number;
  log10P: number;
}

export interface LogprobSummary {
  scheme: SchemeName;
  alpha: number;
  filter: { name: string; windows: number } | null;
  accounting: LogprobAccounting;
  test: LogprobTest;
  decoys: DecoySummary;
  verdict: 'detected' | 'not-detected';
}

export interface LogprobOptions {
  spec: AnySpec;
  key: WatermarkKey;
  decoyKeys?: readonly WatermarkKey[];
  alpha?: number;
  /** Window filter (seeds under the real key): only positions whose window it holds are read, under every key. */
  filter?: WindowSet | undefined;
  /** How the filter was made, for the record. */
  filterName?: string;
}

/** Refuses what the logprob test does not cover (the open-model test's refusals), in one line. */
export function assertLogprobSpec(spec: AnySpec): asserts spec is WatermarkSpec {
  if (isEngineSpec(spec)) throw new RangeError(`the logprob test needs a tracemark spec (version 1); an engine spec (${spec.engine.scheme}) is not supported`);
  assertOpenModelSpec(spec);
}

/** One key's pass: its exclusion sets and windows, the open-model green-mass e-process. */
class LogprobPass {
  readonly pass: OpenModelPass;
  readonly #scorer: Scorer;
  readonly #unigram: boolean;
  readonly acc: LogprobAccounting = { responses: 0, positions: 0, noContext: 0, excluded: 0, unselected: 0 };
  readonly #w = { hi: 0, lo: 0 };

  constructor(spec: WatermarkSpec, key: WatermarkKey) {
    this.pass = new OpenModelPass(spec, key);
    this.#scorer = new Scorer(spec, key, 'reference');
    this.#unigram = spec.scheme.name === 'unigram';
  }

  /** `mask[i]` = 0 drops position i (the filter, decided with the real key). */
  add(item: LogprobItem, mask?: Uint8Array): void {
    const a = this.acc;
    a.responses++;
    const { tokens, listings } = item;
    if (listings.length !== tokens.length) throw new RangeError(`${item.id}: ${listings.length} listings for ${tokens.length} tokens`);
    const ex = item.given && item.given.length > 0 ? this.#scorer.exclusionSet(item.given).set : undefined;
    const h = this.pass.wm.contextWidth;
    const wm = this.pass.wm;
    for (let i = 0; i < tokens.length; i++) {
      let next = listings[i];
      if (!next) continue;
      a.positions++;
      if (!knownWindow(tokens, i, h) || !wm.windowSeed(tokens, i, this.#w)) {
        a.noContext++;
        continue;
      }
      if (mask && mask[i] === 0) {
        a.unselected++;
        continue;
      }
      if (ex) {
        if (this.#unigram) {
          const before = next.ids.length;
          next = withoutTokens(next, (v) => ex.has(0, 0, v));
          a.excluded += before - next.ids.length;
        } else if (ex.has(this.#w.hi, this.#w.lo, 0)) {
          a.excluded++;
          continue;
        }
      }
      this.pass.add(tokens, i, next);
    }
  }

  test(): LogprobTest {
    const t = this.pass.test();
    const g = t.greenMass;
    return { windows: t.windows, observations: g.observations, mean: g.mean, nullMean: g.nullMean, maxLnE: g.maxLnE, lnP: g.lnP, log10P: g.log10P };
  }
}

/** Every token of the window before position i is known (h = 0: Unigram needs none). */
function knownWindow(tokens: ArrayLike<number>, i: number, h: number): boolean {
  for (let j = Math.max(0, i - h); j < i; j++) if (!(tokens[j]! >= 0)) return false;
  return true;
}

/** The listing with some tokens moved into the rest (their mass is credited at the null mean). */
function withoutTokens(l: NextTokenListing, drop: (v: number) => boolean): NextTokenListing {
  const ids: number[] = [], probs: number[] = [];
  let rest = l.restMass;
  for (let i = 0; i < l.ids.length; i++) {
    if (drop(l.ids[i]!)) rest += l.probs[i]!;
    else {
      ids.push(l.ids[i]!);
      probs.push(l.probs[i]!);
    }
  }
  return ids.length === l.ids.length ? l : { ids, probs, restMass: Math.min(1, rest) };
}

/** The whole test under the real key and the decoys (each key with its own windows and exclusions). */
export class LogprobRun {
  readonly alpha: number;
  readonly #spec: WatermarkSpec;
  readonly #real: LogprobPass;
  readonly #decoys: LogprobPass[];
  readonly #filter: WindowSet | undefined;
  readonly #filterName: string;

  constructor(o: LogprobOptions) {
    this.alpha = o.alpha ?? 1e-6;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${this.alpha}`);
    assertLogprobSpec(o.spec);
    this.#spec = o.spec;
    this.#real = new LogprobPass(o.spec, o.key);
    this.#decoys = (o.decoyKeys ?? []).map((k) => {
      if (k.fingerprint === o.key.fingerprint) throw new RangeError('a decoy key must differ from the real key');
      return new LogprobPass({ ...o.spec, keyFingerprint: k.fingerprint } as WatermarkSpec, k);
    });
    this.#filter = o.filter;
    this.#filterName = o.filterName ?? (o.filter ? 'filter' : '');
  }

  add(item: LogprobItem): void {
    // unknown tokens (−1) hash like any id here; their positions are skipped before the mask is read
    const mask = this.#filter ? windowMask(this.#real.pass.wm, item.tokens, this.#filter) : undefined;
    this.#real.add(item, mask);
    for (const d of this.#decoys) d.add(item, mask);
  }

  summary(): LogprobSummary {
    const test = this.#real.test();
    const lnAlpha = Math.log(this.alpha);
    return {
      scheme: schemeNameOf(this.#spec),
      alpha: this.alpha,
      filter: this.#filter ? { name: this.#filterName, windows: this.#filter.size } : null,
      accounting: { ...this.#real.acc },
      test,
      // e-process p-values are conservative, not uniform: no KS check (as the open-model test)
      decoys: decoySummary(this.#decoys.map((d) => d.test().lnP), lnAlpha, []),
      verdict: test.lnP <= lnAlpha ? 'detected' : 'not-detected',
    };
  }
}

/** Bonferroni over the logprob test and the sampled-token test on the same transcript: ln(2·min p), capped at 0. */
export function combineLogprobSampled(logprobLnP: number, sampledLnP: number): { lnP: number; log10P: number } {
  const lnP = Math.min(0, Math.min(logprobLnP, sampledLnP) + Math.LN2);
  return { lnP, log10P: lnToLog10(lnP) };
}

/**
 * A listing from an API's top logprobs: token ids (−1 = unknown, dropped into the rest) and
 * natural-log probabilities; duplicates keep their first entry. The rest is 1 − Σ p (≥ 0:
 * rounded logprobs may sum slightly above 1, then each p is scaled down to sum to 1).
 */
export function listingFromLogprobs(ids: ArrayLike<number>, logprobs: ArrayLike<number>): NextTokenListing {
  const seen = new Set<number>();
  const outIds: number[] = [], probs: number[] = [];
  let sum = 0;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    const lp = logprobs[i]!;
    if (!(v >= 0) || seen.has(v) || !(lp <= 0)) continue;
    seen.add(v);
    const p = Math.exp(lp);
    outIds.push(v);
    probs.push(p);
    sum += p;
  }
  if (sum > 1) for (let i = 0; i < probs.length; i++) probs[i]! /= sum;
  return { ids: outIds, probs, restMass: Math.max(0, 1 - Math.min(1, sum)) };
}
