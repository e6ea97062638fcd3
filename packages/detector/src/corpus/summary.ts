/**
 * The scan summary from a finished pool and tallies: one function for the in-memory scan
 * (scan.ts) and the out-of-core one (external/finalize.ts), so both report the same
 * fields in the same order.
 */
import type { AnySpec } from '@tracemark/watermark';
import { schemeNameOf } from '../detect.js';
import type { EvidencePool } from '../pool/index.js';
import type { ScanPosition } from './checkpoint.js';
import type { ScanSummary } from './scan.js';
import type { ScanTotals } from './tally.js';

export function summaryOf(spec: AnySpec, files: number, workers: number, at: ScanPosition, pool: EvidencePool, dedup: { entries: number; bytes: number } | undefined, keepTop: number, resumedFrom: number | undefined): ScanSummary {
  const t: ScanTotals = at.totals;
  return {
    scheme: schemeNameOf(spec),
    keyFingerprint: spec.keyFingerprint,
    files,
    documents: t.documents,
    emptyDocuments: t.emptyDocuments,
    skippedLines: t.skippedLines,
    tokens: t.tokens,
    scored: t.scored,
    tooShortDocuments: t.tooShortDocuments,
    chunkedRuns: t.chunkedRuns,
    specialStrings: t.specialStrings,
    pooled: pool.pooled(dedup),
    fisher: pool.fisher(),
    workers,
    ...(keepTop > 0 ? { mostMarked: at.top } : {}),
    ...(resumedFrom !== undefined ? { progress: { complete: at.complete, resumedFrom, documentsDone: at.docsDone } } : {}),
  };
}
