/**
 * Scan worker: tokenizes and scores the batches of documents the main thread sends and
 * posts back, per document, the result and the tuples' scores (transferred, not copied).
 *
 * With corpus-wide dedup the worker also owns some of the dedup set's partitions
 * (owner.ts): a scored batch's tuple identities go, bucketed by owner, straight to the
 * owning workers over their ports, and every owner posts its decisions for its bucket to
 * the main thread, which pools the tuples in document order. Memory per worker is its
 * partitions, the batches in flight, its tokenizer and scorer; the main thread bounds the
 * queue.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { parseEngineKeyFile, WatermarkKey } from '@tracemark/watermark';
import { Detector } from '../detect.js';
import { DetectorError } from '../errors.js';
import { bucketTransfer, splitByOwner } from './buckets.js';
import { scoreDocument, transferList } from './docscore.js';
import { PartitionOwner, type Bucket } from './owner.js';
import { ownerOf, PartitionedDedup } from './partitions.js';
import type { DocOutcome, FromWorker, ToWorker, WorkerInit, WorkerSetup } from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
const EMPTY_I32 = new Int32Array(0);

try {
  const key = init.key.kind === 'tracemark' ? new WatermarkKey(init.key.bytes) : parseEngineKeyFile(init.key.file);
  const detector = new Detector(init.spec, key, init.detector);
  const exclude = init.exclude.length > 0 ? detector.exclusion(init.exclude) : undefined;
  let peers: (MessagePort | null)[] = [];
  let owner: PartitionOwner | undefined;
  let dedup: PartitionedDedup | undefined;
  const setup = (m: WorkerSetup): void => {
    peers = m.peers;
    if (!init.globalDedup) return post({ type: 'setup', ok: true });
    const workers = m.peers.length;
    dedup = new PartitionedDedup(init.globalDedup, (p) => ownerOf(p, workers) === m.self);
    const ok = m.tuples ? dedup.restore(m.tuples) : true;
    owner = new PartitionOwner(dedup, m.firstIndex, (start, flags) => post({ type: 'novelty', start, owner: m.self, flags }, [flags.buffer as ArrayBuffer]));
    for (const p of peers) p?.on('message', (b: Bucket) => owner!.receive(b));
    post({ type: 'setup', ok });
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      detector.dispose();
      for (const p of peers) p?.close();
      port.close();
      return;
    }
    if (m.type === 'setup') return setup(m);
    if (m.type === 'state') {
      const s = owner!.state(m.upTo, m.tuples);
      return post({ type: 'state', owner: peers.indexOf(null), ...s }, s.tuples ? [s.tuples.buffer as ArrayBuffer] : []);
    }
    owner?.pooled(m.pooled);
    const outcomes: DocOutcome[] = m.texts.map((text, i) => {
      try {
        return { kind: 'doc', doc: scoreDocument(detector, m.start + i, text, { dedup: init.dedup, exclude, excludeTexts: init.exclude, tuples: true }) };
      } catch (e) {
        if (e instanceof DetectorError && e.code === 'EMPTY_TEXT') return { kind: 'empty' };
        return { kind: 'error', code: e instanceof DetectorError ? e.code : 'WORKER_FAILED', message: (e as Error).message };
      }
    });
    let owners: Uint8Array | undefined;
    if (dedup) {
      const split = splitByOwner(m.start, outcomes, dedup, peers.length);
      split.buckets.forEach((b, w) => (peers[w] ? peers[w]!.postMessage(b, bucketTransfer(b)) : owner!.receive(b)));
      if (peers.length > 1) owners = split.owners;
      // the identities now live with their owners: the main thread gets scores only
      for (const o of outcomes) if (o.kind === 'doc') o.doc.hi = o.doc.lo = o.doc.token = EMPTY_I32;
    }
    const transfer = outcomes.flatMap((o) => (o.kind === 'doc' ? transferList(o.doc) : []));
    if (owners) transfer.push(owners.buffer as ArrayBuffer);
    post({ type: 'batch', start: m.start, outcomes, ...(owners ? { owners } : {}) }, [...new Set(transfer)]);
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'fatal', code: e instanceof DetectorError ? e.code : 'WORKER_FAILED', message: (e as Error).message });
}
