/**
 * The scan checkpoint: a JSON file holding the evidence pool's snapshot (its schema is
 * spread in below, so the checkpoint format IS the pool snapshot plus the scan's
 * position), the scan's totals and most-marked list, the number of documents done and
 * the bytes of per-document output that are final. It names what it was made for
 * (spec, key fingerprint, input files and sizes, the options that change the numbers)
 * and is refused for anything else. Written atomically (temporary file, fsync, rename):
 * a crash leaves the previous checkpoint intact.
 *
 * Version 2 (version 1 was the CLI's own format): totals carry chunkedRuns and
 * specialStrings, which scanCorpus reports and a resume must restore; the pool may
 * record its dedup overflow point and families; tuples come in set order.
 */
import { statSync } from 'node:fs';
import { z } from 'zod';
import { DetectorError } from '../errors.js';
import { readTextFile, writeFileAtomic } from '../io/files.js';
import type { EvidencePool } from '../pool/index.js';
import { decodeTuples, PoolSnapshotShape } from '../pool/snapshot.js';
import { DocSummarySchema, ScanTotalsSchema, type DocSummary, type ScanTotals } from './tally.js';

export const CHECKPOINT_VERSION = 2;

const count = z.number().int().min(0);

export const CheckpointSchema = z.strictObject({
  type: z.literal('tracemark-scan-checkpoint'),
  version: z.literal(CHECKPOINT_VERSION),
  specId: z.string(),
  keyFingerprint: z.string(),
  inputs: z.array(z.strictObject({ path: z.string(), bytes: z.number() })),
  options: z.record(z.string(), z.unknown()),
  complete: z.boolean(),
  /** Documents read so far (scored or empty): where a resume starts. */
  docsDone: count,
  /** Bytes of the per-document output written so far (truncated back to this on resume). */
  outputBytes: count,
  ...PoolSnapshotShape,
  totals: ScanTotalsSchema,
  top: z.array(DocSummarySchema),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** What a checkpoint was made for. */
export interface ScanIdentity {
  specId: string;
  keyFingerprint: string;
  inputs: { path: string; bytes: number }[];
  options: Record<string, unknown>;
}

/** The scan's state besides the pool. */
export interface ScanPosition {
  complete: boolean;
  docsDone: number;
  outputBytes: number;
  totals: ScanTotals;
  top: DocSummary[];
}

export function inputIdentity(files: readonly string[]): { path: string; bytes: number }[] {
  return files.map((f) => {
    try {
      return { path: f, bytes: statSync(f).size };
    } catch {
      throw new DetectorError('IO_ERROR', `corpus file not found: ${f}`);
    }
  });
}

export function checkpointExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `dedupTuples`: the scan's partitioned dedup set (the pool's own set otherwise). */
export function saveCheckpoint(path: string, id: ScanIdentity, pool: EvidencePool, at: ScanPosition, dedupTuples?: Int32Array): void {
  const c: Checkpoint = {
    type: 'tracemark-scan-checkpoint',
    version: CHECKPOINT_VERSION,
    ...id,
    complete: at.complete,
    docsDone: at.docsDone,
    outputBytes: at.outputBytes,
    ...pool.snapshot(dedupTuples),
    totals: at.totals,
    top: at.top,
  };
  writeFileAtomic(path, JSON.stringify(c));
}

/**
 * Restore `pool` (fresh) from the checkpoint; refuses one made for other inputs, spec, key
 * or options. Also returns the dedup set's tuples, for a scan whose set is partitioned.
 */
export function loadCheckpoint(path: string, id: ScanIdentity, pool: EvidencePool): { at: ScanPosition; dedupTuples: Int32Array } {
  const bad = (why: string): DetectorError => new DetectorError('BAD_OPTION', `${path}: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(path, 'checkpoint'));
  } catch (e) {
    if (e instanceof Error && e.name === 'CliError') throw e;
    throw bad('the checkpoint is not valid JSON');
  }
  const r = CheckpointSchema.safeParse(json);
  if (!r.success) throw bad(`not a tracemark scan checkpoint (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
  const c = r.data;
  if (c.specId !== id.specId || c.keyFingerprint !== id.keyFingerprint) throw bad('the checkpoint was made with another spec or key');
  if (JSON.stringify(c.inputs) !== JSON.stringify(id.inputs)) throw bad('the checkpoint was made for other input files (or they changed since)');
  if (JSON.stringify(c.options) !== JSON.stringify(id.options)) throw bad('the checkpoint was made with other scan options');
  try {
    pool.restore(c, 'checkpoint');
  } catch (e) {
    throw e instanceof DetectorError ? bad(e.message) : e;
  }
  return { at: { complete: c.complete, docsDone: c.docsDone, outputBytes: c.outputBytes, totals: c.totals, top: c.top }, dedupTuples: decodeTuples(c.tuples)! };
}
