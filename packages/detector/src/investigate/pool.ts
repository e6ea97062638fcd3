/**
 * One key's pooled pass over an investigation's evidence (a suspect's responses):
 *
 *  - each response is scored with the detector's Scorer: positions whose window lies in
 *    a text the suspect was given for that response (its prompt, system message) are
 *    excluded, and repeats inside the response are dropped;
 *  - optionally only positions selected by a window mask are kept (a filter, decided
 *    with the REAL key and applied identically to every key — decoys included);
 *  - each (window, token) tuple counts once in the whole pass, the first time it
 *    appears in response order (global deduplication): only novel tuples enter the
 *    pooled test, the per-family tests and any sequential e-process.
 *
 * Tuples are PRF inputs, so distinct tuples have independent scores under H0 whatever
 * the text; sub-tests over disjoint sets of tuples (families) are independent.
 */
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import { decodePayload, type PayloadResult } from '../payload.js';
import { schemeTest } from '../pvalue.js';
import { ExclusionSet, FLAG_SCORED, Scorer, type Engine } from '../scorer.js';
import { formatPValue, lnToLog10 } from '../stats/index.js';
import { ADDED, TupleSet } from '../tupleset.js';

export interface PoolTest {
  test: 'binomial' | 'gamma' | 'payload';
  /** Distinct tuples scored (the n of the test). */
  scored: number;
  /** Score sum (payload: tuples agreeing with the best id). */
  score: number;
  /** Bernoulli trials behind the score (binomial tests), else = scored. */
  trials: number;
  expected: number;
  lnP: number;
  log10P: number;
  pValue: string;
  /** Payload specs: the decoded id ("carries some id", corrected over all ids). */
  payload?: Pick<PayloadResult, 'message' | 'matched' | 'method'>;
}

export interface AddStats {
  tokens: number;
  /** Positions scored within the response (after exclusion and in-text dedup). */
  scoredInText: number;
  excluded: number;
  duplicatesWithin: number;
  /** Scored in the text but not selected by the window mask. */
  unselected: number;
  /** Selected, but already seen in an earlier response. */
  duplicatesAcross: number;
  /** Tuples this response adds to the pool. */
  novel: number;
  novelSum: number;
}

/** Called for each novel tuple, in text order. `pos`/`colour`: payload digit position and colour (payload specs). */
export type NovelSink = (score: number, index: number, pos: number, colour: number) => void;

export interface PooledPassOptions {
  engine?: Engine;
  /** Token ids never scored (special tokens of the tokenizer). */
  specialTokens?: Iterable<number>;
  /** Number of families (disjoint sub-tests); 0 = none. */
  families?: number;
}

interface Acc {
  scored: number;
  sum: number;
  counts: Int32Array | undefined;
  perPosition: Int32Array | undefined;
}

function bump(a: Acc, s: number, pos: number, col: number, R: number): void {
  a.scored++;
  a.sum += s;
  if (a.counts) {
    a.perPosition![pos]!++;
    if (col >= 0) a.counts[pos * R + col]!++;
  }
}

export class PooledPass {
  readonly scorer: Scorer;
  readonly #seen = new TupleSet(1 << 12);
  readonly #total: Acc;
  readonly #families: Acc[];
  readonly #payload: boolean;

  constructor(spec: WatermarkSpec, key: WatermarkKey, opts: PooledPassOptions = {}) {
    this.scorer = new Scorer(spec, key, opts.engine ?? 'wasm');
    if (opts.specialTokens) this.scorer.setSpecialTokens(opts.specialTokens);
    this.#payload = spec.payload !== null;
    this.#total = this.#acc();
    const k = opts.families ?? 0;
    if (!(Number.isInteger(k) && k >= 0)) throw new RangeError('families must be an integer ≥ 0');
    this.#families = Array.from({ length: k }, () => this.#acc());
  }

  #acc(): Acc {
    const wm = this.scorer.wm;
    return {
      scored: 0,
      sum: 0,
      counts: this.#payload ? new Int32Array(wm.payloadDigits * wm.payloadColours) : undefined,
      perPosition: this.#payload ? new Int32Array(wm.payloadDigits) : undefined,
    };
  }

  get spec(): WatermarkSpec {
    return this.scorer.spec;
  }
  get scored(): number {
    return this.#total.scored;
  }
  get sum(): number {
    return this.#total.sum;
  }
  get families(): number {
    return this.#families.length;
  }

  /** The windows of texts given to the generator for one response (key-dependent). */
  exclusion(given: readonly ArrayLike<number>[] | undefined): ExclusionSet | undefined {
    if (!given || given.length === 0) return undefined;
    return this.scorer.exclusionSet(given);
  }

  /**
   * Score one response and add its novel tuples to the pool (and to `family`, if any).
   * `mask[i]` = 0 drops position i (window filter); `sink` sees each novel tuple.
   */
  add(
    tokens: ArrayLike<number>,
    given?: readonly ArrayLike<number>[],
    opts: { mask?: Uint8Array | undefined; family?: number | undefined; sink?: NovelSink | undefined } = {},
  ): AddStats {
    const { mask, family, sink } = opts;
    if (mask && mask.length !== tokens.length) throw new RangeError('mask length must equal the number of tokens');
    let fam: Acc | undefined;
    if (family !== undefined && this.#families.length > 0) {
      fam = this.#families[family];
      if (!fam) throw new RangeError(`family ${family} is outside [0, ${this.#families.length})`);
    }
    const st: AddStats = { tokens: tokens.length, scoredInText: 0, excluded: 0, duplicatesWithin: 0, unselected: 0, duplicatesAcross: 0, novel: 0, novelSum: 0 };
    if (tokens.length === 0) return st;
    const exclude = this.exclusion(given);
    const r = this.scorer.score(tokens, { dedup: true, perToken: true, tuples: true, payload: this.#payload, ...(exclude ? { exclude } : {}) });
    st.scoredInText = r.scored;
    st.excluded = r.excluded;
    st.duplicatesWithin = r.duplicates;
    const flags = r.flags!, t = r.tuples!;
    const tot = this.#total;
    const R = this.#payload ? this.scorer.wm.payloadColours : 0;
    let k = 0;
    for (let i = 0; i < flags.length; i++) {
      if (flags[i] !== FLAG_SCORED) continue;
      const j = k++;
      if (mask && mask[i] === 0) {
        st.unselected++;
        continue;
      }
      if (this.#seen.add(t.hi[j]!, t.lo[j]!, t.token[j]!) !== ADDED) {
        st.duplicatesAcross++;
        continue;
      }
      const s = t.score[j]!;
      st.novel++;
      st.novelSum += s;
      let pos = -1, col = -1;
      if (this.#payload) {
        pos = r.payloadPos![j]!;
        col = r.payloadColour![j]!;
      }
      bump(tot, s, pos, col, R);
      if (fam) bump(fam, s, pos, col, R);
      sink?.(s, i, pos, col);
    }
    return st;
  }

  /** The pooled exact test over every novel tuple so far. */
  test(): PoolTest {
    return this.#test(this.#total);
  }

  /** The exact test of one family (its novel tuples only). */
  familyTest(f: number): PoolTest {
    const a = this.#families[f];
    if (!a) throw new RangeError(`family ${f} is outside [0, ${this.#families.length})`);
    return this.#test(a);
  }

  /** Payload counts of the pool (payload specs). */
  payloadCounts(): { counts: Int32Array; perPosition: Int32Array; scored: number } | undefined {
    const a = this.#total;
    return a.counts ? { counts: a.counts, perPosition: a.perPosition!, scored: a.scored } : undefined;
  }

  #test(a: Acc): PoolTest {
    const wm = this.scorer.wm;
    if (a.counts) {
      const p = decodePayload(wm, { counts: a.counts, perPosition: a.perPosition!, scored: a.scored });
      return {
        test: 'payload',
        scored: a.scored,
        score: p.matched,
        trials: a.scored,
        expected: p.expectedPerId,
        lnP: p.lnP,
        log10P: p.log10P,
        pValue: p.pValue,
        payload: { message: p.message, matched: p.matched, method: p.method },
      };
    }
    const t = schemeTest(wm.nullModel, a.scored, a.sum);
    return { test: t.test, scored: a.scored, score: a.sum, trials: t.trials, expected: t.expected, lnP: t.lnP, log10P: lnToLog10(t.lnP), pValue: formatPValue(t.lnP) };
  }
}
