/**
 * One key's pooled pass over an investigation's evidence (a suspect's responses): the
 * scoring in front of an EvidencePool.
 *
 *  - each response is scored with the detector's Scorer: positions whose window lies in
 *    a text the suspect was given for that response (its prompt, system message) are
 *    excluded, and repeats inside the response are dropped;
 *  - optionally only positions selected by a window mask are kept (a filter, decided
 *    with the REAL key and applied identically to every key — decoys included);
 *  - the pool counts each (window, token) tuple once in the whole pass, the first time
 *    it appears in response order: only novel tuples enter the pooled test, the
 *    per-family tests and any sequential e-process (the sink).
 */
import { isEngineSpec, type AnySpec, type EngineKey, type EngineReader, type NullModel, type Watermark, type WatermarkKey } from '@tracemark/watermark';
import { EngineScorer } from '../engine-scorer.js';
import { poolTestOf, type PoolTest } from '../counts-test.js';
import { EvidencePool } from '../pool/index.js';
import { ExclusionSet, FLAG_SCORED, Scorer, type Engine } from '../scorer.js';

export type { PoolTest };

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

/** Called for each novel tuple, in text order. `index`: token position; `pos`/`colour`: payload digit position and colour (payload specs). */
export type NovelSink = (score: number, index: number, pos: number, colour: number) => void;

export interface PooledPassOptions {
  engine?: Engine;
  /** Token ids never scored (special tokens of the tokenizer). */
  specialTokens?: Iterable<number>;
  /** Number of families (disjoint sub-tests); 0 = none. */
  families?: number;
}

export class PooledPass {
  readonly scorer: Scorer | EngineScorer;
  readonly pool: EvidencePool;
  readonly #payload: boolean;

  /** Tracemark's specs take a WatermarkKey, engine specs (version 2) an EngineKey. */
  constructor(spec: AnySpec, key: WatermarkKey | EngineKey, opts: PooledPassOptions = {}) {
    this.scorer = isEngineSpec(spec) ? new EngineScorer(spec, key as EngineKey) : new Scorer(spec, key as WatermarkKey, opts.engine ?? 'wasm');
    if (opts.specialTokens) this.scorer.setSpecialTokens(opts.specialTokens);
    this.#payload = !isEngineSpec(spec) && spec.payload !== null;
    this.pool = new EvidencePool(this.scorer instanceof EngineScorer ? this.scorer.reader : this.scorer.wm, { families: opts.families ?? 0 });
  }

  get spec(): AnySpec {
    return this.scorer.spec;
  }
  /** The Watermark of a tracemark spec (payloads); engine specs have none. */
  get watermark(): Watermark {
    if (this.scorer instanceof EngineScorer) throw new RangeError(`an engine spec (${this.scorer.spec.engine.scheme}) has no tracemark Watermark`);
    return this.scorer.wm;
  }
  /** What names a position's window for filters: the Watermark (window seeds) or the engine's reader (context digests). */
  get windowSource(): Watermark | EngineReader {
    return this.scorer instanceof EngineScorer ? this.scorer.reader : this.scorer.wm;
  }
  get nullModel(): NullModel {
    return this.scorer instanceof EngineScorer ? this.scorer.nullModel : this.scorer.wm.nullModel;
  }
  get scored(): number {
    return this.pool.scored;
  }
  get sum(): number {
    return this.pool.sum;
  }
  get families(): number {
    return this.pool.families;
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
    const st: AddStats = { tokens: tokens.length, scoredInText: 0, excluded: 0, duplicatesWithin: 0, unselected: 0, duplicatesAcross: 0, novel: 0, novelSum: 0 };
    if (tokens.length === 0) return st;
    const exclude = this.exclusion(given);
    const r = this.scorer.score(tokens, { dedup: true, perToken: true, tuples: true, payload: this.#payload, ...(exclude ? { exclude } : {}) });
    st.scoredInText = r.scored;
    st.excluded = r.excluded;
    st.duplicatesWithin = r.duplicates;
    // tuple j is the j-th scored position: the mask and the sink speak in positions
    const t = r.tuples!;
    const position = mask || sink ? scoredPositions(r.flags!, t.count) : undefined;
    const keep = mask ? Uint8Array.from(position!, (i) => (mask[i] === 0 ? 0 : 1)) : undefined;
    const a = this.pool.add(
      { ...t, pos: r.payloadPos, colour: r.payloadColour },
      { keep, family, sink: sink ? (s, j, p, c) => sink(s, position![j]!, p, c) : undefined },
    );
    st.unselected = a.unselected;
    st.duplicatesAcross = a.duplicates;
    st.novel = a.novel;
    st.novelSum = a.novelSum;
    return st;
  }

  /** The pooled exact test over every novel tuple so far. */
  test(): PoolTest {
    return poolTestOf(this.pool.test());
  }

  /** The exact test of one family (its novel tuples only). */
  familyTest(f: number): PoolTest {
    return poolTestOf(this.pool.familyTest(f));
  }

  /** Payload counts of the pool (payload specs). */
  payloadCounts(): { counts: Int32Array; perPosition: Int32Array; scored: number } | undefined {
    return this.pool.payloadCounts();
  }
}

function scoredPositions(flags: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] === FLAG_SCORED) out[k++] = i;
  return out;
}
