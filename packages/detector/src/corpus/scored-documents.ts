/**
 * The corpus as a stream of scored documents, strictly in document order, whether they
 * were scored here (workers: 0) or on worker threads (whose documents also carry their
 * tuples' corpus-wide dedup decisions, DocScored.novelty). With workers the stream reads
 * ahead and keeps at most workers × inFlightPerWorker batches being scored and twice that
 * outstanding (dispatched, not yet consumed), which bounds memory whatever the corpus
 * size; the consumer sees the same items in the same order either way.
 */
import type { Detector } from '../detect.js';
import { DetectorError } from '../errors.js';
import { docSize, scoreDocument, type ScanDoc } from './docscore.js';
import type { DocOutcome } from './protocol.js';
import { readDocuments, type RawDocument, type ReaderOptions, type ReaderStats } from './readers.js';
import type { WorkerPool } from './worker-pool.js';

export interface DocMeta {
  source: string;
  line: number;
  id?: string;
}

export interface ScoredItem {
  /** 0-based position in the corpus (over all files, empty documents included). */
  index: number;
  meta: DocMeta;
  /** Malformed lines the reader had skipped when it read this document. */
  skipped: number;
  outcome: DocOutcome;
}

export interface StreamOptions {
  /** Documents to pass over unscored (already done by an earlier run). */
  skip: number;
  /** Documents to read after those (the consumer may stop earlier). */
  maxRead: number;
  /** Score on these workers (started and closed by the caller); none: score here. */
  pool: WorkerPool | undefined;
  workers: number;
  perWorker: number;
  batchChars: number;
  batchDocs: number;
  /** No pool: score one document here. */
  scoreHere: (index: number, doc: ScanDoc) => DocOutcome;
}

export async function* allDocuments(files: readonly string[], opts: ReaderOptions, stats: ReaderStats): AsyncGenerator<RawDocument> {
  for (const f of files) yield* readDocuments(f, opts, stats);
}

export function scoreInline(
  detector: Detector,
  dedup: boolean,
  exclude: ReturnType<Detector['exclusion']> | undefined,
  excludeTexts: readonly (string | ArrayLike<number>)[] = [],
): StreamOptions['scoreHere'] {
  return (index, d) => {
    try {
      return { kind: 'doc', doc: scoreDocument(detector, index, d, { dedup, exclude, excludeTexts, tuples: true }) };
    } catch (e) {
      if (e instanceof DetectorError) {
        if (e.code === 'EMPTY_TEXT') return { kind: 'empty' };
        return { kind: 'error', code: e.code, message: e.message };
      }
      throw e;
    }
  };
}

export async function* scoredDocuments(docs: AsyncIterable<RawDocument>, stats: ReaderStats, o: StreamOptions): AsyncGenerator<ScoredItem> {
  let index = 0, read = 0;
  const wp = o.pool;
  if (!wp) {
    for await (const raw of docs) {
      if (index < o.skip) {
        index++;
        continue;
      }
      if (read++ >= o.maxRead) return;
      yield { index, meta: metaOf(raw), skipped: stats.skippedLines, outcome: o.scoreHere(index, scanDoc(raw)) };
      index++;
    }
    return;
  }
  {
    const workers: WorkerPool = wp;
    // A scored batch still waits for its owners' decisions, which a worker makes between
    // the batches it scores: bounding only batches being scored keeps the workers fed,
    // the second bound keeps memory bounded.
    const maxScoring = o.workers * o.perWorker, maxBatches = 2 * maxScoring;
    const pending = new Map<number, { meta: DocMeta; skipped: number }>();
    let next = o.skip; // the next index to hand on
    let batch: ScanDoc[] = [], batchStart = 0, batchChars = 0;
    function* ready(): Generator<ScoredItem> {
      for (;;) {
        const outcome = workers.take(next);
        if (!outcome) return;
        const m = pending.get(next)!;
        pending.delete(next);
        yield { index: next, meta: m.meta, skipped: m.skipped, outcome };
        next++;
      }
    }
    async function* flush(): AsyncGenerator<ScoredItem> {
      if (batch.length === 0) return;
      while (workers.scoring >= maxScoring || workers.outstanding >= maxBatches) {
        await workers.next();
        yield* ready();
      }
      // every document before `next` was handed on, and so pooled, before this generator resumed
      workers.dispatch(batchStart, batch, next);
      batch = [];
      batchChars = 0;
    }
    for await (const raw of docs) {
      if (index < o.skip) {
        index++;
        continue;
      }
      if (read++ >= o.maxRead) break;
      if (batch.length === 0) batchStart = index;
      pending.set(index, { meta: metaOf(raw), skipped: stats.skippedLines });
      const d = scanDoc(raw);
      batch.push(d);
      batchChars += docSize(d);
      index++;
      if (batchChars >= o.batchChars || batch.length >= o.batchDocs) yield* flush();
    }
    yield* flush();
    while (next < index) {
      await wp.next();
      yield* ready();
    }
  }
}

function scanDoc(raw: RawDocument): ScanDoc {
  if (!raw.ids) return raw.text;
  return raw.promptIds ? { ids: raw.ids, promptIds: raw.promptIds } : { ids: raw.ids };
}

function metaOf(raw: RawDocument): DocMeta {
  return raw.id !== undefined ? { source: raw.source, line: raw.line, id: raw.id } : { source: raw.source, line: raw.line };
}
