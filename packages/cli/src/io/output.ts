/**
 * Output conventions: results on stdout (human text, or one JSON document with --json);
 * progress and warnings on stderr only; a progress bar only when stderr is a TTY.
 *
 * Every helper writes to the current run's Io, not to `process` directly: runProgram
 * (program.ts) runs each command inside its own Io held in an AsyncLocalStorage, so a
 * program run in-process (tests, embedders) has its stdout/stderr captured exactly and
 * two concurrent runs never mix. Outside a run the Io is the process's own streams.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { jsonReplacer } from '@tracemark/detector';

export { jsonReplacer };

/** The part of a stream the output helpers use (process.stdout/stderr satisfy it). */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
}

/** The process's own streams, read lazily (process.stdout is created on first access). */
export const processIo: Io = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
};

/** One program run: where it writes, and the exit code a command asked for without failing. */
export interface RunContext {
  readonly io: Io;
  exitCode?: number;
}

const runs = new AsyncLocalStorage<RunContext>();

/** Run `fn` (and everything it awaits or schedules) with its output going to `context.io`. */
export function withRunContext<T>(context: RunContext, fn: () => T): T {
  return runs.run(context, fn);
}

export function currentIo(): Io {
  return runs.getStore()?.io ?? processIo;
}

/**
 * The exit code of a command that completed but has something to say (`ledger lookup`:
 * 1 not found; `scan`: 3 stopped early). Outside a run it sets process.exitCode.
 */
export function setExitCode(code: number): void {
  const run = runs.getStore();
  if (run) run.exitCode = code;
  else process.exitCode = code;
}

export function printJson(value: unknown): void {
  currentIo().stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

export function println(line = ''): void {
  currentIo().stdout.write(`${line}\n`);
}

/** One line on stderr (stage and progress lines that are not a TTY bar). */
export function eprintln(line = ''): void {
  currentIo().stderr.write(`${line}\n`);
}

/** `tracemark: warning: <msg>` on stderr; also where the libraries' warnings are routed (program.ts). */
export function warn(msg: string): void {
  currentIo().stderr.write(`tracemark: warning: ${msg}\n`);
}

export interface Progress {
  update(done: number, total?: number, note?: string): void;
  done(note?: string): void;
}

/** A one-line progress display on stderr, only when stderr is a TTY (never in logs or pipes). */
export function progress(label: string, opts: { force?: boolean } = {}): Progress {
  const stderr = currentIo().stderr;
  const tty = stderr.isTTY === true || opts.force === true;
  let last = 0;
  let shown = false;
  const draw = (done: number, total: number | undefined, note: string | undefined): void => {
    const width = 28;
    let bar = '';
    if (total !== undefined && total > 0) {
      const f = Math.min(1, done / total);
      const filled = Math.round(f * width);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
    } else {
      bar = `${done}`;
    }
    stderr.write(`\r\x1b[2K${label} ${bar}${note ? ` ${note}` : ''}`);
    shown = true;
  };
  return {
    update(done, total, note) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && total !== undefined && done < total) return;
      last = now;
      draw(done, total, note);
    },
    done(note) {
      if (!tty) return;
      if (shown) stderr.write(`\r\x1b[2K`);
      if (note) stderr.write(`${label} ${note}\n`);
    },
  };
}

/** Format log10 p for people: "10^-12.3" style is ambiguous; use "p = 3.2e-13 (log10 p = -12.49)". */
export function fmtLog10(log10P: number): string {
  if (log10P === 0) return '1';
  if (log10P > -4) return (10 ** log10P).toPrecision(2);
  const e = Math.floor(log10P);
  const m = 10 ** (log10P - e);
  return `${m.toFixed(1)}e${e}`;
}
