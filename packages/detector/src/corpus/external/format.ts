/**
 * The binary files of the out-of-core scan: fixed-size records of 32-bit words behind a
 * 64-byte header that names what the file is (kind, record width, shard or partition,
 * record count and the plan it belongs to). A reader checks all of it and the file size,
 * so a truncated file, a file of another plan or of another kind is a DetectorError
 * naming the file — never records silently missing or misread.
 *
 * Files appear atomically: they are written under a temporary name in the same directory
 * and renamed into place (after fsync) only when complete; a job killed mid-write leaves
 * at most a `.tmp` file nobody reads. Words are little-endian: they are written as the
 * host's Int32Arrays, so a big-endian host is refused (assertLittleEndian).
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { DetectorError } from '../../errors.js';

export const HEADER_BYTES = 64;

export function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new DetectorError('BAD_OPTION', 'the out-of-core scan needs a little-endian host');
}
const MAGIC = 0x31584d54; // "TMX1" little-endian
const FORMAT_VERSION = 1;

/** What a file holds. */
export const FileKind = { mapTuples: 1, mapDocs: 2, reduced: 3, run: 4 } as const;
export type FileKind = (typeof FileKind)[keyof typeof FileKind];

export interface FileHeader {
  kind: FileKind;
  /** 32-bit words per record (0 for the framed documents file). */
  words: number;
  /** The shard or partition the file belongs to. */
  id: number;
  /** Records (documents for the documents file). */
  count: number;
  /** Bytes after the header (records × words × 4 for record files). */
  bytes: number;
  /** The plan's hash (hex, 32 characters). */
  plan: string;
}

function encodeHeader(h: FileHeader): Uint8Array {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt32LE(FORMAT_VERSION, 4);
  b.writeUInt32LE(h.kind, 8);
  b.writeUInt32LE(h.words, 12);
  b.writeUInt32LE(h.id, 16);
  b.writeDoubleLE(h.count, 24);
  b.writeDoubleLE(h.bytes, 32);
  Buffer.from(h.plan, 'hex').copy(b, 40, 0, 16);
  return b;
}

function decodeHeader(b: Buffer, path: string): FileHeader {
  const bad = (why: string): DetectorError => new DetectorError('IO_ERROR', `${path}: ${why}`);
  if (b.length < HEADER_BYTES || b.readUInt32LE(0) !== MAGIC) throw bad('not a tracemark scan file');
  if (b.readUInt32LE(4) !== FORMAT_VERSION) throw bad(`scan file format ${b.readUInt32LE(4)}, this tracemark reads ${FORMAT_VERSION}`);
  return {
    kind: b.readUInt32LE(8) as FileKind,
    words: b.readUInt32LE(12),
    id: b.readUInt32LE(16),
    count: b.readDoubleLE(24),
    bytes: b.readDoubleLE(32),
    plan: b.subarray(40, 56).toString('hex'),
  };
}

function ioError(path: string, e: unknown): DetectorError {
  if (e instanceof DetectorError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new DetectorError('IO_ERROR', code === 'ENOENT' ? `${path}: missing` : `${path}: ${code ?? (e as Error).message}`);
}

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off, position + off);
}

/** A file written under a temporary name, renamed into place by commit(). */
export class AtomicFile {
  readonly path: string;
  readonly #tmp: string;
  readonly #fd: number;
  #at = HEADER_BYTES;
  #open = true;

  constructor(path: string) {
    this.path = path;
    this.#tmp = tempPathFor(path);
    try {
      this.#fd = openSync(this.#tmp, 'w', 0o644);
    } catch (e) {
      throw ioError(path, e);
    }
  }

  get bytes(): number {
    return this.#at - HEADER_BYTES;
  }

  append(data: Uint8Array): void {
    writeAll(this.#fd, data, this.#at);
    this.#at += data.length;
  }

  /** Write the header, fsync (unless `durable` is false: scratch files), rename into place; returns the file's size. */
  commit(h: Omit<FileHeader, 'bytes'>, durable = true): number {
    const size = this.#at;
    writeAll(this.#fd, encodeHeader({ ...h, bytes: size - HEADER_BYTES }), 0);
    if (durable) fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#open = false;
    try {
      renameSync(this.#tmp, this.path);
    } catch (e) {
      throw ioError(this.path, e);
    }
    return size;
  }

  abort(): void {
    if (this.#open) closeSync(this.#fd);
    this.#open = false;
    try {
      unlinkSync(this.#tmp);
    } catch {
      /* gone */
    }
  }
}

/** Fixed-size records appended through a buffer of `bufferRecords` records. */
export class RecordWriter {
  readonly words: number;
  readonly file: AtomicFile;
  readonly #buf: Int32Array;
  #n = 0;
  #count = 0;

  constructor(path: string, words: number, bufferRecords: number) {
    this.words = words;
    this.file = new AtomicFile(path);
    this.#buf = new Int32Array(Math.max(1, bufferRecords) * words);
  }

  get count(): number {
    return this.#count;
  }

  /** Room for one record: write its words at the returned offset of `buf`. */
  slot(): number {
    if (this.#n * this.words === this.#buf.length) this.flush();
    this.#count++;
    return this.#n++ * this.words;
  }
  get buf(): Int32Array {
    return this.#buf;
  }

  /** Append one record copied from `src` at word offset `at`. */
  push(src: Int32Array, at: number): void {
    const o = this.slot();
    for (let w = 0; w < this.words; w++) this.#buf[o + w] = src[at + w]!;
  }

  flush(): void {
    if (this.#n === 0) return;
    this.file.append(new Uint8Array(this.#buf.buffer, 0, this.#n * this.words * 4));
    this.#n = 0;
  }

  commit(kind: FileKind, id: number, plan: string, durable = true): number {
    this.flush();
    return this.file.commit({ kind, words: this.words, id, count: this.#count, plan }, durable);
  }
}

/** Opens a scan file and checks its header against what the caller expects and the file's size. */
export function openChecked(path: string, want: { kind: FileKind; id: number; plan: string; words?: number; size?: number }): { fd: number; header: FileHeader } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const b = Buffer.alloc(HEADER_BYTES);
    const got = readSync(fd, b, 0, HEADER_BYTES, 0);
    const h = decodeHeader(b.subarray(0, got), path);
    const bad = (why: string): DetectorError => new DetectorError('IO_ERROR', `${path}: ${why}`);
    if (h.plan !== want.plan) throw bad('belongs to another scan plan');
    if (h.kind !== want.kind || h.id !== want.id || (want.words !== undefined && h.words !== want.words)) throw bad('is not the file expected here (kind, shard/partition or record width differ)');
    const size = fstatSync(fd).size;
    const expected = HEADER_BYTES + h.bytes;
    if (size !== expected || (h.words > 0 && h.bytes !== h.count * h.words * 4) || (want.size !== undefined && size !== want.size)) throw bad(`truncated or altered (${size} bytes, expected ${want.size ?? expected})`);
    return { fd, header: h };
  } catch (e) {
    closeSync(fd);
    throw ioError(path, e);
  }
}

/** Reads a record file in blocks of whole records. */
export class RecordReader {
  readonly words: number;
  readonly count: number;
  readonly path: string;
  readonly #fd: number;
  #pos = HEADER_BYTES;
  #left: number;
  #block: Int32Array;

  constructor(path: string, want: { kind: FileKind; id: number; plan: string; words: number; size?: number }, blockRecords: number) {
    const { fd, header } = openChecked(path, want);
    this.path = path;
    this.#fd = fd;
    this.words = header.words;
    this.count = header.count;
    this.#left = header.count;
    this.#block = new Int32Array(Math.max(1, blockRecords) * this.words);
  }

  /** The next block: records [0, n) of the returned array (n = 0 at the end). */
  next(): { buf: Int32Array; n: number } {
    const n = Math.min(this.#left, this.#block.length / this.words);
    if (n === 0) return { buf: this.#block, n: 0 };
    const bytes = n * this.words * 4;
    const view = new Uint8Array(this.#block.buffer, 0, bytes);
    let off = 0;
    while (off < bytes) {
      const got = readSync(this.#fd, view, off, bytes - off, this.#pos + off);
      if (got === 0) throw new DetectorError('IO_ERROR', `${this.path}: truncated while reading`);
      off += got;
    }
    this.#pos += bytes;
    this.#left -= n;
    return { buf: this.#block, n };
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** A float64 as two 32-bit words (exactly: the bits, not the value's decimal form). */
const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);
export function putF64(buf: Int32Array, at: number, x: number): void {
  f64[0] = x;
  buf[at] = f64w[0]!;
  buf[at + 1] = f64w[1]!;
}
export function getF64(buf: Int32Array, at: number): number {
  f64w[0] = buf[at]!;
  f64w[1] = buf[at + 1]!;
  return f64[0]!;
}
