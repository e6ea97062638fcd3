/**
 * Messages between the scan's main thread and its workers. Documents travel in
 * batches of consecutive indices (up to BATCH_CHARS characters or BATCH_DOCS
 * documents): one message per document would cost ~30 µs of messaging for a
 * ~600-token document, several percent of its tokenization.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AnySpec, EngineKeyFile } from '@tracemark/watermark';
import type { DetectorOptions } from '../detect.js';
import type { DetectorErrorCode } from '../errors.js';
import type { DocScored, ScanDoc } from './docscore.js';
import type { DedupSizing } from './partitions.js';

export const BATCH_CHARS = 64 * 1024;
export const BATCH_DOCS = 256;

export interface WorkerInit {
  spec: AnySpec;
  /** The secret key, handed to the worker in memory only (never logged or written): tracemark's bytes or an engine key file. */
  key: { kind: 'tracemark'; bytes: Uint8Array } | { kind: 'engine'; file: EngineKeyFile };
  detector: Omit<DetectorOptions, 'specialTokens'> & { specialTokens?: number[] };
  dedup: boolean;
  exclude: (string | number[])[];
  /** Corpus-wide dedup, partitioned over the workers (partitions.ts), sized as this. */
  globalDedup: DedupSizing | null;
}

/**
 * Sent once after start: the worker's number, a port to every other worker (null at its
 * own place) for exchanging buckets, the first document of this run and, on a resume,
 * the checkpoint's dedup tuples (shared memory, read by every worker for its partitions).
 */
export interface WorkerSetup {
  type: 'setup';
  self: number;
  peers: (MessagePort | null)[];
  firstIndex: number;
  tuples: Int32Array | null;
}

/** A batch holds documents start, start+1, …, start+texts.length−1. */
export type ToWorker =
  | WorkerSetup
  /** `pooled`: the main thread has pooled every document before it (owners drop their undo data). */
  | { type: 'batch'; start: number; texts: ScanDoc[]; pooled: number }
  /** The owned partitions as of document upTo (for the summary and checkpoints). */
  | { type: 'state'; upTo: number; tuples: boolean }
  | { type: 'close' };

export type DocOutcome =
  | { kind: 'doc'; doc: DocScored }
  | { kind: 'empty' }
  | { kind: 'error'; code: DetectorErrorCode; message: string };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'setup'; ok: boolean }
  /** Scored documents (tuple identities went to their owners); owners[k]: the owner of the batch's k-th tuple (omitted with one worker). */
  | { type: 'batch'; start: number; outcomes: DocOutcome[]; owners?: Uint8Array }
  /** An owner's decisions for its bucket of the batch at `start`. */
  | { type: 'novelty'; start: number; owner: number; flags: Uint8Array }
  | { type: 'state'; owner: number; entries: number; bytes: number; tuples?: Int32Array }
  | { type: 'fatal'; code: DetectorErrorCode; message: string };
