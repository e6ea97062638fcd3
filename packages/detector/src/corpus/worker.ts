/**
 * Scan worker: tokenizes and scores the batches of documents the main thread
 * sends and posts back, per document, the result plus the scored tuples
 * (transferred, not copied). Memory per worker is one batch at a time plus its
 * tokenizer and scorer; the main thread bounds the queue.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEngineKeyFile, WatermarkKey } from '@tracemark/watermark';
import { Detector } from '../detect.js';
import { DetectorError } from '../errors.js';
import { scoreDocument, transferList } from './docscore.js';
import type { DocOutcome, FromWorker, ToWorker, WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const key = init.key.kind === 'tracemark' ? new WatermarkKey(init.key.bytes) : parseEngineKeyFile(init.key.file);
  const detector = new Detector(init.spec, key, init.detector);
  const exclude = init.exclude.length > 0 ? detector.exclusion(init.exclude) : undefined;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      detector.dispose();
      port.close();
      return;
    }
    const outcomes: DocOutcome[] = [];
    const transfer: ArrayBuffer[] = [];
    m.texts.forEach((text, i) => {
      try {
        const doc = scoreDocument(detector, m.start + i, text, { dedup: init.dedup, exclude, excludeTexts: init.exclude, tuples: true });
        outcomes.push({ kind: 'doc', doc });
        transfer.push(...transferList(doc));
      } catch (e) {
        if (e instanceof DetectorError && e.code === 'EMPTY_TEXT') outcomes.push({ kind: 'empty' });
        else outcomes.push({ kind: 'error', code: e instanceof DetectorError ? e.code : 'WORKER_FAILED', message: (e as Error).message });
      }
    });
    post({ type: 'batch', start: m.start, outcomes }, transfer);
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'fatal', code: e instanceof DetectorError ? e.code : 'WORKER_FAILED', message: (e as Error).message });
}
