/**
 * Where a scan's files live in its directory, and the done markers that say a job's
 * files are complete. A job writes its files atomically and its marker last (also
 * atomically), listing each file's size; a reader trusts a job's files only through a
 * valid marker of the same plan whose sizes match. A job killed at any point therefore
 * leaves either no marker (its outputs are redone, overwriting) or a complete set.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DetectorError } from '../../errors.js';
import { tempPathFor } from './format.js';

export const scanPaths = {
  plan: (dir: string): string => join(dir, 'plan.json'),
  mapDir: (dir: string, shard: number): string => join(dir, 'map', `s${shard}`),
  mapTuples: (dir: string, shard: number, partition: number): string => join(dir, 'map', `s${shard}`, `p${partition}.bin`),
  mapDocs: (dir: string, shard: number): string => join(dir, 'map', `s${shard}`, 'docs.bin'),
  mapDone: (dir: string, shard: number): string => join(dir, 'map', `s${shard}`, 'done.json'),
  reduceDir: (dir: string): string => join(dir, 'reduce'),
  reduced: (dir: string, partition: number): string => join(dir, 'reduce', `p${partition}.bin`),
  reduceDone: (dir: string, partition: number): string => join(dir, 'reduce', `p${partition}.done.json`),
};

const count = z.number().int().min(0);
const Files = z.record(z.string(), count);

export const MapDoneSchema = z.strictObject({
  type: z.literal('tracemark-scan-job'),
  version: z.literal(1),
  plan: z.string(),
  job: z.literal('map'),
  shard: count,
  /** Documents read (scored or empty). */
  documents: count,
  emptyDocuments: count,
  skippedLines: count,
  /** Scored tuples written to the partition files. */
  tuples: count,
  /** File name (in the shard's directory) → bytes. */
  files: Files,
});
export type MapDone = z.infer<typeof MapDoneSchema>;

export const ReduceDoneSchema = z.strictObject({
  type: z.literal('tracemark-scan-job'),
  version: z.literal(1),
  plan: z.string(),
  job: z.literal('reduce'),
  partition: count,
  /** Tuples read from the map files, and the distinct ones kept (first occurrences). */
  tuples: count,
  distinct: count,
  /** Files spilled to disk: hash pieces and their first occurrences (0: the partition fitted in the memory budget). */
  runs: count,
  files: Files,
});
export type ReduceDone = z.infer<typeof ReduceDoneSchema>;

/** Write a small JSON file atomically (temporary name, fsync, rename). */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'w', 0o644);
    const b = Buffer.from(JSON.stringify(value));
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    throw new DetectorError('IO_ERROR', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function ensureDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new DetectorError('IO_ERROR', `cannot create ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * A job's done marker, if present and valid for this plan with every listed file at its
 * size (in `fileDir`); undefined when absent. A marker that exists but is malformed,
 * foreign, or whose files changed is an error: something other than this scan wrote there.
 */
export function readDone<T extends MapDone | ReduceDone>(path: string, schema: z.ZodType<T>, plan: string, fileDir: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DetectorError('IO_ERROR', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DetectorError('IO_ERROR', `${path}: not valid JSON (a corrupt done marker)`);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new DetectorError('IO_ERROR', `${path}: not a done marker of a scan job (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
  if (r.data.plan !== plan) throw new DetectorError('IO_ERROR', `${path}: belongs to another scan plan (the directory holds another scan)`);
  for (const [name, bytes] of Object.entries(r.data.files)) {
    let size = -1;
    try {
      size = statSync(join(fileDir, name)).size;
    } catch {
      /* reported below */
    }
    if (size !== bytes) throw new DetectorError('IO_ERROR', `${join(fileDir, name)}: ${size < 0 ? 'missing' : `${size} bytes`}, its done marker records ${bytes}`);
  }
  return r.data;
}
