/**
 * scanCorpus out of core: plan the corpus into shards and partitions, run the jobs on this
 * machine (local.ts) in the spill directory — a temporary one, removed afterwards, when
 * none was given — and finalize to the summary and per-document file of the in-memory scan.
 * A given spill directory is kept: rerunning the same scan there skips the finished jobs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineKey, WatermarkKey, AnySpec } from '@tracemark/watermark';
import { DetectorError } from '../../errors.js';
import type { ScanOptions, ScanSummary } from '../scan.js';
import type { ModeChoice } from './choose.js';
import { runScanLocally } from './local.js';
import { planScan } from './plan.js';

export async function scanOutOfCore(watermark: { spec: AnySpec; key: WatermarkKey | EngineKey }, files: readonly string[], opts: ScanOptions, choice: ModeChoice, workers: number): Promise<ScanSummary> {
  if (opts.checkpoint !== undefined || opts.resume || opts.limit !== undefined || opts.signal !== undefined) {
    throw new DetectorError('BAD_OPTION', 'an out-of-core scan resumes from its spill directory: it takes no checkpoint, resume, limit or signal');
  }
  const { format, textMode, field, idField, skipMalformed, maxDocBytes, ids } = opts;
  const plan = planScan(watermark.spec, files, {
    ...Object.fromEntries(Object.entries({ format, textMode, field, idField, skipMalformed, maxDocBytes, ids }).filter(([, v]) => v !== undefined)),
    ...(opts.dedup !== undefined ? { dedup: opts.dedup } : {}),
    ...(opts.exclude !== undefined ? { exclude: opts.exclude } : {}),
    ...(opts.detector !== undefined ? { detector: opts.detector } : {}),
    ...(opts.shardBytes !== undefined ? { shardBytes: opts.shardBytes } : {}),
  });
  const temp = opts.spillDir === undefined;
  const dir = opts.spillDir ?? mkdtempSync(join(tmpdir(), 'tracemark-scan-'));
  try {
    const s = await runScanLocally(plan, dir, watermark.key, {
      workers,
      memoryBytes: choice.buffers,
      ...(opts.output !== undefined ? { output: opts.output } : {}),
      ...(opts.keepTop !== undefined ? { keepTop: opts.keepTop } : {}),
      ...(opts.onDocument !== undefined ? { onDocument: opts.onDocument } : {}),
    });
    return { ...s, mode: { outOfCore: true, why: choice.why } };
  } finally {
    if (temp) rmSync(dir, { recursive: true, force: true });
  }
}
