/**
 * One pooled document into the scan's state (totals, most-marked list), its callback and
 * its output line. The in-memory scan (scan.ts) and the out-of-core finalize
 * (external/finalize.ts) both end every document here, so their outputs are the same
 * bytes by construction, not by two copies kept in step.
 */
import type { DetectionResult } from '../detect.js';
import type { NovelResult } from '../pool/index.js';
import type { ScanPosition } from './checkpoint.js';
import type { DocOutput } from './doc-output.js';
import type { DocumentResult } from './scan.js';
import { countDocument, noteTop } from './tally.js';

export interface DocumentPlace {
  index: number;
  source: string;
  line: number;
  id?: string | undefined;
}

export interface RecordTo {
  keepTop: number;
  onDocument?: ((d: DocumentResult) => void | Promise<void>) | undefined;
  output?: DocOutput | undefined;
}

export async function recordDocument(at: ScanPosition, place: DocumentPlace, r: DetectionResult, novel: NovelResult, to: RecordTo): Promise<void> {
  const { index, source, line } = place;
  countDocument(at.totals, r);
  const id = place.id !== undefined ? { id: place.id } : {};
  noteTop(at.top, { index, source, line, ...id, tokens: r.tokens, scored: r.scored, lnP: r.lnP, log10P: r.log10P, novel: novel.scored }, to.keepTop);
  const out: DocumentResult = { index, source, line, ...id, result: r, novel };
  if (to.onDocument) await to.onDocument(out);
  if (to.output) await to.output.write(`${JSON.stringify(out)}\n`);
}
