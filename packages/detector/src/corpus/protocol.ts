/**
 * Messages between the scan's main thread and its workers. Documents travel in
 * batches of consecutive indices (up to BATCH_CHARS characters or BATCH_DOCS
 * documents): one message per document would cost ~30 µs of messaging for a
 * ~600-token document, several percent of its tokenization.
 */
import type { AnySpec, EngineKeyFile } from '@tracemark/watermark';
import type { DetectorOptions } from '../detect.js';
import type { DetectorErrorCode } from '../errors.js';
import type { DocScored, ScanDoc } from './docscore.js';

export const BATCH_CHARS = 64 * 1024;
export const BATCH_DOCS = 256;

export interface WorkerInit {
  spec: AnySpec;
  /** The secret key, handed to the worker in memory only (never logged or written): tracemark's bytes or an engine key file. */
  key: { kind: 'tracemark'; bytes: Uint8Array } | { kind: 'engine'; file: EngineKeyFile };
  detector: Omit<DetectorOptions, 'specialTokens'> & { specialTokens?: number[] };
  dedup: boolean;
  exclude: (string | number[])[];
}

/** A batch holds documents start, start+1, …, start+texts.length−1. */
export type ToWorker = { type: 'batch'; start: number; texts: ScanDoc[] } | { type: 'close' };

export type DocOutcome =
  | { kind: 'doc'; doc: DocScored }
  | { kind: 'empty' }
  | { kind: 'error'; code: DetectorErrorCode; message: string };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'batch'; start: number; outcomes: DocOutcome[] }
  | { type: 'fatal'; code: DetectorErrorCode; message: string };
