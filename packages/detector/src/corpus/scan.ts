/**
 * Corpus scan: stream documents from text/JSONL files (optionally .gz), score
 * each (per-document result), pool their tuples in one EvidencePool (each
 * distinct tuple of the corpus once, in document order) and report the pooled
 * test and Fisher's combination of per-document tests on their novel tuples.
 *
 * Parallelism: `workers: N` worker threads tokenize and score; the corpus-wide
 * dedup set is split into partitions by tuple hash (partitions.ts) and each
 * worker owns some: tuples go to their owner, which decides in document order
 * whether each is new (owner.ts). The main thread reads, dispatches batches of
 * consecutive documents, and pools scores strictly in document order with
 * those decisions (scored-documents.ts) — the sums are the same additions in
 * the same order as in one thread, so every number in the output is the same
 * for 0, 1 or N workers (with 0 the main thread holds all partitions).
 *
 * Resumable scans: with `checkpoint` the pool's snapshot, the totals and the
 * position are saved every `checkpointEvery` documents, when `limit` documents
 * were done this run and when `signal` aborts; `resume` continues from the file
 * to exactly the numbers of one uninterrupted run (checkpoint.ts) — on workers
 * or not.
 *
 * Errors (malformed JSONL, invalid UTF-8, an oversized document, a worker
 * failure) stop the scan with a DetectorError naming file and line; the
 * optional `output` file is written to a temporary file and renamed into place
 * only when the scan succeeds (checkpointed scans append to it in place, and a
 * resume truncates it back to the checkpoint). Empty documents are counted, not scored.
 */
import { statSync } from 'node:fs';
import { exportEngineKeyFile, isEngineKey, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { Detector, type DetectionResult, type DetectorOptions, type SchemeName } from '../detect.js';
import { DetectorError } from '../errors.js';
import { specId } from '../io/keys.js';
import { EvidencePool, type FisherResult, type NovelResult, type PooledResult } from '../pool/index.js';
import { intOption, isTiktokenEncoding } from '../tokenizer.js';
import { HfTokenizer, isHfTokenizerId, vocabSizeOf } from '../tokenizers/index.js';
import { checkpointExists, inputIdentity, loadCheckpoint, saveCheckpoint, type ScanIdentity, type ScanPosition } from './checkpoint.js';
import { atomicOutput, resumableOutput, type DocOutput } from './doc-output.js';
import { BATCH_CHARS, BATCH_DOCS } from './protocol.js';
import { type ReaderOptions, type ReaderStats } from './readers.js';
import type { DocScored } from './docscore.js';
import type { OwnerState } from './owner.js';
import { PartitionedDedup, type DedupSizing } from './partitions.js';
import type { WorkerInit } from './protocol.js';
import { recordDocument } from './record-document.js';
import { allDocuments, scoredDocuments, scoreInline } from './scored-documents.js';
import { WorkerPool } from './worker-pool.js';
import { chooseScanMode, minimumBudget } from './external/choose.js';
import { scanOutOfCore } from './external/out-of-core.js';
import { summaryOf } from './summary.js';
import { emptyTotals, type DocSummary } from './tally.js';

export const DEFAULT_DEDUP_BYTES = 512 * 1024 * 1024;
/** memoryBytes when only spillDir is given. */
export const DEFAULT_SCAN_MEMORY = 512 * 1024 * 1024;

export interface ScanOptions extends ReaderOptions {
  /** Worker threads (default 0: score in this thread). */
  workers?: number;
  /** Batches queued per worker (default 2). */
  inFlightPerWorker?: number;
  /** A batch sent to a worker closes at this many characters (default 65 536) … */
  batchChars?: number;
  /** … or documents (default 256). */
  batchDocs?: number;
  /** Per-document dedup (default true). */
  dedup?: boolean;
  /** Corpus-wide dedup (default true). Off: pooled tests assume documents share no tuples. */
  globalDedup?: boolean;
  /** Memory for the global dedup set (default 512 MiB ≈ 16 M distinct tuples). */
  dedupMemoryBytes?: number;
  /** Texts given to the generator: their windows are excluded in every document. */
  exclude?: readonly (string | ArrayLike<number>)[];
  /** Detector options for every document (engine, tokenizer bounds, minScoredTokens, specialTokens). */
  detector?: DetectorOptions;
  /** Called for each document, in order (awaited: backpressure). */
  onDocument?: (d: DocumentResult) => void | Promise<void>;
  /** Write per-document results as JSONL here (atomically, on success only; in place with a checkpoint). */
  output?: string;
  /** List the n most marked documents (smallest per-document p) in the summary (default 0). */
  keepTop?: number;
  /** Save progress here: the scan becomes resumable. */
  checkpoint?: string;
  /** Documents between checkpoints (default 500). */
  checkpointEvery?: number;
  /** Continue the scan saved in `checkpoint` (without it, an existing checkpoint is an error). */
  resume?: boolean;
  /** Pool at most this many more documents this run, then stop (saving the checkpoint). */
  limit?: number;
  /** Stop at the next document when aborted (saving the checkpoint). */
  signal?: AbortSignal;
  /**
   * The scan's memory budget in bytes: it stays in memory only when the corpus certainly
   * fits (external/choose.ts), otherwise it runs out of core — exact either way.
   */
  memoryBytes?: number;
  /** Run out of core in this directory (kept: rerunning the same scan there resumes it). */
  spillDir?: string;
  /** Out of core: uncompressed files above this are cut into shards of about this size (default 64 MiB). */
  shardBytes?: number;
}

export interface DocumentResult {
  /** 0-based position in the corpus (over all files, empty documents included). */
  index: number;
  source: string;
  line: number;
  id?: string;
  /** The document on its own (per-document dedup). */
  result: DetectionResult;
  /** Its tuples not seen earlier in the corpus, and their test (the Fisher component). */
  novel: NovelResult;
}

export interface ScanSummary {
  scheme: SchemeName;
  keyFingerprint: string;
  files: number;
  /** Documents scored. */
  documents: number;
  emptyDocuments: number;
  /** Malformed JSONL lines skipped (skipMalformed). */
  skippedLines: number;
  tokens: number;
  /** Σ of per-document scored tuples (before corpus-wide dedup). */
  scored: number;
  tooShortDocuments: number;
  chunkedRuns: number;
  specialStrings: number;
  pooled: PooledResult;
  fisher: FisherResult;
  workers: number;
  /** With keepTop: the most marked documents, smallest p first. */
  mostMarked?: DocSummary[];
  /** With a checkpoint, limit or signal: how far the scan got. */
  progress?: { complete: boolean; resumedFrom: number; documentsDone: number };
  /** With memoryBytes or spillDir: whether the scan ran out of core, and why. */
  mode?: { outOfCore: boolean; why: string };
}

export async function scanCorpus(
  watermark: { spec: AnySpec; key: WatermarkKey | EngineKey },
  files: readonly string[],
  opts: ScanOptions = {},
): Promise<ScanSummary> {
  const { spec, key } = watermark;
  const workers = intOption('workers', opts.workers ?? 0, 0, 256);
  const perWorker = intOption('inFlightPerWorker', opts.inFlightPerWorker ?? 2, 1, 1024);
  const batchChars = intOption('batchChars', opts.batchChars ?? BATCH_CHARS, 1, 2 ** 30);
  const batchDocs = intOption('batchDocs', opts.batchDocs ?? BATCH_DOCS, 1, 1 << 20);
  const keepTop = intOption('keepTop', opts.keepTop ?? 0, 0, 1 << 20);
  const every = intOption('checkpointEvery', opts.checkpointEvery ?? 500, 1, Number.MAX_SAFE_INTEGER);
  const limit = opts.limit === undefined ? Infinity : intOption('limit', opts.limit, 1, Number.MAX_SAFE_INTEGER);
  const dedup = opts.dedup ?? true;
  const globalDedup = opts.globalDedup ?? true;
  if (files.length === 0) throw new DetectorError('BAD_OPTION', 'no input files');
  if (opts.resume && opts.checkpoint === undefined) throw new DetectorError('BAD_OPTION', 'resume needs a checkpoint');
  if (!opts.ids && !isTiktokenEncoding(spec.tokenizer)) {
    // text needs the tokenizer: an hf:<directory> without tokenizer.json is an error naming the path
    if (isHfTokenizerId(spec.tokenizer)) new HfTokenizer(spec.tokenizer, opts.detector?.tokenizer);
    else throw new DetectorError('SPEC_MISMATCH', `corpus scans tokenize text: the spec's tokenizer "${spec.tokenizer}" is neither a tiktoken encoding nor hf:<directory> (or scan token ids)`);
  }
  // token-id documents: ids must lie in the tokenizer's vocabulary when it is known here
  if (opts.ids && opts.ids.vocabSize === undefined) {
    const vocabSize = vocabSizeOf(spec.tokenizer);
    if (vocabSize !== undefined) opts = { ...opts, ids: { ...opts.ids, vocabSize } };
  }

  let mode: ScanSummary['mode'];
  if ((opts.memoryBytes !== undefined || opts.spillDir !== undefined) && globalDedup) {
    const memory = intOption('memoryBytes', opts.memoryBytes ?? DEFAULT_SCAN_MEMORY, 1, Number.MAX_SAFE_INTEGER);
    const choice = chooseScanMode(inputIdentity(files), memory, workers, opts.spillDir);
    if (!choice) throw new DetectorError('BAD_OPTION', `a memory budget of ${memory} bytes is below the ${minimumBudget(workers)} a scan on ${workers} worker threads needs`);
    if (choice.outOfCore) return scanOutOfCore(watermark, files, opts, choice, workers);
    opts = { ...opts, dedupMemoryBytes: choice.buffers };
    mode = { outOfCore: false, why: choice.why };
  }
  // The main thread's detector validates spec and key up front and pools payloads.
  const detector = new Detector(spec, key, opts.detector);
  const sizing: DedupSizing = { budgetBytes: opts.dedupMemoryBytes ?? DEFAULT_DEDUP_BYTES, expectedTuples: expectedTuples(files) };
  // the pool sums; the dedup set is partitioned: here (no workers) or over the workers
  const pool = new EvidencePool(detector.model, { globalDedup, externalDedup: true, fisher: true });
  let local = workers === 0 && globalDedup ? new PartitionedDedup(sizing) : undefined;
  let wp: WorkerPool | undefined;
  const dedupState = async (tuples: boolean): Promise<OwnerState | undefined> =>
    local ? { entries: local.size, bytes: local.bytes, ...(tuples ? { tuples: local.entries() } : {}) } : wp && globalDedup ? wp.dedupState(at.docsDone, tuples) : undefined;
  const excludeTexts = (opts.exclude ?? []).map((t) => (typeof t === 'string' ? t : Array.from(t)));
  const stats: ReaderStats = { skippedLines: 0 };
  const at: ScanPosition = { complete: false, docsDone: 0, outputBytes: 0, totals: emptyTotals(), top: [] };
  const tracked = opts.checkpoint !== undefined || opts.limit !== undefined || opts.signal !== undefined;
  let resumedFrom = 0;
  const summary = async (): Promise<ScanSummary> => ({ ...summaryOf(spec, files.length, workers, at, pool, await dedupState(false), keepTop, tracked ? resumedFrom : undefined), ...(mode ? { mode } : {}) });
  let output: DocOutput | undefined;
  try {
    const ck = opts.checkpoint;
    let id: ScanIdentity | undefined;
    let resuming = false;
    let restored: Int32Array | null = null;
    if (ck !== undefined) {
      id = { specId: specId(spec), keyFingerprint: spec.keyFingerprint, inputs: inputIdentity(files), options: identityOptions(opts, excludeTexts, keepTop) };
      resuming = checkpointExists(ck);
      if (resuming && !opts.resume) throw new DetectorError('BAD_OPTION', `checkpoint ${ck} already exists: pass --resume to continue that scan (or choose a new file)`);
      if (resuming) {
        const loaded = loadCheckpoint(ck, id, pool);
        Object.assign(at, loaded.at);
        restored = loaded.dedupTuples;
        if (globalDedup && workers > 0 && at.complete) local = new PartitionedDedup(sizing); // only for the summary
        if (local && !local.restore(restored)) throw new DetectorError('BAD_OPTION', `${ck}: the checkpoint is corrupt (repeated tuples)`);
      }
      resumedFrom = at.docsDone;
      if (at.complete) return await summary();
    }
    if (opts.output !== undefined) output = ck !== undefined ? resumableOutput(opts.output, resuming ? at.outputBytes : undefined) : atomicOutput(opts.output);
    const save = async (complete: boolean): Promise<void> => {
      if (ck === undefined) return;
      output?.sync();
      at.outputBytes = output?.bytes ?? 0;
      at.complete = complete;
      saveCheckpoint(ck, id!, pool, at, (await dedupState(true))?.tuples);
    };
    const exclude = excludeTexts.length > 0 ? detector.exclusion(excludeTexts) : undefined;
    if (workers > 0) {
      const init: WorkerInit = {
        spec,
        key: isEngineKey(key) ? { kind: 'engine' as const, file: exportEngineKeyFile(key) } : { kind: 'tracemark' as const, bytes: key.secretBytes() },
        detector: { ...opts.detector, specialTokens: opts.detector?.specialTokens ? [...opts.detector.specialTokens] : undefined },
        dedup,
        exclude: excludeTexts,
        globalDedup: globalDedup ? sizing : null,
      };
      wp = await WorkerPool.start(workers, init, at.docsDone, restored);
    }
    const docs = scoredDocuments(allDocuments(files, opts, stats), stats, {
      skip: at.docsDone,
      maxRead: limit + 1, // one more tells whether the corpus is done
      pool: wp,
      workers,
      perWorker,
      batchChars,
      batchDocs,
      scoreHere: scoreInline(detector, dedup, exclude, excludeTexts),
    });
    const t = at.totals;
    let thisRun = 0, sinceCheckpoint = 0;
    // Every run reads the files from the start (skipping done documents unscored), so the
    // reader's count covers the whole prefix: the maximum never counts a line twice.
    let skipped = stats.skippedLines;
    let stopped = false;
    for await (const { index, meta, skipped: skippedHere, outcome: o } of docs) {
      if (opts.signal?.aborted || thisRun >= limit) {
        stopped = true;
        skipped = skippedHere;
        break;
      }
      if (o.kind === 'error') throw new DetectorError(o.code, `${meta.source}:${meta.line}: ${o.message}`);
      if (o.kind === 'empty') t.emptyDocuments++;
      else {
        const d = o.doc;
        // with workers the owners decided; here the main thread's partitions decide now
        const novelty = !globalDedup ? undefined : (d.novelty ?? decideHere(local!, d));
        const novel = pool.add(d, { index, novelty }).test!;
        await recordDocument(at, { index, ...meta }, d.result, novel, { keepTop, onDocument: opts.onDocument, output });
      }
      at.docsDone = index + 1;
      thisRun++;
      if (++sinceCheckpoint >= every && ck !== undefined) {
        sinceCheckpoint = 0;
        t.skippedLines = Math.max(t.skippedLines, skippedHere);
        await save(false);
      }
    }
    t.skippedLines = Math.max(t.skippedLines, stopped ? skipped : stats.skippedLines);
    await save(!stopped);
    at.complete = !stopped;
    await output?.commit();
    return await summary();
  } catch (e) {
    await output?.abort();
    throw e;
  } finally {
    detector.dispose();
    await wp?.close();
  }
}

/**
 * Distinct tuples to expect, to size the dedup partitions so that they seldom grow: text
 * has about one token per 4 bytes (JSONL and id lists more bytes per token, gzip fewer)
 * and corpora repeat themselves, so one distinct tuple per 8 bytes; the budget caps the
 * size, growth covers more. Depends on the inputs only: every run of a scan sizes alike.
 */
function expectedTuples(files: readonly string[]): number {
  let bytes = 0;
  for (const f of files) {
    try {
      bytes += statSync(f).size;
    } catch {
      // a missing file is reported by the reader
    }
  }
  return Math.ceil(bytes / 8);
}

let decisions = new Uint8Array(4096);

/** The corpus-wide dedup decision for each tuple of a document scored in this thread. */
function decideHere(local: PartitionedDedup, d: DocScored): Uint8Array {
  if (decisions.length < d.count) decisions = new Uint8Array(2 * d.count);
  local.addBatch(d.hi, d.lo, d.token, d.count, decisions);
  return decisions;
}

/** The options a checkpoint must agree on: those that change the numbers (plus the output file). */
function identityOptions(o: ScanOptions, exclude: (string | number[])[], keepTop: number): Record<string, unknown> {
  const reader = {
    format: o.format ?? 'auto',
    textMode: o.textMode ?? 'paragraph',
    field: o.field ?? 'text',
    ...(o.idField !== undefined ? { idField: o.idField } : {}),
    skipMalformed: o.skipMalformed ?? false,
    ...(o.maxDocBytes !== undefined ? { maxDocBytes: o.maxDocBytes } : {}),
    ...(o.ids ? { ids: { field: o.ids.field ?? 'ids', promptField: o.ids.promptField ?? 'prompt_ids' } } : {}),
  };
  const { specialTokens, ...detector } = o.detector ?? {};
  return {
    reader,
    exclude,
    keepTop,
    output: o.output ?? null,
    ...(o.dedup === false ? { dedup: false } : {}),
    ...(o.globalDedup === false ? { globalDedup: false } : {}),
    ...(o.dedupMemoryBytes !== undefined ? { dedupMemoryBytes: o.dedupMemoryBytes } : {}),
    ...(o.detector !== undefined ? { detector: { ...detector, ...(specialTokens ? { specialTokens: [...specialTokens] } : {}) } } : {}),
  };
}
