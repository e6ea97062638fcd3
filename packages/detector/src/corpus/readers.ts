/**
 * Streaming document readers for corpus scans: plain text and JSONL, optionally
 * gzip-compressed (by the `.gz` suffix). Memory is bounded by the largest
 * document, never by the file: bytes are split into lines as they arrive.
 *
 * Documents:
 *   jsonl            one JSON object per line; the text is `field` (default "text"),
 *                    an optional id is `idField`. Blank lines are ignored. A line
 *                    that is not an object with a string text field is an error
 *                    naming file and line, or — with `skipMalformed` — skipped and counted.
 *   text/paragraph   (default for text) blocks of non-blank lines separated by
 *                    blank lines; each block is a document, its first line number
 *                    is reported. Lines inside a block are joined with "\n" (a
 *                    CRLF line ending becomes "\n").
 *   text/file        the whole file is one document, byte for byte.
 *   jsonl + ids      (`ids` option) token ids instead of text: each line holds an array
 *                    of non-negative integers in `ids.field` (default "ids") and, for
 *                    engines that key on the prompt, optionally `ids.promptField`
 *                    (default "prompt_ids"); validated with zod (integers, ≥ 0, below
 *                    `ids.vocabSize` when given). A bad line is one BAD_TOKENS error naming
 *                    file, line and field (never skipped: ids are evidence).
 * Bytes must be UTF-8 (decoded with a fatal decoder: invalid bytes are an error
 * with the line number, never replaced). A leading BOM is dropped. A document
 * or line above `maxDocBytes` is an error (TEXT_TOO_LARGE) rather than a memory
 * blow-up.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { DetectorError } from '../errors.js';

export type CorpusFormat = 'auto' | 'text' | 'jsonl';
export type TextMode = 'paragraph' | 'file';

export interface ReaderOptions {
  format?: CorpusFormat;
  textMode?: TextMode;
  field?: string;
  idField?: string;
  skipMalformed?: boolean;
  /** Largest document (or JSONL line) in bytes (default 200 MB: 50 M characters of up to 4 bytes). */
  maxDocBytes?: number;
  /** JSONL of token ids instead of text (see the header). */
  ids?: IdsFields;
}

export interface IdsFields {
  /** Field holding the ids (default "ids"). */
  field?: string;
  /** Optional field holding the prompt's ids (default "prompt_ids"). */
  promptField?: string;
  /** Ids must be below this (the tokenizer's vocabulary size), when given. */
  vocabSize?: number;
}

export interface IdsRecord {
  ids: Uint32Array;
  promptIds?: Uint32Array;
}

export interface RawDocument {
  source: string;
  /** 1-based line of the JSONL record or of the paragraph's first line (text/file: 1). */
  line: number;
  id?: string;
  /** The text ("" for token-id documents). */
  text: string;
  /** Token-id documents: the ids, and the prompt's ids when the line has them. */
  ids?: Uint32Array;
  promptIds?: Uint32Array;
}

export interface ReaderStats {
  skippedLines: number;
}

export const DEFAULT_MAX_DOC_BYTES = 200_000_000;

/**
 * A piece of an uncompressed file: bytes [start, end), whose first line is line `firstLine`
 * of the file. The out-of-core scan's shards (external/plan.ts) are such pieces, cut at
 * line boundaries (blank lines for text paragraphs), so reading the pieces in order gives
 * the documents, lines and numbers of reading the whole file.
 */
export interface ByteRange {
  start: number;
  end: number;
  firstLine: number;
}

export function formatOf(path: string, format: CorpusFormat = 'auto'): 'text' | 'jsonl' {
  if (format !== 'auto') return format;
  return /\.(jsonl|ndjson)(\.gz)?$/i.test(path) ? 'jsonl' : 'text';
}

function openBytes(path: string, range?: ByteRange): Readable {
  if (range && range.end <= range.start) return Readable.from([]);
  const raw = createReadStream(path, { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
  return /\.gz$/i.test(path) ? raw.pipe(createGunzip()) : raw;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeLine(bytes: Uint8Array, source: string, line: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new DetectorError('INVALID_UTF8', `${source}:${line}: not valid UTF-8`);
  }
}

/** Lines of a byte stream (without the "\n"), each as bytes, with 1-based numbers. */
async function* lines(path: string, maxBytes: number, range?: ByteRange): AsyncGenerator<{ bytes: Uint8Array; line: number }> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let line = range ? range.firstLine - 1 : 0;
  let first = !range || range.start === 0; // a BOM only at the start of the file
  const stream = openBytes(path, range);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = chunk;
      if (first) {
        first = false;
        if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      }
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        line++;
        let bytes: Uint8Array;
        if (pendingLen > 0) {
          pending.push(buf.subarray(start, nl));
          bytes = Buffer.concat(pending);
          pending = [];
          pendingLen = 0;
        } else bytes = buf.subarray(start, nl);
        if (bytes.length > maxBytes) {
          throw new DetectorError('TEXT_TOO_LARGE', `${path}:${line}: line of ${bytes.length} bytes exceeds the ${maxBytes}-byte document cap`);
        }
        yield { bytes, line };
        start = nl + 1;
      }
      if (start < buf.length) {
        pending.push(buf.subarray(start));
        pendingLen += buf.length - start;
        if (pendingLen > maxBytes) {
          throw new DetectorError('TEXT_TOO_LARGE', `${path}:${line + 1}: line exceeds the ${maxBytes}-byte document cap`);
        }
      }
    }
  } catch (e) {
    if (e instanceof DetectorError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new DetectorError('IO_ERROR', `${path}: ${err.code === 'Z_DATA_ERROR' ? 'corrupt gzip data' : err.message}`);
  } finally {
    stream.destroy();
  }
  if (pendingLen > 0) yield { bytes: Buffer.concat(pending), line: line + 1 };
}

/** A whole file as text, exactly (a final newline included), under the size cap. */
async function readWhole(path: string, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = openBytes(path);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new DetectorError('TEXT_TOO_LARGE', `${path}: file exceeds the ${maxBytes}-byte document cap`);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof DetectorError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new DetectorError('IO_ERROR', `${path}: ${err.code === 'Z_DATA_ERROR' ? 'corrupt gzip data' : err.message}`);
  } finally {
    stream.destroy();
  }
  let bytes: Uint8Array = Buffer.concat(chunks);
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return decoder.decode(bytes);
  } catch {
    // name the first bad line
    let line = 1, start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 10) {
        decodeLine(bytes.subarray(start, i), path, line);
        line++;
        start = i + 1;
      }
    }
    throw new DetectorError('INVALID_UTF8', `${path}: not valid UTF-8`);
  }
}

const idArray = z.array(z.number().int('not an integer').nonnegative('negative').max(2 ** 32 - 1, 'above 2^32 − 1'), { error: 'not an array of token ids' });

/**
 * The ids (and prompt ids) of one JSONL record, checked; BAD_TOKENS naming `where`
 * (file:line), the field and the first bad element otherwise.
 */
export function parseIdsRecord(rec: Record<string, unknown>, where: string, f: IdsFields = {}): IdsRecord {
  const field = f.field ?? 'ids', promptField = f.promptField ?? 'prompt_ids';
  const one = (name: string, v: unknown): Uint32Array => {
    const r = idArray.safeParse(v);
    if (!r.success) {
      const iss = r.error.issues[0]!;
      const at = typeof iss.path[0] === 'number' ? ` element ${iss.path[0]} (${JSON.stringify((v as unknown[])[iss.path[0]])})` : '';
      throw new DetectorError('BAD_TOKENS', `${where}: field "${name}":${at} ${iss.message}`);
    }
    const V = f.vocabSize;
    if (V !== undefined) {
      const i = r.data.findIndex((t) => t >= V);
      if (i >= 0) throw new DetectorError('BAD_TOKENS', `${where}: field "${name}": element ${i} (${r.data[i]}) is not below the vocabulary size ${V}`);
    }
    return Uint32Array.from(r.data);
  };
  if (rec[field] === undefined) throw new DetectorError('BAD_TOKENS', `${where}: field "${field}" is missing`);
  const out: IdsRecord = { ids: one(field, rec[field]) };
  if (rec[promptField] !== undefined && rec[promptField] !== null) out.promptIds = one(promptField, rec[promptField]);
  return out;
}

/** The documents of one file, in order. */
export async function* readDocuments(path: string, opts: ReaderOptions = {}, stats?: ReaderStats, range?: ByteRange): AsyncGenerator<RawDocument> {
  const maxBytes = opts.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES;
  const format = formatOf(path, opts.format);
  if (range && (/\.gz$/i.test(path) || (format === 'text' && (opts.textMode ?? 'paragraph') === 'file'))) throw new DetectorError('BAD_OPTION', `${path}: a compressed file or a whole-file document cannot be read in pieces`);
  if (format === 'jsonl') {
    const field = opts.field ?? 'text';
    for await (const { bytes, line } of lines(path, maxBytes, range)) {
      const s = decodeLine(bytes, path, line);
      if (s.trim() === '') continue;
      let problem: string | undefined;
      let obj: unknown;
      try {
        obj = JSON.parse(s);
      } catch (e) {
        problem = `not valid JSON (${(e as Error).message})`;
      }
      if (!problem) {
        if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) problem = 'not a JSON object';
        else if (!opts.ids && typeof (obj as Record<string, unknown>)[field] !== 'string') problem = `field "${field}" is missing or not a string`;
      }
      if (problem) {
        if (opts.skipMalformed) {
          if (stats) stats.skippedLines++;
          continue;
        }
        throw new DetectorError('MALFORMED_JSONL', `${path}:${line}: ${problem}`);
      }
      const rec = obj as Record<string, unknown>;
      const doc: RawDocument = opts.ids
        ? { source: path, line, text: '', ...parseIdsRecord(rec, `${path}:${line}`, opts.ids) }
        : { source: path, line, text: rec[field] as string };
      if (opts.idField !== undefined && rec[opts.idField] !== undefined) doc.id = String(rec[opts.idField]);
      yield doc;
    }
    return;
  }
  if ((opts.textMode ?? 'paragraph') === 'file') {
    const text = await readWhole(path, maxBytes);
    if (text.length > 0) yield { source: path, line: 1, text };
    return;
  }
  let para: string[] = [];
  let paraBytes = 0;
  let paraLine = 0;
  for await (const { bytes, line } of lines(path, maxBytes, range)) {
    let s = decodeLine(bytes, path, line);
    if (s.endsWith('\r')) s = s.slice(0, -1); // CRLF files: paragraphs are joined with \n
    if (s.trim() === '') {
      if (para.length > 0) yield { source: path, line: paraLine, text: para.join('\n') };
      para = [];
      paraBytes = 0;
      continue;
    }
    if (para.length === 0) paraLine = line;
    para.push(s);
    paraBytes += bytes.length + 1;
    if (paraBytes > maxBytes + 1) {
      throw new DetectorError('TEXT_TOO_LARGE', `${path}:${paraLine}: paragraph exceeds the ${maxBytes}-byte document cap`);
    }
  }
  if (para.length > 0) yield { source: path, line: paraLine, text: para.join('\n') };
}
