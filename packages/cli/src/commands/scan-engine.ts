/**
 * The resumable corpus scan behind `tracemark scan --checkpoint`.
 *
 * It computes exactly what the detector's `scanCorpus` computes (same readers, same
 * per-document scoring, global deduplication in document order, the pooled exact test
 * and Fisher's combination over each document's novel tuples, summed in the same
 * order), but keeps its pooled state in a form that can be saved: the distinct tuples
 * seen so far (in first-seen order), the running sums, the Fisher accumulator and the
 * payload counts. A checkpoint is that state plus the number of documents done; it is
 * written atomically, so a crash leaves the previous checkpoint intact. Resuming
 * rebuilds the dedup set from the saved tuples, skips the documents already done, and
 * continues — the final numbers are bit-for-bit those of one uninterrupted run.
 * (The tests check both that and the equality with `scanCorpus`.)
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import {
  countPayload,
  decodePayload,
  Detector,
  DetectorError,
  formatPValue,
  gammaUpperTailLog,
  lnToLog10,
  readDocuments,
  schemeTest,
  testFromCounts,
  TupleSet,
  type DetectionResult,
  type FisherResult,
  type PooledResult,
  type ReaderOptions,
} from '@tracemark/detector';
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import { z } from 'zod';
import { failure, usage } from '@tracemark/detector';
import { readTextFile, writeFileAtomic } from '@tracemark/detector';

export const CHECKPOINT_VERSION = 1;

export interface DocSummary {
  index: number;
  source: string;
  line: number;
  id?: string;
  tokens: number;
  scored: number;
  lnP: number;
  log10P: number;
  novel: number;
}

export interface ScanTotals {
  documents: number;
  emptyDocuments: number;
  skippedLines: number;
  tokens: number;
  scored: number;
  tooShortDocuments: number;
}

/** Growable list of (hi, lo, token) triples: the global dedup set's contents in first-seen order. */
class TupleLog {
  data = new Int32Array(3 * 1024);
  n = 0;
  push(hi: number, lo: number, token: number): void {
    if (3 * (this.n + 1) > this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[3 * this.n] = hi;
    this.data[3 * this.n + 1] = lo;
    this.data[3 * this.n + 2] = token;
    this.n++;
  }
}

export class ScanState {
  readonly set = new TupleSet(1 << 12);
  readonly log = new TupleLog();
  scored = 0;
  sum = 0;
  fisherK = 0;
  fisherSum = 0;
  fisherComp = 0;
  counts: Int32Array | undefined;
  perPosition: Int32Array | undefined;
  totals: ScanTotals = { documents: 0, emptyDocuments: 0, skippedLines: 0, tokens: 0, scored: 0, tooShortDocuments: 0 };
  /** Documents read so far (scored or empty): where a resume starts. */
  docsDone = 0;
  /** The most marked documents (smallest per-document p), at most `keep`. */
  top: DocSummary[] = [];
  /** Bytes of the per-document output written so far (truncated back to this on resume). */
  outputBytes = 0;

  constructor(readonly detector: Detector) {
    const wm = detector.watermark;
    if (detector.spec.payload) {
      this.counts = new Int32Array(wm.payloadDigits * wm.payloadColours);
      this.perPosition = new Int32Array(wm.payloadDigits);
    }
  }

  /** Pool one scored document (same arithmetic, in the same order, as the detector's Pool.add). */
  add(r: ReturnType<Detector['scorer']['score']>): { scored: number; score: number; lnP: number } {
    const t = r.tuples!;
    const wm = this.detector.watermark;
    let n = 0, sum = 0, total = this.sum;
    let novelPos: Uint8Array | undefined, novelColour: Int8Array | undefined;
    if (this.counts) {
      novelPos = new Uint8Array(t.count);
      novelColour = new Int8Array(t.count);
    }
    for (let j = 0; j < t.count; j++) {
      const before = this.set.size;
      this.set.add(t.hi[j]!, t.lo[j]!, t.token[j]!);
      if (this.set.size === before) continue;
      this.log.push(t.hi[j]!, t.lo[j]!, t.token[j]!);
      const s = t.score[j]!;
      total += s;
      sum += s;
      if (novelPos) {
        novelPos[n] = r.payloadPos![j]!;
        novelColour![n] = r.payloadColour![j]!;
      }
      n++;
    }
    this.sum = total;
    this.scored += n;
    let lnP: number;
    if (this.counts) {
      const pc = countPayload(wm, novelPos!.subarray(0, n), novelColour!.subarray(0, n));
      for (let i = 0; i < pc.counts.length; i++) this.counts[i]! += pc.counts[i]!;
      for (let i = 0; i < pc.perPosition.length; i++) this.perPosition![i]! += pc.perPosition[i]!;
      const p = n > 0 ? decodePayload(wm, pc) : undefined;
      lnP = p ? p.lnP : 0;
      sum = p ? p.matched : 0;
    } else {
      lnP = schemeTest(wm.nullModel, n, sum).lnP;
    }
    if (n > 0) {
      this.fisherK++;
      const x = -lnP;
      const tt = this.fisherSum + x;
      this.fisherComp += Math.abs(this.fisherSum) >= Math.abs(x) ? this.fisherSum - tt + x : x - tt + this.fisherSum;
      this.fisherSum = tt;
    }
    return { scored: n, score: sum, lnP };
  }

  pooled(): PooledResult {
    const wm = this.detector.watermark;
    const base = { dedup: 'global' as const, dedupEntries: this.set.size, dedupBytes: this.set.bytes };
    const payload = this.counts ? { counts: this.counts, perPosition: this.perPosition! } : undefined;
    return { ...base, ...testFromCounts(wm, this.scored, this.sum, payload) };
  }

  fisher(): FisherResult {
    const k = this.fisherK;
    const x = this.fisherSum + this.fisherComp;
    const lnP = k === 0 ? 0 : x === Infinity ? -Infinity : Math.min(0, gammaUpperTailLog(k, Math.max(0, x)));
    return { documents: k, statistic: 2 * x, lnP, log10P: lnToLog10(lnP), pValue: formatPValue(lnP) };
  }

  noteTop(d: DocSummary, keep: number): void {
    if (keep <= 0) return;
    this.top.push(d);
    this.top.sort((a, b) => a.lnP - b.lnP || a.index - b.index);
    if (this.top.length > keep) this.top.length = keep;
  }
}

// ---------------------------------------------------------------------------
// Checkpoint file: JSON (numbers round-trip exactly) with the tuples as base64.

const CheckpointSchema = z.strictObject({
  type: z.literal('tracemark-scan-checkpoint'),
  version: z.literal(CHECKPOINT_VERSION),
  specId: z.string(),
  keyFingerprint: z.string(),
  inputs: z.array(z.strictObject({ path: z.string(), bytes: z.number() })),
  options: z.record(z.string(), z.unknown()),
  complete: z.boolean(),
  docsDone: z.number().int().min(0),
  outputBytes: z.number().int().min(0),
  scored: z.number().int().min(0),
  sum: z.number(),
  fisher: z.strictObject({ k: z.number().int().min(0), sum: z.number(), comp: z.number() }),
  counts: z.array(z.number().int()).nullable(),
  perPosition: z.array(z.number().int()).nullable(),
  totals: z.strictObject({
    documents: z.number().int(),
    emptyDocuments: z.number().int(),
    skippedLines: z.number().int(),
    tokens: z.number().int(),
    scored: z.number().int(),
    tooShortDocuments: z.number().int(),
  }),
  top: z.array(z.any()),
  tuples: z.string(),
});
type Checkpoint = z.infer<typeof CheckpointSchema>;

export interface ScanIdentity {
  specId: string;
  keyFingerprint: string;
  inputs: { path: string; bytes: number }[];
  options: Record<string, unknown>;
}

export function saveCheckpoint(path: string, id: ScanIdentity, st: ScanState, complete: boolean): void {
  const tuples = Buffer.from(st.log.data.buffer, st.log.data.byteOffset, st.log.n * 12).toString('base64');
  const c: Checkpoint = {
    type: 'tracemark-scan-checkpoint',
    version: CHECKPOINT_VERSION,
    ...id,
    complete,
    docsDone: st.docsDone,
    outputBytes: st.outputBytes,
    scored: st.scored,
    sum: st.sum,
    fisher: { k: st.fisherK, sum: st.fisherSum, comp: st.fisherComp },
    counts: st.counts ? [...st.counts] : null,
    perPosition: st.perPosition ? [...st.perPosition] : null,
    totals: st.totals,
    top: st.top,
    tuples,
  };
  writeFileAtomic(path, JSON.stringify(c));
}

/** Load a checkpoint into a fresh state; refuses one made for other inputs, spec, key or options. */
export function loadCheckpoint(path: string, id: ScanIdentity, st: ScanState): { complete: boolean } {
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(path, 'checkpoint'));
  } catch (e) {
    if (e instanceof Error && e.name === 'CliError') throw e;
    throw usage(`${path}: the checkpoint is not valid JSON`);
  }
  const r = CheckpointSchema.safeParse(json);
  if (!r.success) throw usage(`${path}: not a tracemark scan checkpoint (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
  const c = r.data;
  if (c.specId !== id.specId || c.keyFingerprint !== id.keyFingerprint) throw usage(`${path}: the checkpoint was made with another spec or key`);
  if (JSON.stringify(c.inputs) !== JSON.stringify(id.inputs)) throw usage(`${path}: the checkpoint was made for other input files (or they changed since)`);
  if (JSON.stringify(c.options) !== JSON.stringify(id.options)) throw usage(`${path}: the checkpoint was made with other scan options`);
  const bytes = Buffer.from(c.tuples, 'base64');
  if (bytes.length % 12 !== 0 || bytes.length / 12 !== c.scored) throw usage(`${path}: the checkpoint is corrupt (tuple data)`);
  const view = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  st.set.reserve(c.scored);
  for (let i = 0; i < c.scored; i++) {
    st.set.add(view[3 * i]!, view[3 * i + 1]!, view[3 * i + 2]!);
    st.log.push(view[3 * i]!, view[3 * i + 1]!, view[3 * i + 2]!);
  }
  if (st.set.size !== c.scored) throw usage(`${path}: the checkpoint is corrupt (repeated tuples)`);
  st.scored = c.scored;
  st.sum = c.sum;
  st.fisherK = c.fisher.k;
  st.fisherSum = c.fisher.sum;
  st.fisherComp = c.fisher.comp;
  if ((st.counts === undefined) !== (c.counts === null)) throw usage(`${path}: the checkpoint does not match the spec's payload`);
  if (st.counts && c.counts) st.counts.set(c.counts);
  if (st.perPosition && c.perPosition) st.perPosition.set(c.perPosition);
  st.totals = c.totals;
  st.top = c.top as DocSummary[];
  st.docsDone = c.docsDone;
  st.outputBytes = c.outputBytes;
  return { complete: c.complete };
}

export function inputIdentity(files: string[]): { path: string; bytes: number }[] {
  return files.map((f) => {
    try {
      return { path: f, bytes: statSync(f).size };
    } catch {
      throw usage(`corpus file not found: ${f}`);
    }
  });
}

// ---------------------------------------------------------------------------

export interface ResumableScanOptions {
  reader: ReaderOptions;
  exclude: string[];
  keepTop: number;
  checkpoint: string;
  checkpointEvery: number;
  /** Score at most this many more documents this run (then save and stop). */
  limit: number;
  output?: string;
  resume: boolean;
  signal: AbortSignal;
  onProgress?: (docsDone: number) => void;
}

export interface ResumableScanResult {
  state: ScanState;
  complete: boolean;
  resumedFrom: number;
}

export async function resumableScan(spec: WatermarkSpec, key: WatermarkKey, specId: string, files: string[], o: ResumableScanOptions): Promise<ResumableScanResult> {
  const detector = new Detector(spec, key);
  const st = new ScanState(detector);
  const id: ScanIdentity = {
    specId,
    keyFingerprint: spec.keyFingerprint,
    inputs: inputIdentity(files),
    options: { reader: o.reader, exclude: o.exclude, keepTop: o.keepTop, output: o.output ?? null },
  };
  let outFd: number | null = null;
  try {
    let exists = false;
    try {
      statSync(o.checkpoint);
      exists = true;
    } catch {
      /* fresh */
    }
    if (exists && !o.resume) throw usage(`checkpoint ${o.checkpoint} already exists: pass --resume to continue that scan (or choose a new file)`);
    let complete = false;
    if (exists) complete = loadCheckpoint(o.checkpoint, id, st).complete;
    const resumedFrom = st.docsDone;
    if (complete) return { state: st, complete: true, resumedFrom };
    if (o.output !== undefined) {
      outFd = openSync(o.output, exists ? 'r+' : 'w');
      if (exists) {
        if (statSync(o.output).size < st.outputBytes) throw usage(`${o.output}: shorter than the checkpoint records: it was changed since`);
        ftruncateSync(outFd, st.outputBytes);
      }
    }
    const exclude = o.exclude.length > 0 ? detector.exclusion(o.exclude) : undefined;
    const payload = spec.payload !== null;
    const stats = { skippedLines: 0 };
    let index = 0;
    let scoredThisRun = 0;
    let sinceCheckpoint = 0;
    let stopped = false;
    const write = (s: string): void => {
      if (outFd === null) return;
      const b = Buffer.from(s, 'utf8');
      let off = 0;
      while (off < b.length) off += writeSync(outFd, b, off, b.length - off, st.outputBytes + off);
      st.outputBytes += b.length;
    };
    const checkpoint = (done: boolean): void => {
      if (outFd !== null) fsyncSync(outFd);
      saveCheckpoint(o.checkpoint, id, st, done);
    };
    outer: for (const f of files) {
      for await (const raw of readDocuments(f, o.reader, stats)) {
        if (index < st.docsDone) {
          index++;
          continue;
        }
        if (o.signal.aborted || scoredThisRun >= o.limit) {
          stopped = true;
          break outer;
        }
        const enc = detector.tokenize(raw.text);
        if (enc.tokens.length === 0) {
          st.totals.emptyDocuments++;
        } else {
          let r;
          try {
            r = detector.scorer.score(enc.tokens, { dedup: true, exclude, tuples: true, payload });
          } catch (e) {
            throw e instanceof DetectorError ? usage(`${raw.source}:${raw.line}: ${e.message}`) : e;
          }
          const result: DetectionResult = detector.resultFromScored(r, true, enc);
          const novel = st.add(r);
          st.totals.documents++;
          st.totals.tokens += result.tokens;
          st.totals.scored += result.scored;
          if (result.tooShort) st.totals.tooShortDocuments++;
          const d: DocSummary = {
            index,
            source: raw.source,
            line: raw.line,
            ...(raw.id !== undefined ? { id: raw.id } : {}),
            tokens: result.tokens,
            scored: result.scored,
            lnP: result.lnP,
            log10P: result.log10P,
            novel: novel.scored,
          };
          st.noteTop(d, o.keepTop);
          write(`${JSON.stringify({ index, source: raw.source, line: raw.line, ...(raw.id !== undefined ? { id: raw.id } : {}), result, novel })}\n`);
        }
        index++;
        st.docsDone = index;
        scoredThisRun++;
        o.onProgress?.(st.docsDone);
        if (++sinceCheckpoint >= o.checkpointEvery) {
          sinceCheckpoint = 0;
          st.totals.skippedLines = Math.max(st.totals.skippedLines, stats.skippedLines);
          checkpoint(false);
        }
      }
    }
    // Every run reads the files from the start (skipping done documents unscored), so
    // the reader's count covers the whole prefix: the maximum never counts a line twice.
    st.totals.skippedLines = Math.max(st.totals.skippedLines, stats.skippedLines);
    complete = !stopped;
    checkpoint(complete);
    return { state: st, complete, resumedFrom };
  } catch (e) {
    if (e instanceof DetectorError) throw usage(e.message);
    throw e;
  } finally {
    if (outFd !== null) closeSync(outFd);
    detector.dispose();
  }
}

export { failure };
