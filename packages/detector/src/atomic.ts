/**
 * Streamed output files appear whole or not at all: data goes to a temporary file next
 * to the target (same directory, so the final rename is atomic on POSIX) and is
 * renamed into place only on success. On failure the temporary file is removed.
 * (Whole files written at once: writeFileAtomic in io/files.ts.)
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DetectorError } from './errors.js';

function tempPath(path: string): string {
  const rnd = Math.floor(Math.random() * 2 ** 32).toString(16);
  return join(dirname(path), `.${basename(path)}.${process.pid}.${rnd}.tmp`);
}

/** A line-oriented writer with backpressure whose file appears only on commit(). */
export class AtomicWriter {
  readonly path: string;
  readonly #tmp: string;
  readonly #stream: WriteStream;
  #error: Error | undefined;
  #done = false;

  constructor(path: string) {
    this.path = path;
    this.#tmp = tempPath(path);
    this.#stream = createWriteStream(this.#tmp, { mode: 0o644 });
    this.#stream.on('error', (e) => (this.#error ??= e));
  }

  async write(chunk: string): Promise<void> {
    if (this.#error) throw this.#ioError(this.#error);
    if (!this.#stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error): void => reject(this.#ioError(e));
        this.#stream.once('drain', () => {
          this.#stream.off('error', onErr);
          resolve();
        });
        this.#stream.once('error', onErr);
      });
    }
  }

  async commit(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    try {
      // A stream that already failed (e.g. its directory is missing) never calls end's
      // callback or emits again: report its error instead of waiting for either.
      if (this.#error || this.#stream.errored) throw this.#error ?? this.#stream.errored!;
      await new Promise<void>((resolve, reject) => {
        this.#stream.once('error', reject);
        this.#stream.end((e?: Error | null) => (e ? reject(e) : resolve()));
      });
      if (this.#error) throw this.#error;
      await rename(this.#tmp, this.path);
    } catch (e) {
      await unlink(this.#tmp).catch(() => undefined);
      throw this.#ioError(e as Error);
    }
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    if (!this.#stream.closed) {
      // (a failed stream has closed already: its 'close' will not come again)
      await new Promise<void>((resolve) => {
        this.#stream.once('close', () => resolve());
        this.#stream.destroy();
      });
    }
    await unlink(this.#tmp).catch(() => undefined);
  }

  #ioError(e: Error): DetectorError {
    return e instanceof DetectorError ? e : new DetectorError('IO_ERROR', `cannot write ${this.path}: ${e.message}`);
  }
}
