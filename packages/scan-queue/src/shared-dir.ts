/**
 * The shared directory of a queued scan: the plan, the run record and every job's files
 * (the detector's scan directory layout), on storage every machine mounts at the same
 * path. Checked up front so that a missing or read-only directory is one line, not a
 * job failing on each worker.
 *
 * The run record (queue-run.json) names the scan's queue run: the prefix of its job ids.
 * It is created with the plan and reused while the plan stays the same, so rerunning an
 * interrupted `scan --queue` finds its jobs (done ones stay done); a fresh directory gets
 * a fresh run id, so jobs a Redis still remembers from an earlier directory are never
 * taken as this scan's.
 */
import { accessSync, constants, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { planHash, savePlan, scanPaths, type ScanPlan } from '@tracemark/detector';
import { queueUsage } from './errors.js';

export function checkSharedDir(dir: string): string {
  const abs = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw queueUsage(`--shared-dir ${dir}: no such directory (create it on storage every worker mounts at the same path)`);
  }
  if (!isDir) throw queueUsage(`--shared-dir ${dir}: not a directory`);
  try {
    accessSync(abs, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch {
    throw queueUsage(`--shared-dir ${dir}: not writable by this user`);
  }
  return abs;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const b = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function readJson(path: string): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw queueUsage(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw queueUsage(`${path}: not valid JSON; the shared directory holds something else (use an empty directory)`);
  }
}

const RunRecordSchema = z.strictObject({
  type: z.literal('tracemark-queue-run'),
  version: z.literal(1),
  planHash: z.string().regex(/^[0-9a-f]{32}$/),
  run: z.string().regex(/^[0-9a-f]{16}$/),
});

export interface SharedScan {
  planPath: string;
  planHash: string;
  run: string;
  /** True when this directory already held this scan (an interrupted run is continued). */
  resumed: boolean;
}

/**
 * Put the plan (the detector's savePlan: atomic; a directory holding another scan's plan
 * is refused) and the run record in the shared directory, or find them there from an
 * earlier run of the same scan.
 */
export function prepareSharedDir(dir: string, plan: ScanPlan): SharedScan {
  const planPath = scanPaths.plan(dir);
  const runPath = join(dir, 'queue-run.json');
  const hash = planHash(plan);
  const hadPlan = existsSync(planPath);
  savePlan(dir, plan);
  const rec = RunRecordSchema.safeParse(readJson(runPath));
  if (hadPlan && rec.success && rec.data.planHash === hash) return { planPath, planHash: hash, run: rec.data.run, resumed: true };
  const run = randomBytes(8).toString('hex');
  writeJsonAtomic(runPath, { type: 'tracemark-queue-run', version: 1, planHash: hash, run });
  return { planPath, planHash: hash, run, resumed: false };
}
