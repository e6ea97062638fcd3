/**
 * Where per-document results go. A one-shot scan writes them atomically (the file appears
 * whole on success, or not at all); a checkpointed scan appends them in place and records
 * how many bytes are final at each checkpoint, so a resume truncates the file back to the
 * checkpoint and continues — the file ends byte-identical to a single run's.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AtomicWriter } from '../atomic.js';
import { DetectorError } from '../errors.js';

export interface DocOutput {
  write(line: string): Promise<void>;
  /** Bytes written so far (checkpointed outputs). */
  readonly bytes: number;
  /** Make what was written durable (before a checkpoint names it). */
  sync(): void;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function atomicOutput(path: string): DocOutput {
  // a missing directory would only surface as a stream error later (and the writer waits on a stream that is gone)
  let dir = false;
  try {
    dir = statSync(dirname(path)).isDirectory();
  } catch {
    // reported below
  }
  if (!dir) throw new DetectorError('IO_ERROR', `${path}: the directory ${dirname(path)} does not exist`);
  const w = new AtomicWriter(path);
  return { write: (s) => w.write(s), bytes: 0, sync: () => undefined, commit: () => w.commit(), abort: () => w.abort() };
}

/** `resumeAt`: the byte count the checkpoint recorded (undefined: a fresh file). */
export function resumableOutput(path: string, resumeAt: number | undefined): DocOutput {
  let fd: number;
  try {
    fd = openSync(path, resumeAt !== undefined ? 'r+' : 'w');
  } catch (e) {
    throw new DetectorError('IO_ERROR', `${path}: ${(e as Error).message}`);
  }
  let bytes = resumeAt ?? 0;
  let open = true;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  if (resumeAt !== undefined) {
    if (statSync(path).size < resumeAt) {
      close();
      throw new DetectorError('BAD_OPTION', `${path}: shorter than the checkpoint records: it was changed since`);
    }
    ftruncateSync(fd, resumeAt);
  }
  return {
    write: async (s) => {
      const b = Buffer.from(s, 'utf8');
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off, bytes + off);
      bytes += b.length;
    },
    get bytes() {
      return bytes;
    },
    sync: () => fsyncSync(fd),
    commit: async () => close(),
    abort: async () => close(),
  };
}
