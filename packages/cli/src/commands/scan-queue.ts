/**
 * `tracemark scan --queue redis://… --shared-dir DIR [--shards N]`: the scan as map and
 * reduce jobs on a BullMQ queue in Redis, run by `tracemark worker` processes on any
 * machines that mount DIR (and the corpus and key file) at the same paths. The summary
 * is the one `tracemark scan` prints for the same corpus: the coordinator finalizes with
 * the same pooling in document order (@tracemark/scan-queue, docs/SCALE.md).
 *
 * @tracemark/scan-queue (bullmq, ioredis) is loaded only when --queue is given, so other
 * commands do not pay for it.
 */
import type { Command } from 'commander';
import { CliError, failure, usage, type ReaderOptions, type ScanSummary } from '@tracemark/detector';
import type { AnySpec, EngineKey, WatermarkKey } from '@tracemark/watermark';
import { intFlag } from '../io/args.js';
import { currentIo, eprintln, warn, type Progress } from '../io/output.js';

export interface QueueScanFlags {
  queue?: string;
  shards?: string;
  sharedDir?: string;
  attempts?: string;
  partitionBits?: string;
}

export function addQueueScanOptions(cmd: Command): Command {
  return cmd
    .option('--queue <url>', 'run the scan as jobs on a BullMQ queue in Redis (redis://host:port[/db]), for `tracemark worker` processes on any machines; needs --shared-dir; --memory is then each reduce job\'s budget')
    .option('--shared-dir <dir>', 'with --queue: a directory every worker mounts at the same path (the plan and the jobs\' files)')
    .option('--shards <n>', 'with --queue: cut the corpus into about n map jobs (default: pieces of 64 MiB; files are never merged, .gz files never cut)')
    .option('--attempts <n>', 'with --queue: attempts per job before the scan fails', '3')
    .option('--partition-bits <b>', 'with --queue: 2^b partitions, i.e. reduce jobs (0–12; default 4: 16); more lets more machines reduce at once');
}

/** The --queue flags checked against the rest; true when the scan runs on the queue. */
export function queueRequested(f: QueueScanFlags & { checkpoint?: string; resume?: boolean; limit?: string; workers: string }): boolean {
  if (f.queue === undefined) {
    for (const [flag, v] of [['--shared-dir', f.sharedDir], ['--shards', f.shards], ['--partition-bits', f.partitionBits]] as const) if (v !== undefined) throw usage(`${flag} needs --queue <redis-url>`);
    return false;
  }
  if (f.sharedDir === undefined) throw usage('--queue needs --shared-dir <dir>: a directory every worker mounts at the same path');
  if (f.checkpoint !== undefined || f.resume || f.limit !== undefined) throw usage('--queue scans are resumable by themselves (rerun the same command): drop --checkpoint, --resume and --limit');
  if (f.workers !== '0') throw usage('--queue: the workers are `tracemark worker` processes; drop --workers');
  return true;
}

export interface QueueScanInputs {
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  keyPath: string;
  files: string[];
  reader: ReaderOptions;
  exclude: string[];
  top: number;
  output?: string;
  memoryBytes?: number;
}

/** Run the scan on the queue; its summary (as scanCorpus returns it). */
export async function scanOnQueue(f: QueueScanFlags, x: QueueScanInputs, bar: Progress, signal: AbortSignal): Promise<ScanSummary> {
  const attempts = intFlag('attempts', f.attempts, 1, 100);
  const shards = f.shards !== undefined ? intFlag('shards', f.shards, 1, 1_000_000) : undefined;
  const partitionBits = f.partitionBits !== undefined ? intFlag('partition-bits', f.partitionBits, 0, 12) : undefined;
  const q = await import('@tracemark/scan-queue');
  try {
    const r = await q.runQueuedScan(x.spec, x.key, x.files, {
      ...x.reader,
      queue: f.queue!,
      sharedDir: f.sharedDir!,
      keyPath: x.keyPath,
      exclude: x.exclude,
      attempts,
      keepTop: x.top,
      ...(shards !== undefined ? { shards } : {}),
      ...(partitionBits !== undefined ? { partitionBits } : {}),
      ...(x.output !== undefined ? { output: x.output } : {}),
      ...(x.memoryBytes !== undefined ? { memoryBytes: x.memoryBytes } : {}),
      signal,
      // the run id is for people watching (a terminal), not for pipes
      log: (line) => void (currentIo().stderr.isTTY && eprintln(`tracemark: ${line}`)),
      warn,
      onProgress: (phase, done, total) => bar.update(done, total > 0 ? total : undefined, phase),
    });
    return r.summary;
  } catch (e) {
    if (e instanceof q.WaitInterrupted) throw new CliError('interrupted: the scan\'s jobs stay queued and the workers go on; rerun the same command to finish it', 130);
    if (e instanceof q.ScanQueueError) throw e.kind === 'usage' ? usage(e.message) : failure(e.message);
    throw e;
  }
}
