/** What the radioactivity grid produces (plain JSON: docs/radioactivity-results.json). */
import type { GridSizes } from './definition.js';

export type FilterVariant = 'unfiltered' | 'supervised' | 'unsupervised';

export interface Cell {
  scheme: string;
  h: number;
  rho: number;
  variant: FilterVariant;
  queries: number;
  scored: number;
  log10P: number;
  decoys: number[];
  /** KS p of this run's decoy p-values (independent keys on one text). */
  decoyKs: number | null;
  filterWindows: number | null;
}

export interface GridResult {
  scheme: string;
  h: number;
  harvest: { responses: number; tokens: number };
  cells: Cell[];
  /** h = 1: sequential stopping on the students' answers. */
  pipeline: PipelineRow[];
  seconds: number;
}

export interface LeakRow {
  leakTokens: number;
  texts: number;
  harvesterTexts: number;
  humanTexts: number;
  hypotheses: number;
  method: string;
  named: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  textsNamedCorrectly: number;
  textsNamedWrongly: number;
  humanNamed: number;
  meanScored: number;
}

export interface CloneRow {
  clone: string;
  harvesters: number;
  queries: number;
  exclusivePositions: number;
  named: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  medianHarvesterScored: number;
  medianHarvesterRate: number | null;
  /** Tuples per harvester the exact test needs at that rate (power 0.9, level α / accounts). */
  tuplesNeeded: number | null;
}

export interface AttributionResult {
  spec: string;
  accounts: number;
  harvesters: number;
  leaks: LeakRow[];
  clones: CloneRow[];
  seconds: number;
}

export interface PipelineRow {
  scheme: string;
  h: number;
  rho: number;
  alpha: number;
  orderings: number;
  stoppedRuns: number;
  /** Median over all orderings (runs that never stopped count as +∞); null if fewer than half stopped. */
  medianStopQueries: number | null;
  medianStopTuples: number | null;
  p90StopQueries: number | null;
  /** The planner's fixed-N test at power 0.9 for the effect measured on all answers (an oracle plan). */
  fixedNTuples: number | null;
  fixedNQueries: number | null;
  qHat: number | null;
  maxQueries: number;
}

export interface InnocentRow {
  scheme: string;
  alpha: number;
  streams: number;
  cap: number;
  eAlarms: number;
  peekAlarms: number | null;
  peekEvery: number | null;
}

/** What one worker returns for its share of the jobs. */
export interface JobResults {
  grid: GridResult[];
  attribution: AttributionResult | null;
  innocent: InnocentRow[];
}

export interface RadioactivityResults extends JobResults {
  sizes: GridSizes;
  seconds: number;
  workers: number;
}
