/**
 * Corpus scan: stream documents from text/JSONL files (optionally .gz), score
 * each (per-document result), deduplicate tuples across the whole corpus, and
 * report pooled and Fisher-combined tests.
 *
 * Parallelism: `workers: N` worker threads tokenize and score; the main thread
 * reads, dispatches batches of consecutive documents, and pools results
 * strictly in document order, so every number in the output is the same for 0,
 * 1 or N workers. At most N × inFlightPerWorker batches (each closed at 64 K
 * characters or 256 documents) are outstanding — dispatched but not yet
 * pooled — which bounds memory whatever the corpus size.
 *
 * Errors (malformed JSONL, invalid UTF-8, an oversized document, a worker
 * failure) stop the scan with a DetectorError naming file and line; the
 * optional `output` file is written to a temporary file and renamed into place
 * only when the scan succeeds. Empty documents are counted, not scored.
 */
import type { Worker } from 'node:worker_threads';
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import { AtomicWriter } from '../atomic.js';
import { Detector, type DetectionResult, type DetectorOptions } from '../detect.js';
import { DetectorError } from '../errors.js';
import { runningFromSources, startWorker } from '../spawn.js';
import { intOption, isTiktokenEncoding } from '../tokenizer.js';
import { scoreDocument } from './docscore.js';
import { DEFAULT_DEDUP_BYTES, Pool, type FisherResult, type NovelResult, type PooledResult } from './pool.js';
import { BATCH_CHARS, BATCH_DOCS, type DocOutcome, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';
import { readDocuments, type RawDocument, type ReaderOptions, type ReaderStats } from './readers.js';

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
  /** Write per-document results as JSONL here (atomically, on success only). */
  output?: string;
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
  scheme: WatermarkSpec['scheme']['name'];
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
}

interface Meta {
  source: string;
  line: number;
  id?: string;
}

type Outcome = DocOutcome;

export async function scanCorpus(
  watermark: { spec: WatermarkSpec; key: WatermarkKey },
  files: readonly string[],
  opts: ScanOptions = {},
): Promise<ScanSummary> {
  const { spec, key } = watermark;
  const workers = intOption('workers', opts.workers ?? 0, 0, 256);
  const perWorker = intOption('inFlightPerWorker', opts.inFlightPerWorker ?? 2, 1, 1024);
  const batchChars = intOption('batchChars', opts.batchChars ?? BATCH_CHARS, 1, 2 ** 30);
  const batchDocs = intOption('batchDocs', opts.batchDocs ?? BATCH_DOCS, 1, 1 << 20);
  const dedup = opts.dedup ?? true;
  const globalDedup = opts.globalDedup ?? true;
  if (files.length === 0) throw new DetectorError('BAD_OPTION', 'no input files');
  if (!isTiktokenEncoding(spec.tokenizer)) {
    throw new DetectorError('SPEC_MISMATCH', `corpus scans tokenize text: the spec's tokenizer "${spec.tokenizer}" is not a tiktoken encoding`);
  }

  // The main thread's detector validates spec and key up front and pools payloads.
  const detector = new Detector(spec, key, opts.detector);
  const pool = new Pool(detector.watermark, { globalDedup, dedupMemoryBytes: opts.dedupMemoryBytes ?? DEFAULT_DEDUP_BYTES });
  const excludeTexts = (opts.exclude ?? []).map((t) => (typeof t === 'string' ? t : Array.from(t)));
  const exclude = excludeTexts.length > 0 ? detector.exclusion(excludeTexts) : undefined;
  const writer = opts.output ? new AtomicWriter(opts.output) : undefined;
  const readerStats: ReaderStats = { skippedLines: 0 };
  const totals = { documents: 0, empty: 0, tokens: 0, scored: 0, tooShort: 0, chunkedRuns: 0, specialStrings: 0 };

  const finishDoc = async (index: number, meta: Meta, o: Outcome): Promise<void> => {
    if (o.kind === 'error') {
      throw new DetectorError(o.code, `${meta.source}:${meta.line}: ${o.message}`);
    }
    if (o.kind === 'empty') {
      totals.empty++;
      return;
    }
    const d = o.doc;
    const novel = pool.add(d);
    const r = d.result;
    totals.documents++;
    totals.tokens += r.tokens;
    totals.scored += r.scored;
    if (r.tooShort) totals.tooShort++;
    totals.chunkedRuns += r.chunkedRuns;
    totals.specialStrings += r.specialStrings;
    const out: DocumentResult = { index, source: meta.source, line: meta.line, ...(meta.id !== undefined ? { id: meta.id } : {}), result: r, novel };
    if (opts.onDocument) await opts.onDocument(out);
    if (writer) await writer.write(`${JSON.stringify(out)}\n`);
  };

  const docs = allDocuments(files, opts, readerStats);
  let pool_: WorkerPool | undefined;
  try {
    if (workers === 0) {
      let index = 0;
      for await (const raw of docs) {
        const meta = metaOf(raw);
        await finishDoc(index, meta, scoreHere(detector, index, raw.text, dedup, exclude));
        index++;
      }
    } else {
      pool_ = await WorkerPool.start(workers, {
        spec,
        keyBytes: key.secretBytes(),
        detector: { ...opts.detector, specialTokens: opts.detector?.specialTokens ? [...opts.detector.specialTokens] : undefined },
        dedup,
        exclude: excludeTexts,
      });
      const maxBatches = workers * perWorker;
      const metas = new Map<number, Meta>();
      let dispatched = 0, pooled = 0;
      let batch: string[] = [], pendingChars = 0;
      const drainReady = async (): Promise<void> => {
        for (;;) {
          const o = pool_!.take(pooled);
          if (!o) return;
          const meta = metas.get(pooled)!;
          metas.delete(pooled);
          await finishDoc(pooled, meta, o);
          pooled++;
        }
      };
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        while (pool_!.outstanding >= maxBatches) {
          await pool_!.next();
          await drainReady();
        }
        pool_!.dispatch(dispatched - batch.length, batch);
        batch = [];
        pendingChars = 0;
      };
      for await (const raw of docs) {
        metas.set(dispatched, metaOf(raw));
        batch.push(raw.text);
        pendingChars += raw.text.length;
        dispatched++;
        if (pendingChars >= batchChars || batch.length >= batchDocs) await flush();
      }
      await flush();
      while (pooled < dispatched) {
        await pool_.next();
        await drainReady();
      }
    }
    if (writer) await writer.commit();
  } catch (e) {
    if (writer) await writer.abort();
    throw e;
  } finally {
    await pool_?.close();
    detector.dispose();
  }

  return {
    scheme: spec.scheme.name,
    keyFingerprint: spec.keyFingerprint,
    files: files.length,
    documents: totals.documents,
    emptyDocuments: totals.empty,
    skippedLines: readerStats.skippedLines,
    tokens: totals.tokens,
    scored: totals.scored,
    tooShortDocuments: totals.tooShort,
    chunkedRuns: totals.chunkedRuns,
    specialStrings: totals.specialStrings,
    pooled: pool.pooled(),
    fisher: pool.fisher(),
    workers,
  };
}

function metaOf(raw: RawDocument): Meta {
  return raw.id !== undefined ? { source: raw.source, line: raw.line, id: raw.id } : { source: raw.source, line: raw.line };
}

async function* allDocuments(files: readonly string[], opts: ReaderOptions, stats: ReaderStats): AsyncGenerator<RawDocument> {
  for (const f of files) yield* readDocuments(f, opts, stats);
}

function scoreHere(detector: Detector, index: number, text: string, dedup: boolean, exclude: ReturnType<Detector['exclusion']> | undefined): Outcome {
  try {
    return { kind: 'doc', doc: scoreDocument(detector, index, text, { dedup, exclude, tuples: true }) };
  } catch (e) {
    if (e instanceof DetectorError) {
      if (e.code === 'EMPTY_TEXT') return { kind: 'empty' };
      return { kind: 'error', code: e.code, message: e.message };
    }
    throw e;
  }
}

/**
 * Worker threads with least-loaded dispatch. Outcomes are kept by document
 * index until the main thread takes them in order.
 */
class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  /** Batch start index → worker, for load accounting. */
  readonly #owner = new Map<number, number>();
  #outstanding = 0;
  readonly #outcomes = new Map<number, Outcome>();
  #wake: (() => void) | undefined;
  /** Messages not yet waited for: next() returns at once when some arrived meanwhile. */
  #unseen = 0;
  #failure: DetectorError | undefined;
  #closing = false;

  static async start(n: number, init: WorkerInit): Promise<WorkerPool> {
    const p = new WorkerPool();
    const here = import.meta.url;
    const entry = new URL(runningFromSources(here) ? './worker.ts' : './worker.js', here);
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const w = startWorker(entry, init);
      p.#workers.push(w);
      p.#load.push(0);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMsg = (m: FromWorker): void => {
            if (m.type === 'ready') {
              w.off('message', onMsg);
              resolve();
            } else if (m.type === 'fatal') reject(new DetectorError(m.code, m.message));
          };
          w.on('message', onMsg);
          w.once('error', (e) => reject(new DetectorError('WORKER_FAILED', `scan worker failed to start: ${e.message}`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await p.close();
      throw e;
    }
    p.#workers.forEach((w, i) => {
      w.on('message', (m: FromWorker) => p.#onMessage(i, m));
      w.on('error', (e) => p.#fail(new DetectorError('WORKER_FAILED', `scan worker ${i} failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!p.#closing) p.#fail(new DetectorError('WORKER_FAILED', `scan worker ${i} exited with code ${code}`));
      });
    });
    return p;
  }

  /** Batches dispatched whose results have not arrived. */
  get outstanding(): number {
    return this.#outstanding;
  }

  dispatch(start: number, texts: string[]): void {
    if (this.#failure) throw this.#failure;
    let best = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[best]!) best = i;
    this.#load[best]!++;
    this.#outstanding++;
    this.#owner.set(start, best);
    const m: ToWorker = { type: 'batch', start, texts };
    this.#workers[best]!.postMessage(m);
  }

  /** Resolves after at least one message arrived (or rejects on failure). */
  async next(): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#unseen === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = undefined;
    this.#unseen = 0;
    if (this.#failure) throw this.#failure;
  }

  take(index: number): Outcome | undefined {
    const o = this.#outcomes.get(index);
    if (o) this.#outcomes.delete(index);
    return o;
  }

  #onMessage(worker: number, m: FromWorker): void {
    if (m.type === 'batch') {
      this.#load[worker]!--;
      this.#outstanding--;
      this.#owner.delete(m.start);
      m.outcomes.forEach((o, i) => this.#outcomes.set(m.start + i, o));
    } else if (m.type === 'fatal') {
      this.#fail(new DetectorError(m.code, m.message));
      return;
    }
    this.#unseen++;
    this.#wake?.();
  }

  #fail(e: DetectorError): void {
    this.#failure ??= e;
    this.#unseen++;
    this.#wake?.();
  }

  /** Ask workers to finish (they free their tokenizers); terminate any that do not exit within 2 s. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.#workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve(), () => resolve()), 2000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              w.postMessage({ type: 'close' } satisfies ToWorker);
            } catch {
              void w.terminate();
            }
          }),
      ),
    );
  }
}
