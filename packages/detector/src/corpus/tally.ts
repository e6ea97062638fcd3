/**
 * What a scan counts besides the pool: document totals and the most marked documents.
 * Both live in the checkpoint, so they are plain data with zod schemas.
 */
import { z } from 'zod';
import type { DetectionResult } from '../detect.js';

const count = z.number().int().min(0);

export const ScanTotalsSchema = z.strictObject({
  documents: count,
  emptyDocuments: count,
  skippedLines: count,
  tokens: count,
  scored: count,
  tooShortDocuments: count,
  chunkedRuns: count,
  specialStrings: count,
});
export type ScanTotals = z.infer<typeof ScanTotalsSchema>;

/** One line of the most-marked list: a document's own result, in brief. */
export const DocSummarySchema = z.strictObject({
  index: count,
  source: z.string(),
  line: count,
  id: z.string().optional(),
  tokens: count,
  scored: count,
  lnP: z.number(),
  log10P: z.number(),
  novel: count,
});
export type DocSummary = z.infer<typeof DocSummarySchema>;

export function emptyTotals(): ScanTotals {
  return { documents: 0, emptyDocuments: 0, skippedLines: 0, tokens: 0, scored: 0, tooShortDocuments: 0, chunkedRuns: 0, specialStrings: 0 };
}

export function countDocument(t: ScanTotals, r: DetectionResult): void {
  t.documents++;
  t.tokens += r.tokens;
  t.scored += r.scored;
  if (r.tooShort) t.tooShortDocuments++;
  t.chunkedRuns += r.chunkedRuns;
  t.specialStrings += r.specialStrings;
}

/** Keep the `keep` smallest per-document p-values (ties: earlier document first). */
export function noteTop(top: DocSummary[], d: DocSummary, keep: number): void {
  if (keep <= 0) return;
  top.push(d);
  top.sort((a, b) => a.lnP - b.lnP || a.index - b.index);
  if (top.length > keep) top.length = keep;
}
