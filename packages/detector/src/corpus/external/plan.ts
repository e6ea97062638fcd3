/**
 * The plan of an out-of-core scan: everything its jobs need to agree on, as plain JSON
 * (scan-dir/plan.json), so that map and reduce jobs can run in other threads, processes
 * or machines. It names the spec (public), the inputs with their sizes, the options that
 * change the numbers, the partition count and the shards.
 *
 * A shard is a contiguous piece of the input in document order: a whole file, or a byte
 * range of an uncompressed file cut at a line boundary (JSONL) or after a blank line
 * (text paragraphs), so no document straddles two shards and the pieces read in order
 * give the documents, and line numbers, of the whole file (readers.ts ByteRange). A
 * document's place in the corpus is (shard, index in shard): the scan's document order.
 *
 * The plan's hash (sha256 of its JSON) is stamped into every file and done marker of
 * the scan, so a file of another plan is never read as this one's.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { z } from 'zod';
import { canonicalJson, parseAnySpec, type AnySpec } from '@tracemark/watermark';
import type { DetectorOptions } from '../../detect.js';
import { DetectorError } from '../../errors.js';
import { sha256Hex, specId } from '../../io/keys.js';
import { vocabSizeOf } from '../../tokenizers/index.js';
import { formatOf, type ByteRange, type ReaderOptions } from '../readers.js';
import { assertLittleEndian } from './format.js';

export const PLAN_VERSION = 1;
/** Default shard size: big enough that per-shard files stay few, small enough to spread over machines. */
export const DEFAULT_SHARD_BYTES = 64 * 1024 * 1024;
/** Default partitions (2^4): as many as the in-memory scan's, up to 16 reduce jobs at once. */
export const DEFAULT_PARTITION_BITS = 4;

const count = z.number().int().min(0);

const ReaderSchema = z.strictObject({
  format: z.enum(['auto', 'text', 'jsonl']).optional(),
  textMode: z.enum(['paragraph', 'file']).optional(),
  field: z.string().optional(),
  idField: z.string().optional(),
  skipMalformed: z.boolean().optional(),
  maxDocBytes: z.number().int().positive().optional(),
  ids: z.strictObject({ field: z.string().optional(), promptField: z.string().optional(), vocabSize: z.number().int().positive().optional() }).optional(),
});

export const ShardSchema = z.strictObject({
  /** Index into inputs. */
  file: count,
  /** A byte range of the file (absent: the whole file). */
  range: z.strictObject({ start: count, end: count, firstLine: z.number().int().min(1) }).optional(),
});
export type Shard = z.infer<typeof ShardSchema>;

export const ScanPlanSchema = z.strictObject({
  type: z.literal('tracemark-scan-plan'),
  version: z.literal(PLAN_VERSION),
  specId: z.string(),
  keyFingerprint: z.string(),
  spec: z.record(z.string(), z.unknown()),
  inputs: z.array(z.strictObject({ path: z.string(), bytes: count })).min(1),
  shards: z.array(ShardSchema).min(1),
  /** log2 of the partition count: a tuple's partition is partitionOf(…, bits) (tupleset.ts). */
  partitionBits: z.number().int().min(0).max(12),
  options: z.strictObject({
    reader: ReaderSchema,
    dedup: z.boolean(),
    exclude: z.array(z.union([z.string(), z.array(count)])),
    detector: z.record(z.string(), z.unknown()),
  }),
});
export type ScanPlan = z.infer<typeof ScanPlanSchema>;

export interface PlanOptions extends ReaderOptions {
  /** Per-document dedup (default true). */
  dedup?: boolean;
  exclude?: readonly (string | ArrayLike<number>)[];
  detector?: DetectorOptions;
  /** Uncompressed files above this are cut into shards of about this size (default 64 MiB). */
  shardBytes?: number;
  /** log2 of the partitions (default 4: 16 partitions). */
  partitionBits?: number;
}

export function planScan(spec: AnySpec, inputs: readonly string[], opts: PlanOptions = {}): ScanPlan {
  assertLittleEndian();
  if (inputs.length === 0) throw new DetectorError('BAD_OPTION', 'no input files');
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!(Number.isInteger(shardBytes) && shardBytes >= 1)) throw new DetectorError('BAD_OPTION', 'shardBytes must be a positive integer');
  const bits = opts.partitionBits ?? DEFAULT_PARTITION_BITS;
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 12)) throw new DetectorError('BAD_OPTION', 'partitionBits must be an integer in [0, 12]');
  let reader: ReaderOptions = readerOf(opts);
  // token-id documents: ids must lie in the tokenizer's vocabulary when it is known here (as scanCorpus)
  if (reader.ids && reader.ids.vocabSize === undefined) {
    const vocabSize = vocabSizeOf(spec.tokenizer);
    if (vocabSize !== undefined) reader = { ...reader, ids: { ...reader.ids, vocabSize } };
  }
  const files = inputs.map((path) => {
    try {
      return { path, bytes: statSync(path).size };
    } catch {
      throw new DetectorError('IO_ERROR', `corpus file not found: ${path}`);
    }
  });
  const shards: Shard[] = [];
  files.forEach((f, i) => {
    const splittable = !/\.gz$/i.test(f.path) && !(formatOf(f.path, reader.format) === 'text' && (reader.textMode ?? 'paragraph') === 'file');
    if (!splittable || f.bytes <= shardBytes) shards.push({ file: i });
    else for (const range of cutFile(f.path, f.bytes, shardBytes, formatOf(f.path, reader.format) === 'jsonl')) shards.push({ file: i, range });
  });
  const { specialTokens, ...detector } = opts.detector ?? {};
  return {
    type: 'tracemark-scan-plan',
    version: PLAN_VERSION,
    specId: specId(spec),
    keyFingerprint: spec.keyFingerprint,
    spec: spec as unknown as Record<string, unknown>,
    inputs: files,
    shards,
    partitionBits: bits,
    options: {
      reader: JSON.parse(JSON.stringify(reader)) as ScanPlan['options']['reader'],
      dedup: opts.dedup ?? true,
      exclude: (opts.exclude ?? []).map((t) => (typeof t === 'string' ? t : Array.from(t))),
      detector: JSON.parse(JSON.stringify({ ...detector, ...(specialTokens ? { specialTokens: [...specialTokens] } : {}) })) as Record<string, unknown>,
    },
  };
}

function readerOf(o: ReaderOptions): ReaderOptions {
  const { format, textMode, field, idField, skipMalformed, maxDocBytes, ids } = o;
  return Object.fromEntries(Object.entries({ format, textMode, field, idField, skipMalformed, maxDocBytes, ids }).filter(([, v]) => v !== undefined));
}

/** The plan's identity: stamped into every file of the scan (canonical JSON: key order does not matter). */
export function planHash(plan: ScanPlan): string {
  return sha256Hex(canonicalJson(plan)).slice(0, 32);
}

/** A plan read from JSON (plan.json, a queue message): checked with zod, the spec parsed. */
export function parsePlan(json: unknown, where: string): { plan: ScanPlan; spec: AnySpec } {
  const r = ScanPlanSchema.safeParse(json);
  if (!r.success) throw new DetectorError('BAD_OPTION', `${where}: not a tracemark scan plan (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
  let spec: AnySpec;
  try {
    spec = parseAnySpec(r.data.spec);
  } catch (e) {
    throw new DetectorError('BAD_OPTION', `${where}: the plan's spec is invalid (${(e as Error).message})`);
  }
  if (specId(spec) !== r.data.specId || r.data.shards.some((s) => s.file >= r.data.inputs.length)) throw new DetectorError('BAD_OPTION', `${where}: the plan is inconsistent (spec id or shard files)`);
  return { plan: r.data, spec };
}

/** The input file of a shard, checked against the size the plan recorded (a changed input is refused). */
export function shardInput(plan: ScanPlan, shard: number): { path: string; range?: ByteRange } {
  const s = plan.shards[shard];
  if (!s) throw new DetectorError('BAD_OPTION', `shard ${shard} is outside the plan's ${plan.shards.length} shards`);
  const f = plan.inputs[s.file]!;
  let size: number;
  try {
    size = statSync(f.path).size;
  } catch {
    throw new DetectorError('IO_ERROR', `corpus file not found: ${f.path}`);
  }
  if (size !== f.bytes) throw new DetectorError('BAD_OPTION', `${f.path}: ${size} bytes, the plan recorded ${f.bytes}: the input changed since the scan was planned`);
  return s.range ? { path: f.path, range: s.range } : { path: f.path };
}

const BLANK = new Set([0x20, 0x09, 0x0d, 0x0b, 0x0c]);

/**
 * Byte ranges of about `target` bytes, cut after a line end (JSONL) or after a blank line
 * (text paragraphs: only ASCII whitespace, which the reader also takes as blank), with the
 * 1-based number of each range's first line. One pass over the file, hopping newlines.
 */
function cutFile(path: string, size: number, target: number, jsonl: boolean): ByteRange[] {
  const out: ByteRange[] = [];
  const fd = openSync(path, 'r');
  const block = Buffer.alloc(1 << 20);
  let start = 0, firstLine = 1;
  let line = 1, blank = true; // the current line's number, and whether it is blank so far
  let pos = 0;
  try {
    while (pos < size) {
      const n = readSync(fd, block, 0, block.length, pos);
      if (n === 0) break;
      const buf = block.subarray(0, n);
      let i = 0;
      while (i < n) {
        const nl = buf.indexOf(10, i);
        const lineEnd = nl < 0 ? n : nl;
        // a text line's first byte is almost never blank: this loop usually stops at once
        for (let k = i; blank && k < lineEnd; k++) if (!BLANK.has(buf[k]!)) blank = false;
        if (nl < 0) break;
        const end = pos + nl + 1;
        if (end - start >= target && end < size && (jsonl || blank)) {
          out.push({ start, end, firstLine });
          start = end;
          firstLine = line + 1;
        }
        line++;
        blank = true;
        i = nl + 1;
      }
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  out.push({ start, end: size, firstLine });
  return out;
}
