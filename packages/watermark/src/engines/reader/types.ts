// The reading of one text under an engine scheme, in the shape tracemark's detector
// needs: which positions the engine keyed, what each position's PRF read besides the
// token (so identical inputs are scored once), and tracemark's per-position score
// under an exact null model. The engine's own statistic is reported beside it.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineScheme, EngineSpec } from '../../engine-spec.js';
import type { NullModel } from '../../watermark.js';

export interface EngineRead {
  readonly n: number;
  /** 1 where the engine keys the position (it has the context the engine's rule needs), else 0. */
  readonly keyed: Uint8Array;
  /**
   * 64-bit identity of everything the PRF reads at the position besides the token: the
   * context tuple's digest, or the engine's seed where the seed is coarser (SGLang's 32-bit
   * context hash, HF KGW's 32-bit MT seed, SBW's seed). Equal (id, token) ⇒ equal score.
   */
  readonly idHi: Int32Array;
  readonly idLo: Int32Array;
  /** Digest of the context tokens alone (prompt exclusion: "this context was in the prompt"). */
  readonly ctxHi: Int32Array;
  readonly ctxLo: Int32Array;
  /** tracemark's score at keyed positions (NaN elsewhere): Exp(1) or a count of Bernoulli trials under the null. */
  readonly score: Float64Array;
}

/** The engine's own detector, computed as the engine computes it (for reconciling the two numbers). */
export interface EngineStatistic {
  readonly engine: string;
  /** What the number is, in the engine's words (e.g. "Gamma tail p over distinct contexts"). */
  readonly name: string;
  /** Positions the engine's detector scored (its own dedup rule). */
  readonly scored: number;
  readonly statistic: number;
  readonly z: number | null;
  /** The engine's p-value; null where the engine has none (SynthID's trained detector). */
  readonly pValue: number | null;
  /** The engine's verdict at its default threshold; null where it has none. */
  readonly watermarked: boolean | null;
}

export interface EngineReaderOptions {
  /** Prompt ids, for engines whose first contexts reach into the prompt (SGLang, HF KGW). */
  readonly prompt?: ArrayLike<number>;
}

export interface EngineReader {
  readonly spec: EngineSpec;
  readonly scheme: EngineScheme;
  readonly keyFingerprint: string;
  readonly nullModel: NullModel;
  /** Tokens of context the engine reads before a position (display, planning). */
  readonly contextWidth: number;
  read(tokens: ArrayLike<number>, opts?: EngineReaderOptions): EngineRead;
  engineStatistic(tokens: readonly number[], opts?: EngineReaderOptions): EngineStatistic;
}

export type ReaderFactory = (spec: EngineSpec, key: EngineKey) => EngineReader;

export function newRead(n: number): EngineRead {
  return {
    n,
    keyed: new Uint8Array(n),
    idHi: new Int32Array(n),
    idLo: new Int32Array(n),
    ctxHi: new Int32Array(n),
    ctxLo: new Int32Array(n),
    score: new Float64Array(n).fill(NaN),
  };
}
