/**
 * The probe with its optional sequential test (`tracemark probe --until-evidence`):
 * without `evidence` it is runProbe; with it every answer is scored as it lands in
 * the transcript, and probing stops once the anytime-valid evidence reaches 1/α (or
 * a query / token budget is spent). The summary then carries the sequential result.
 */
import { usage } from '@tracemark/detector';
import { runProbe, type ProbeOptions, type ProbeSummary } from './probe/run.js';
import { EvidenceWatch, type SequentialProbe, type UntilEvidenceOptions } from './until-evidence.js';

export type ProbeReport = ProbeSummary & { sequential?: SequentialProbe };

export async function probeWithEvidence(o: Omit<ProbeOptions, 'onAnswer'>, evidence?: UntilEvidenceOptions): Promise<ProbeReport> {
  const watch = evidence ? evidenceWatch(evidence) : undefined;
  try {
    const r = await runProbe({ ...o, ...(watch ? { onAnswer: (l) => watch.feed(l) } : {}) });
    return watch ? { ...r, sequential: watch.summary() } : r;
  } finally {
    watch?.dispose();
  }
}

/** The watch, with its refusal of the settings (a RangeError) as a usage error of --until-evidence. */
function evidenceWatch(o: UntilEvidenceOptions): EvidenceWatch {
  try {
    return new EvidenceWatch(o);
  } catch (e) {
    if (e instanceof RangeError) throw usage(`--until-evidence: ${e.message}`);
    throw e;
  }
}
