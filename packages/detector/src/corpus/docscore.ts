/**
 * Scoring one corpus document — the work a scan worker does. The same function
 * runs in worker threads and in the main thread (workers: 0), so results do not
 * depend on where a document was scored.
 */
import { hasPayload, type DetectionResult, type Detector } from '../detect.js';
import { DetectorError } from '../errors.js';
import type { ExclusionSet } from '../scorer.js';

export interface DocScored {
  index: number;
  result: DetectionResult;
  /** Scored tuples of the document (per-document deduplicated), for corpus-wide dedup. */
  count: number;
  hi: Int32Array;
  lo: Int32Array;
  token: Int32Array;
  score: Float64Array;
  /** Payload specs: digit position and colour per tuple. */
  pos?: Uint8Array;
  colour?: Int8Array;
  /**
   * Scored on a worker with corpus-wide dedup: each tuple's dedup decision, made by the
   * partition owners (hi, lo and token are then empty: they went to the owners).
   */
  novelty?: Uint8Array;
}

/** A corpus document: its text, or token ids (JSONL `ids`) with the prompt's ids if given. */
export type ScanDoc = string | { ids: Uint32Array; promptIds?: Uint32Array };

/** Size of a document for batching (characters; ids count ~4 characters each). */
export function docSize(d: ScanDoc): number {
  return typeof d === 'string' ? d.length : 4 * d.ids.length;
}

export interface DocScoreOptions {
  dedup: boolean;
  exclude?: ExclusionSet;
  /** Id documents with prompt ids: the scan's exclusion texts, to which the prompt's windows are added. */
  excludeTexts?: readonly (string | ArrayLike<number>)[];
  /** Return the tuples (needed for global dedup). */
  tuples: boolean;
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

/** Throws DetectorError (EMPTY_TEXT, TEXT_TOO_LARGE, …) like Detector.detect. */
export function scoreDocument(detector: Detector, index: number, doc: ScanDoc, opts: DocScoreOptions): DocScored {
  let exclude = opts.exclude;
  let enc: { tokens: ArrayLike<number>; chunkedRuns: number; specialStrings: number };
  if (typeof doc === 'string') enc = detector.tokenize(doc);
  else {
    enc = { tokens: doc.ids, chunkedRuns: 0, specialStrings: 0 };
    if (doc.promptIds) exclude = detector.exclusion([...(opts.excludeTexts ?? []), doc.promptIds]);
  }
  if (enc.tokens.length === 0) {
    // whitespace-free empty text: counted by the caller, never scored
    throw new DetectorError('EMPTY_TEXT', 'empty document');
  }
  const payload = hasPayload(detector.spec);
  // engine specs keyed on the prompt (SGLang, HF KGW) read their first contexts from it, as in detect
  const prompt = typeof doc !== 'string' && doc.promptIds && detector.engineReader ? { prompt: doc.promptIds } : {};
  const r = detector.scorer.score(enc.tokens, { dedup: opts.dedup, exclude, tuples: opts.tuples, payload, ...prompt });
  const result = detector.resultFromScored(r, opts.dedup, enc);
  const t = r.tuples;
  const out: DocScored = {
    index,
    result,
    count: t ? t.count : 0,
    hi: t ? t.hi : EMPTY_I32,
    lo: t ? t.lo : EMPTY_I32,
    token: t ? t.token : EMPTY_I32,
    score: t ? t.score : EMPTY_F64,
  };
  if (payload && opts.tuples) {
    out.pos = r.payloadPos!;
    out.colour = r.payloadColour!;
  }
  return out;
}

/** ArrayBuffers to transfer (not copy) when posting a DocScored to another thread. */
export function transferList(d: DocScored): ArrayBuffer[] {
  const bufs = new Set<ArrayBuffer>();
  for (const a of [d.hi, d.lo, d.token, d.score, d.pos, d.colour]) {
    if (a && a.byteLength > 0 && a.buffer instanceof ArrayBuffer) bufs.add(a.buffer);
  }
  return [...bufs];
}

