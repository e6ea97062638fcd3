/**
 * Load a cached Kneser–Ney model, or train and cache it. The file is rebuilt when
 * it is missing, stale (format version, corpus fingerprint or training parameters
 * differ) or corrupt (bad magic, truncated, checksum mismatch); with
 * `rebuild: false` those cases are errors instead.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@tracemark/detector';
import { canonicalJson } from '@tracemark/watermark';
import type { KnData } from './data.js';
import { decodeKnFile, encodeKnFile, KnFileError, readKnHeader, type KnFileMeta } from './format.js';

export type LoadSource = 'cache' | 'trained';

export interface LoadResult {
  data: KnData;
  source: LoadSource;
  path: string;
  /** Why the model was (re)trained: missing, stale: …, corrupt: …. */
  reason?: string;
  /** Milliseconds spent loading or training (for reports). */
  ms: number;
  bytes: number;
}

export interface LoadOrTrainOptions {
  path: string;
  meta: KnFileMeta;
  /** Called when the file is missing, stale or corrupt, with the reason (as in LoadResult.reason). */
  train: (reason: string) => KnData;
  /** Default true. */
  rebuild?: boolean;
}

export function loadOrTrain(opts: LoadOrTrainOptions): LoadResult {
  const t0 = performance.now();
  const problem = tryLoad(opts.path, opts.meta);
  if ('data' in problem) {
    return { data: problem.data, source: 'cache', path: opts.path, ms: performance.now() - t0, bytes: problem.bytes };
  }
  if (opts.rebuild === false) {
    throw new Error(`cached model ${opts.path} is unusable (${problem.reason}) and rebuild is disabled`);
  }
  const data = opts.train(problem.reason);
  const bytes = encodeKnFile(data, opts.meta);
  mkdirSync(dirname(opts.path), { recursive: true }); // the cache directory may not exist yet
  writeFileAtomic(opts.path, bytes);
  return { data, source: 'trained', path: opts.path, reason: problem.reason, ms: performance.now() - t0, bytes: bytes.length };
}

function tryLoad(path: string, meta: KnFileMeta): { data: KnData; bytes: number } | { reason: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { reason: 'missing' };
    return { reason: `unreadable: ${(e as Error).message}` };
  }
  try {
    // Staleness first: it needs only the header, not the checksum over the payload.
    const { header } = readKnHeader(bytes);
    if (header.meta?.corpusFingerprint !== meta.corpusFingerprint) return { reason: 'stale: corpus fingerprint differs' };
    if (canonicalJson(header.meta?.params) !== canonicalJson(meta.params)) return { reason: 'stale: training parameters differ' };
    return { data: decodeKnFile(bytes).data, bytes: bytes.length };
  } catch (e) {
    if (e instanceof KnFileError) {
      return { reason: e.problem === 'version' ? `stale: ${e.message}` : `corrupt: ${e.message}` };
    }
    throw e;
  }
}
