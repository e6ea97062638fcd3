/**
 * The public per-text API: a Detector binds a spec to its key (refusing a key
 * whose fingerprint differs) and answers, for one text or token sequence:
 * is it watermarked (exact p-value), where (localisation), which id does it
 * carry (payload), and what does each token contribute (marks).
 */
import {
  isEngineKey,
  isEngineSpec,
  parseAnyKeyFile,
  parseAnySpecJson,
  SpecError,
  type AnySpec,
  type EngineKey,
  type NullModel,
  type WatermarkKey,
} from '@tracemark/watermark';
import { EngineScorer } from './engine-scorer.js';
import type { ScoringModel } from './scoring-model.js';
import { DetectorError } from './errors.js';
import { localizeScores, type LocalizationResult, type LocalizeOptions } from './localize.js';
import { normalizeText, normalizeWithOffsets } from './normalize.js';
import { countPayload, decodePayload, testIds, type IdTest, type PayloadResult } from './payload.js';
import { schemeTest } from './pvalue.js';
import { ExclusionSet, Scorer, type ScoredTokens } from './scorer.js';
import { formatPValue, lnToLog10 } from './stats/index.js';
import { isTiktokenEncoding, resolveTokenizerOptions, SPECIAL_TOKENS, type Encoded, type TokenizerOptions } from './tokenizer.js';
import { createTokenizer, HfTokenizer, hfTokenizerAvailable, type TextTokenizer } from './tokenizers/index.js';
import {
  hasPayload,
  schemeNameOf,
  type DetectionResult,
  type DetectOptions,
  type DetectorOptions,
  type NormalizeMode,
  type TextInput,
  type TokenMarks,
} from './detection-types.js';
import { toText } from './text-input.js';

export * from './detection-types.js';
export { toText, marksToJson } from './text-input.js';

export class Detector {
  readonly spec: AnySpec;
  readonly keyFingerprint: string;
  readonly minScoredTokens: number;
  /** Default of DetectOptions.normalize. */
  readonly normalize: NormalizeMode;
  readonly #scorer: Scorer | EngineScorer;
  readonly #nullModel: NullModel;
  readonly #tokOpts: TokenizerOptions | undefined;
  #tokenizer: TextTokenizer | undefined;
  /** hf:<directory> specs whose directory has tokenizer.json: ids are checked against its vocabulary. */
  #hf: HfTokenizer | undefined;
  #disposed = false;

  constructor(spec: AnySpec, key: WatermarkKey | EngineKey, opts: DetectorOptions = {}) {
    if (isEngineSpec(spec) !== isEngineKey(key)) {
      throw new DetectorError('WRONG_KEY', `wrong key: the spec is ${isEngineSpec(spec) ? `an engine spec (${spec.engine.scheme})` : "tracemark's own"} but the key file is ${isEngineKey(key) ? `an engine key (${key.family})` : "a tracemark key"}`);
    }
    this.#scorer = isEngineSpec(spec) ? new EngineScorer(spec, key as EngineKey) : new Scorer(spec, key as WatermarkKey, opts.engine ?? 'wasm');
    this.#nullModel = this.#scorer instanceof EngineScorer ? this.#scorer.nullModel : this.#scorer.wm.nullModel;
    this.spec = spec;
    this.keyFingerprint = spec.keyFingerprint;
    this.minScoredTokens = opts.minScoredTokens ?? 16;
    this.normalize = opts.normalize ?? false;
    if (!Number.isInteger(this.minScoredTokens) || this.minScoredTokens < 0) {
      throw new DetectorError('BAD_OPTION', `minScoredTokens must be a non-negative integer, got ${opts.minScoredTokens}`);
    }
    this.#tokOpts = opts.tokenizer;
    if (isTiktokenEncoding(spec.tokenizer)) {
      // options are checked now; the encoder itself loads on first use (~0.3 s, tens of MB)
      resolveTokenizerOptions(opts.tokenizer);
      this.#scorer.setSpecialTokens(Object.values(SPECIAL_TOKENS[spec.tokenizer]));
    } else {
      if (hfTokenizerAvailable(spec.tokenizer)) {
        this.#hf = new HfTokenizer(spec.tokenizer, opts.tokenizer);
        this.#tokenizer = this.#hf;
      }
      const specials = opts.specialTokens ?? this.#hf?.specialTokenIds;
      if (specials) this.#scorer.setSpecialTokens(specials);
    }
  }

  /**
   * From the spec JSON and the key file's text: the usual way in. Errors are
   * DetectorErrors (SPEC_MISMATCH for a bad spec, WRONG_KEY for a key that is
   * not the spec's); no key material appears in messages.
   */
  static fromJson(specJson: string, keyFileText: string, opts?: DetectorOptions): Detector {
    let spec: AnySpec;
    try {
      spec = parseAnySpecJson(specJson);
    } catch (e) {
      throw new DetectorError('SPEC_MISMATCH', e instanceof SpecError ? e.message : String((e as Error).message));
    }
    let key: WatermarkKey | EngineKey;
    try {
      key = parseAnyKeyFile(keyFileText, spec.keyFingerprint);
    } catch (e) {
      throw new DetectorError('WRONG_KEY', (e as Error).message);
    }
    return new Detector(spec, key, opts);
  }

  /** The Watermark (spec + key) this detector scores with (tracemark's own specs only). */
  get watermark(): Scorer['wm'] {
    if (this.#scorer instanceof EngineScorer) throw new DetectorError('SPEC_MISMATCH', `an engine spec (${this.#scorer.spec.engine.scheme}) has no tracemark Watermark`);
    return this.#scorer.wm;
  }

  /** What pooled tests read: the Watermark (tracemark's specs) or the engine reader. */
  get model(): ScoringModel {
    return this.#scorer instanceof EngineScorer ? this.#scorer.reader : this.#scorer.wm;
  }

  /** The null distribution of a tuple's score (what the exact test uses). */
  get nullModel(): NullModel {
    return this.#nullModel;
  }

  /** Engine specs: the engine's reader (its own statistic, per-position readings); undefined for tracemark's specs. */
  get engineReader(): EngineScorer['reader'] | undefined {
    return this.#scorer instanceof EngineScorer ? this.#scorer.reader : undefined;
  }

  #tk(): TextTokenizer {
    if (this.#disposed) throw new Error('Detector used after dispose()');
    // tiktoken: loaded on first use; hf:<directory>: loaded by the constructor, or here the error naming the path
    if (!this.#tokenizer) this.#tokenizer = createTokenizer(this.spec.tokenizer, this.#tokOpts);
    return this.#tokenizer;
  }

  /** The hf: tokenizer of the spec when its directory is here (vocabulary size, decode), else undefined. */
  get hfTokenizer(): HfTokenizer | undefined {
    return this.#hf;
  }

  /** Tokenize exactly as detection does. */
  tokenize(text: TextInput): Encoded {
    return this.#tk().encode(toText(text));
  }

  /** An exclusion set from the texts given to the generator (reuse it across many detections). */
  exclusion(texts: readonly (TextInput | ArrayLike<number>)[]): ExclusionSet {
    return this.#scorer.exclusionSet(texts.map((t) => (typeof t === 'string' || t instanceof Uint8Array ? this.tokenize(t).tokens : t)));
  }

  #excl(ex: DetectOptions['exclude'], opts: DetectOptions): ExclusionSet | undefined {
    if (ex === undefined) return undefined;
    if (ex instanceof ExclusionSet) return ex;
    return this.exclusion(this.#normalizing(opts) ? ex.map((t) => (typeof t === 'string' || t instanceof Uint8Array ? normalizeText(toText(t)) : t)) : ex);
  }

  /** Normalise this call's text? 'auto' is resolved per text by #variant before anything reads this. */
  #normalizing(opts: DetectOptions): boolean {
    return (opts.normalize ?? this.normalize) === true;
  }

  /** The text detection scores: as given, or normalised when asked. */
  #text(input: TextInput, opts: DetectOptions): string {
    const text = toText(input);
    return this.#normalizing(opts) ? normalizeText(text) : text;
  }

  detect(text: TextInput, opts: DetectOptions = {}): DetectionResult {
    if ((opts.normalize ?? this.normalize) !== 'auto') return this.#detectText(this.#text(text, opts), opts);
    const raw = toText(text);
    const norm = normalizeText(raw);
    if (norm === raw) return this.#detectText(raw, { ...opts, normalize: false });
    const a = this.#detectText(raw, { ...opts, normalize: false });
    const b = this.#detectText(norm, { ...opts, normalize: true });
    const pick = b.lnP < a.lnP ? b : a;
    const lnP = Math.min(0, pick.lnP + Math.LN2);
    const p = { lnP, log10P: lnToLog10(lnP), pValue: formatPValue(lnP) };
    return {
      ...pick,
      ...p,
      ...(pick.payload ? { payload: { ...pick.payload, ...p } } : {}),
      normalization: { rule: 'min-of-two, Bonferroni x2', scored: pick === b ? 'normalized' : 'as-given', lnPAsGiven: a.lnP, lnPNormalized: b.lnP },
    };
  }

  /**
   * `opts` with 'auto' resolved for one text, the way detect resolves it: normalised when
   * normalisation changes the text and the normalised version scores the smaller p.
   * marks, localize and the payload calls then read the version detect reported.
   */
  #variant(input: TextInput | ArrayLike<number>, opts: DetectOptions): DetectOptions {
    if ((opts.normalize ?? this.normalize) !== 'auto') return opts;
    if (typeof input !== 'string' && !(input instanceof Uint8Array)) return { ...opts, normalize: false };
    return { ...opts, normalize: this.detect(input, opts).normalization?.scored === 'normalized' };
  }

  #detectText(text: string, opts: DetectOptions): DetectionResult {
    const enc = this.tokenize(text);
    return this.#detect(enc.tokens, opts, enc);
  }

  /** Prompt ids for engine specs that read into the prompt (tracemark's specs do not: undefined). */
  #prompt(opts: DetectOptions): ArrayLike<number> | undefined {
    const p = opts.prompt;
    if (p === undefined || !(this.#scorer instanceof EngineScorer)) return undefined;
    if (typeof p === 'string' || p instanceof Uint8Array) return this.tokenize(this.#text(p, opts)).tokens;
    this.#hf?.checkIds(p);
    return p;
  }

  /** `prompt`: the prompt's ids when the caller already has them (resolved from opts otherwise). */
  #scoreWith(
    tokens: ArrayLike<number>,
    opts: DetectOptions,
    extra: { perToken?: boolean; payload?: boolean; tuples?: boolean },
    prompt: ArrayLike<number> | undefined = this.#prompt(opts),
  ): ScoredTokens {
    const dedup = opts.dedup ?? true;
    const exclude = this.#excl(opts.exclude, opts);
    const o = { dedup, ...(exclude ? { exclude } : {}), ...extra };
    if (this.#scorer instanceof EngineScorer) return this.#scorer.score(tokens, prompt ? { ...o, prompt } : o);
    return this.#scorer.score(tokens, o);
  }

  detectTokens(tokens: ArrayLike<number>, opts: DetectOptions = {}): DetectionResult {
    this.#hf?.checkIds(tokens);
    return this.#detect(tokens, opts, undefined);
  }

  #detect(tokens: ArrayLike<number>, opts: DetectOptions, enc: Encoded | undefined): DetectionResult {
    if (tokens.length === 0) throw new DetectorError('EMPTY_TEXT', 'the text is empty: nothing to score');
    const dedup = opts.dedup ?? true;
    const prompt = this.#prompt(opts); // tokenized once for the scoring and the engine's statistic
    const r = this.#scoreWith(tokens, opts, { payload: hasPayload(this.spec) }, prompt);
    const res = this.#result(r, dedup, enc);
    if (this.#scorer instanceof EngineScorer) {
      res.engine = this.#scorer.reader.engineStatistic(Array.from(tokens), prompt ? { prompt } : {});
    }
    return res;
  }

  /** Assemble the result for a scored text (also used by the corpus scan). */
  resultFromScored(r: ScoredTokens, dedup: boolean, enc?: Pick<Encoded, 'chunkedRuns' | 'specialStrings'>): DetectionResult {
    return this.#result(r, dedup, enc);
  }

  #result(r: ScoredTokens, dedup: boolean, enc: Pick<Encoded, 'chunkedRuns' | 'specialStrings'> | undefined): DetectionResult {
    const base = {
      scheme: schemeNameOf(this.spec),
      keyFingerprint: this.keyFingerprint,
      ...(this.spec.id !== undefined ? { specId: this.spec.id } : {}),
      tokens: r.tokens,
      scored: r.scored,
      duplicates: r.duplicates,
      excluded: r.excluded,
      noContext: r.noContext,
      special: r.special,
      specialStrings: enc?.specialStrings ?? 0,
      chunkedRuns: enc?.chunkedRuns ?? 0,
      dedup,
      tooShort: r.scored < this.minScoredTokens,
    };
    if (r.payloadPos && this.#scorer instanceof Scorer) {
      const wm = this.#scorer.wm;
      const p = decodePayload(wm, countPayload(wm, r.payloadPos, r.payloadColour!));
      return {
        ...base,
        test: 'payload',
        score: p.matched,
        trials: r.scored,
        expected: p.expectedBest,
        z: p.z,
        lnP: p.lnP,
        log10P: p.log10P,
        pValue: p.pValue,
        payload: p,
      };
    }
    const t = schemeTest(this.#nullModel, r.scored, r.sum);
    return {
      ...base,
      test: t.test,
      score: r.sum,
      trials: t.trials,
      expected: t.expected,
      z: t.z,
      lnP: t.lnP,
      log10P: lnToLog10(t.lnP),
      pValue: formatPValue(t.lnP),
    };
  }

  /** Per-token flags and scores (and character offsets for text input), for display. */
  marks(input: TextInput | ArrayLike<number>, options: DetectOptions = {}): TokenMarks {
    const opts = this.#variant(input, options);
    const { tokens, text } = this.#input(input, opts);
    const r = this.#scoreWith(tokens, opts, { perToken: true });
    const marks: TokenMarks = { tokens: Uint32Array.from(tokens), flags: r.flags!, scores: r.scores! };
    if (text !== undefined) {
      const off = this.#tk().charOffsets(text, tokens);
      if (this.#normalizing(opts)) {
        // offsets into the text as given: the normalised text maps back unit by unit. The map is
        // built per base-plus-marks run; whole-text NFKC also composes conjoining Hangul jamo
        // across runs, and then no map exists: no offsets rather than wrong ones.
        const n = normalizeWithOffsets(toText(input as TextInput));
        if (n.text === text) marks.charOffsets = off.map((o) => n.offsets[o]!);
      } else marks.charOffsets = off;
    }
    return marks;
  }

  /** Find watermarked spans (see localize.ts); character offsets are filled in for text input. */
  localize(input: TextInput | ArrayLike<number>, opts: DetectOptions & LocalizeOptions = {}): LocalizationResult {
    if (hasPayload(this.spec)) {
      throw new DetectorError('SPEC_MISMATCH', 'localisation is defined for zero-bit specs; decode the payload per text instead');
    }
    const m = this.marks(input, opts);
    if (m.tokens.length === 0) throw new DetectorError('EMPTY_TEXT', 'the text is empty: nothing to score');
    const res = localizeScores(this.#nullModel, m.flags, m.scores, opts);
    if (m.charOffsets) {
      const off = m.charOffsets;
      for (const w of [...(res.best ? [res.best] : []), ...res.spans]) {
        w.charStart = off[w.startToken]!;
        w.charEnd = off[w.endToken]!;
      }
    }
    return res;
  }

  /** Decode the payload (specs with a payload only). */
  decodePayload(input: TextInput | ArrayLike<number>, opts: DetectOptions = {}): PayloadResult {
    return this.#payload(input, opts, (wm, pc) => decodePayload(wm, pc));
  }

  /** Test candidate ids fixed in advance (Holm-adjusted over the list). */
  testIds(input: TextInput | ArrayLike<number>, ids: readonly (bigint | number | string)[], opts: DetectOptions = {}): IdTest[] {
    return this.#payload(input, opts, (wm, pc) => testIds(wm, pc, ids));
  }

  #payload<T>(input: TextInput | ArrayLike<number>, options: DetectOptions, f: (wm: Scorer['wm'], pc: ReturnType<typeof countPayload>) => T): T {
    const opts = this.#variant(input, options);
    if (!hasPayload(this.spec) || !(this.#scorer instanceof Scorer)) throw new DetectorError('NO_PAYLOAD', 'the spec has no payload');
    const { tokens } = this.#input(input, opts);
    if (tokens.length === 0) throw new DetectorError('EMPTY_TEXT', 'the text is empty: nothing to score');
    const r = this.#scorer.score(tokens, { dedup: opts.dedup ?? true, exclude: this.#excl(opts.exclude, opts), payload: true });
    const wm = this.#scorer.wm;
    return f(wm, countPayload(wm, r.payloadPos!, r.payloadColour!));
  }

  #input(input: TextInput | ArrayLike<number>, opts: DetectOptions): { tokens: ArrayLike<number>; text?: string } {
    if (typeof input === 'string' || input instanceof Uint8Array) {
      const text = this.#text(input, opts);
      return { tokens: this.#tk().encode(text).tokens, text };
    }
    this.#hf?.checkIds(input);
    return { tokens: input };
  }

  /** Access for the corpus scan (same scoring, same flags). */
  get scorer(): Scorer | EngineScorer {
    return this.#scorer;
  }
  /** The tokenizer (tiktoken: loaded on first use; hf:<directory>: SPEC_MISMATCH naming the path when it has no tokenizer.json). */
  get tokenizer(): TextTokenizer {
    return this.#tk();
  }
  get tokenizerOptions(): TokenizerOptions | undefined {
    return this.#tokOpts;
  }

  /** Free the tokenizer (WASM memory). The detector must not be used afterwards. */
  dispose(): void {
    this.#tokenizer?.dispose();
    this.#tokenizer = undefined;
    this.#disposed = true;
  }
}
