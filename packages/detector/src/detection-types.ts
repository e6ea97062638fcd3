/**
 * The Detector's options and results (types only, plus the two spec questions every
 * caller asks: which scheme, and does it carry a payload).
 */
import { isEngineSpec, type AnySpec, type EngineSchemeName, type EngineStatistic, type WatermarkSpec } from '@tracemark/watermark';
import type { PayloadResult } from './payload.js';
import type { TestName } from './pvalue.js';
import type { Engine, ExclusionSet, FLAG_NAMES } from './scorer.js';
import type { TokenizerOptions } from './tokenizer.js';

export interface DetectorOptions {
  /** 'wasm' (default) or 'reference' (the watermark package's own code path; slower, same results). */
  engine?: Engine;
  tokenizer?: TokenizerOptions;
  /** Below this many scored tuples a result is flagged `tooShort` (default 16). Its p-value stays valid. */
  minScoredTokens?: number;
  /** Special-token ids for pre-tokenized input with an `hf:` tokenizer (tiktoken ones are known). */
  specialTokens?: Iterable<number>;
  /** Default of DetectOptions.normalize for this detector (default false: score the text as given). */
  normalize?: NormalizeMode;
}

/**
 * Text as a string, or UTF-8 bytes (validated: invalid UTF-8 is an error, never replaced).
 * A leading BOM (U+FEFF) is dropped from either (see toText): the same text scores the
 * same whether given as a string or as bytes, and character offsets index the text
 * after it.
 */
export type TextInput = string | Uint8Array;

export interface DetectOptions {
  /** Score each (window, token) tuple once (default true). Turning it off breaks the null; research only. */
  dedup?: boolean;
  /**
   * Texts the generator was given (prompt, system prompt, earlier turns), as
   * text or token ids, or a prepared ExclusionSet: positions whose window
   * occurs inside them are not scored.
   */
  exclude?: ExclusionSet | readonly (TextInput | ArrayLike<number>)[];
  /**
   * Normalise text input (and exclusion texts) with normalizeText before tokenizing:
   * NFKC, zero-width/format characters removed, Latin lookalikes mapped back. Token
   * input is never changed; character offsets index the text as given (mapped back).
   * 'auto': when normalisation changes the text, test both versions and report the smaller
   * p doubled (`normalization` in the result); otherwise the text as given, unpenalised.
   * Whether normalisation changes a text does not depend on the key, so either way the
   * p-value stays valid. Default: the detector's `normalize` option (off unless set).
   */
  normalize?: NormalizeMode;
  /**
   * Engine specs whose first contexts reach into the prompt (SGLang, HF KGW): the prompt
   * the text answered, as text or ids. Without it those first positions are not read.
   */
  prompt?: TextInput | ArrayLike<number>;
}

/** tracemark's own schemes by name, engine schemes as `<engine>/<algorithm>`. */
export type SchemeName = WatermarkSpec['scheme']['name'] | EngineSchemeName;

/** Does the spec carry a payload (tracemark's KGW with an id)? Engine specs never do. */
export function hasPayload(spec: AnySpec): spec is WatermarkSpec & { payload: NonNullable<WatermarkSpec['payload']> } {
  return !isEngineSpec(spec) && spec.payload !== null;
}

export function schemeNameOf(spec: AnySpec): SchemeName {
  return isEngineSpec(spec) ? spec.engine.scheme : spec.scheme.name;
}

export interface DetectionResult {
  scheme: SchemeName;
  keyFingerprint: string;
  specId?: string;
  /** Tokens in the text. */
  tokens: number;
  /** Scored (window, token) tuples: the n of the test. */
  scored: number;
  duplicates: number;
  excluded: number;
  /** Positions with fewer than h tokens before them. */
  noContext: number;
  /** Special-token positions (pre-tokenized input). */
  special: number;
  /** Special-token strings in the text, tokenized as ordinary text. */
  specialStrings: number;
  /** Runs of > maxRunChars without whitespace change that were cut to bound BPE cost. */
  chunkedRuns: number;
  dedup: boolean;
  /** Fewer than minScoredTokens scored: the p-value is valid but has little power. */
  tooShort: boolean;
  test: TestName | 'payload';
  /** Score sum (kgw: green count; synthid: Σ g-values; gumbel: Σ −ln(1−r); payload: tokens agreeing with the decoded id). */
  score: number;
  /** Binomial trials behind the score (n·m for synthid). */
  trials: number;
  /** Expected score under H0. */
  expected: number;
  /** Summary only; the p-value is exact and does not use it. */
  z: number;
  lnP: number;
  log10P: number;
  pValue: string;
  /** For specs with a payload: the decoded id; lnP above is then "carries some id", corrected over all ids. */
  payload?: PayloadResult;
  /** Engine specs: the engine's own detector on the same tokens (its dedup, its null), to reconcile with p above. */
  engine?: EngineStatistic;
  /**
   * normalize: 'auto' on a text that normalizeText changes: both versions were tested and the
   * smaller p reported doubled (Bonferroni over the two), so it stays a valid p-value.
   */
  normalization?: Normalization;
}

export interface Normalization {
  rule: 'min-of-two, Bonferroni x2';
  scored: 'as-given' | 'normalized';
  lnPAsGiven: number;
  lnPNormalized: number;
}

/** How text input is normalised: as given (false), always (true), or both when it changes ('auto'). */
export type NormalizeMode = boolean | 'auto';

export interface TokenMarks {
  tokens: Uint32Array;
  flags: Uint8Array;
  /** NaN where not scored. */
  scores: Float64Array;
  /** UTF-16 offsets (length tokens + 1) when the input was text. */
  charOffsets?: Int32Array;
}

export interface TokenMark {
  i: number;
  token: number;
  flag: (typeof FLAG_NAMES)[number];
  score: number | null;
  start?: number;
  end?: number;
}
