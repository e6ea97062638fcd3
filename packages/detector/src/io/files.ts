/**
 * File I/O for the commands: clear one-line errors naming the file, atomic writes
 * (temp file in the same directory, fsync, rename) so nothing is ever half-written,
 * secret files created 0600 without overwriting, and JSONL with line numbers.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { usage } from './errors.js';

export function readTextFile(path: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw usage(ioMessage(e, what, path));
  }
  if (/\.gz$/i.test(path)) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw usage(`${what} ${path} is not valid gzip`);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw usage(`${what} ${path} is not valid UTF-8`);
  }
}

export function ioMessage(e: unknown, what: string, path: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${what} not found: ${path}`;
  if (code === 'EISDIR') return `${what} is a directory, not a file: ${path}`;
  if (code === 'EACCES') return `${what} is not readable (permission denied): ${path}`;
  return `cannot read ${what} ${path}: ${code ?? (e as Error).message}`;
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function writeAllSync(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Write a file atomically: temp file in the same directory, fsync, rename over the
 * target (or, with `exclusive`, link into place so an existing file is never replaced).
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, opts: { mode?: number; exclusive?: boolean } = {}): void {
  const data = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const tmp = tempName(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
  } catch (e) {
    throw usage(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    writeAllSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    if (opts.exclusive) {
      // link(2) fails with EEXIST instead of replacing: no race with a concurrent writer.
      linkSync(tmp, path);
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw usage(`refusing to overwrite existing file ${path}`);
    throw usage(`cannot write ${path}: ${code ?? (e as Error).message}`);
  }
  fsyncDir(dirname(path));
}

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported everywhere (e.g. some filesystems); the rename is still atomic */
  }
}

/** A secret (key) file: 0600, never overwrites, written atomically. */
export function writeSecretFile(path: string, content: string): void {
  if (exists(path)) throw usage(`refusing to overwrite existing file ${path}`);
  writeFileAtomic(path, content, { mode: 0o600, exclusive: true });
}

/** Warn (do not fail) when a secret file can be read by group or others. */
export function warnIfShared(path: string, what: string): void {
  if (process.platform === 'win32') return;
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) warn(`${what} ${path} is readable by group/others (mode ${mode.toString(8)}); chmod 600 it`);
  } catch {
    /* read already succeeded */
  }
}

/** Where warnings go; a program with its own output (the CLI run in-process) routes them there. */
export type WarningSink = (msg: string) => void;

const stderrSink: WarningSink = (msg) => {
  process.stderr.write(`tracemark: warning: ${msg}\n`);
};
let warningSink = stderrSink;

/** Route warnings to `sink` (the default writes `tracemark: warning: <msg>` on stderr). Returns the previous sink. */
export function setWarningSink(sink: WarningSink = stderrSink): WarningSink {
  const previous = warningSink;
  warningSink = sink;
  return previous;
}

export function warn(msg: string): void {
  warningSink(msg);
}

export interface JsonlRecord {
  /** 1-based line number. */
  line: number;
  value: unknown;
}

/**
 * Parse JSONL text: one JSON value per non-blank line. A malformed line is an error
 * naming the file and its line number.
 */
export function parseJsonl(text: string, source: string): JsonlRecord[] {
  const out: JsonlRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (e) {
      throw usage(`${source}:${i + 1}: malformed JSON line (${firstPart((e as Error).message)})`);
    }
  }
  return out;
}

function firstPart(m: string): string {
  return (m.split('\n')[0] ?? m).slice(0, 120);
}

/** Read a JSONL file and take a string field from each object line. */
export function readJsonlTexts(path: string, field: string, what = 'JSONL file'): { line: number; text: string; id?: string; record: Record<string, unknown> }[] {
  return parseJsonl(readTextFile(path, what), path).map(({ line, value }) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw usage(`${path}:${line}: expected a JSON object`);
    }
    const rec = value as Record<string, unknown>;
    const t = rec[field];
    if (typeof t !== 'string') throw usage(`${path}:${line}: field "${field}" is missing or not a string`);
    const id = rec.id;
    return { line, text: t, record: rec, ...(typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {}) };
  });
}

/** Read all of stdin (UTF-8). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw usage('stdin is not valid UTF-8');
  }
}
