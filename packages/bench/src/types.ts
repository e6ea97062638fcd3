/** The benchmark's configuration and result types (the JSON written by `tracemark bench`). */
import type { AttackConfig } from './attacks/index.js';
import type { FprVerdict, RateAt } from './metrics.js';
import type { SchemeSetting } from './schemes.js';

export interface BenchConfig {
  seed: number;
  schemes: SchemeSetting[];
  /** Generation lengths T (tokens), ascending. */
  lengths: number[];
  temperatures: number[];
  /** Watermarked samples per scheme × temperature (and plain samples per temperature). */
  samples: number;
  /** Human null texts (at most; the calibration split bounds it). */
  nullSamples: number;
  /** False-positive rates: reject iff p ≤ FPR. */
  fprs: number[];
  attacks: AttackConfig[];
  /** Tokens of the watermarked text the attacks start from. */
  attackLength: number;
  attackTemperature: number;
  /** Total tokens of a copy-paste text (human host + pasted spans). */
  copyPasteTokens: number;
  /** OpenAI-compatible endpoint for the paraphrase/translate attacks. */
  paraphrase?: { url: string; model: string };
  /** Worker threads (0: in this thread). Results do not depend on it. */
  workers: number;
  quick: boolean;
}

export interface ConfigJson extends Omit<BenchConfig, 'schemes' | 'attacks' | 'workers'> {
  schemes: string[];
  attacks: string[];
}

export type NullRateAt = RateAt & { verdict: FprVerdict };

export interface DetectionRow {
  scheme: string;
  temperature: number;
  length: number;
  samples: number;
  meanTokens: number;
  meanScored: number;
  medianLog10P: number;
  tpr: RateAt[];
}

export interface FprRow {
  scheme: string;
  /** 'human' or 'model@<temperature>'. */
  nullSet: string;
  length: number;
  texts: number;
  rows: NullRateAt[];
}

/** A null set re-tested with fresh keys after one of its cells came out anti-conservative. */
export interface FprRecheckRow {
  scheme: string;
  nullSet: string;
  keys: number;
  texts: number;
  lengths: { length: number; rows: NullRateAt[] }[];
}

/** Multiplicity: per-cell 95% intervals vs simultaneous (Bonferroni) ones over all cells of a family. */
export interface NullSummary {
  cells: number;
  /** Cells whose 95% interval lies above the nominal FPR. */
  perCellAbove: number;
  /** Cells whose simultaneous interval (level 1 − 0.05/cells) lies above it. */
  familywiseAbove: number;
  /** Cells whose 95% interval misses the nominal FPR on either side. */
  perCellMiss: number;
  familywiseMiss: number;
}

export interface SizeRow {
  scheme: string;
  temperature: number;
  horizon: number;
  samples: number;
  alphas: {
    alpha: number;
    /** Median tokens until p stays ≤ α (null: beyond the horizon). */
    median: number | null;
    q1: number | null;
    q3: number | null;
    /** Share whose p ever reached α within the horizon. */
    everDetected: number;
    /** Share with p ≤ α at the horizon. */
    detectedAtHorizon: number;
    /** Per sample (null = p > α at the horizon), for the charts. */
    sizes: (number | null)[];
  }[];
}

export interface QualityRow {
  /** 'none' for plain text. */
  scheme: string;
  temperature: number;
  samples: number;
  tokens: number;
  /** exp(mean −ln P) of the generated tokens under the unwatermarked reference model. */
  perplexity: number;
  /** Ratio to plain text at the same temperature. */
  perplexityRatio: number;
  distinct2: number;
  distinct3: number;
}

export interface AttackRow {
  attack: string;
  name: AttackConfig['name'];
  description: string;
  param: string;
  scheme: string;
  samples: number;
  /** Mean over samples of changed/eligible units (what the attack actually did). */
  appliedRate: number | null;
  meanTokens: number;
  medianLog10P: number;
  /** Whole-text test on the attacked text. */
  tpr: RateAt[];
  /** The same after normalizeText (the defence). */
  tprNormalized: RateAt[];
  /** Copy-paste: best-window test, Bonferroni-corrected over the windows scanned. */
  tprWindowed?: RateAt[];
  medianLog10PWindowed?: number;
}

/** Engine schemes: how often the engine's own detector calls the texts watermarked (engine-own.ts). */
export interface EngineOwnRow {
  scheme: string;
  /** 'marked@<temperature>' (the watermarked samples) or 'human' (the human null texts). */
  set: string;
  length: number;
  texts: number;
  /** The engine statistic's name, in the engine's words. */
  statistic: string;
  /** 'verdict' (the engine's own, at its default threshold), 'p ≤ 0.01' (its p-value), or 'none'. */
  rule: string;
  called: number;
  /** called / texts; null when the engine gives neither a verdict nor a p-value. */
  rate: number | null;
}

export interface CopyPasteNullRow {
  scheme: string;
  texts: number;
  meanTokens: number;
  whole: NullRateAt[];
  windowed: NullRateAt[];
}

export interface BenchResults {
  tool: 'tracemark bench';
  format: number;
  config: ConfigJson;
  environment: {
    node: string;
    packages: Record<string, string>;
    model: { id: string; order: number; vocabSize: number; endOfText: string };
    tokenizer: string;
    corpusFingerprint: string;
    normalization: string;
  };
  schemes: { id: string; label: string; keyFingerprint: string; spec: unknown }[];
  data: {
    prompts: { split: 'heldout'; count: number };
    humanNull: { split: 'calibration'; texts: number; tokens: number };
    copyPasteHosts: { split: 'heldout'; texts: number; tokens: number };
  };
  detection: DetectionRow[];
  sanity: DetectionRow[];
  fpr: FprRow[];
  size: SizeRow[];
  quality: QualityRow[];
  attacks: AttackRow[];
  copyPasteNull: CopyPasteNullRow[];
  /** Anti-conservative null sets re-tested with fresh keys. */
  fprRecheck: FprRecheckRow[];
  /** Engine schemes only (absent without them): the engines' own detectors on the same texts. */
  engineOwn?: EngineOwnRow[];
  /** Multiplicity over the sanity cells and the null-set cells. */
  nullSummary: { sanity: NullSummary; fpr: NullSummary; copyPaste: NullSummary };
  /** Wall-clock measurements: the only fields that differ between runs of the same seed. */
  timing: {
    totalSeconds: number;
    workers: number;
    phases: Record<string, number>;
    generation: { scheme: string; temperature: number; tokens: number; tokensPerSecond: number }[];
    detection: { scheme: string; tokens: number; tokensPerSecond: number }[];
  };
}
