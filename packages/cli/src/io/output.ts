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

/**
 * A duration for people: `850 ms`, `12.3 s`, `1m 05s`, `2h 03m` (rounded, never "60.0 s"
 * or "1m 60s"). Not finite or negative → `?`.
 */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Items per second: `123/s`, `12.3/s`, `0.52/s`; `0/s` when nothing moved; `?` when not finite. */
export function fmtRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '?';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 99.95) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${Number(perSecond.toPrecision(2))}/s`;
}

/** Time left, coarse: `<1 s left`, `~13 s left`, `~1m 20s left`; null when unknowable. */
export function fmtEta(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return '<1 s left';
  if (ms < 59_500) return `~${Math.ceil(ms / 1000)} s left`;
  return `~${fmtDuration(ms)} left`;
}

export interface ProgressState {
  label: string;
  done: number;
  total?: number | undefined;
  /** Items per second (undefined: not measurable yet). */
  rate?: number | undefined;
  note?: string | undefined;
  /** Bar width in characters (default 28). */
  width?: number;
}

/**
 * The text of one progress line (no control characters): `label [###...] done/total 12.3/s ~1m 20s left note`.
 * The ETA is shown only with a known total, a positive rate and work left.
 */
export function formatProgress(p: ProgressState): string {
  const width = p.width ?? 28;
  const parts = [p.label];
  const known = p.total !== undefined && p.total > 0;
  if (known) {
    const f = Math.min(1, Math.max(0, p.done / p.total!));
    const filled = Math.round(f * width);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}`);
  } else parts.push(`${p.done}`);
  if (p.rate !== undefined && Number.isFinite(p.rate)) {
    parts.push(fmtRate(p.rate));
    if (known && p.rate > 0 && p.done < p.total!) {
      const eta = fmtEta(((p.total! - p.done) / p.rate) * 1000);
      if (eta) parts.push(eta);
    }
  }
  if (p.note) parts.push(p.note);
  return parts.join(' ');
}

/** Rate window: items/s over the last RATE_WINDOW_MS (since the first update while shorter). */
const RATE_WINDOW_MS = 10_000;
/** Redraw at most every REDRAW_MS (the last item always draws). */
const REDRAW_MS = 100;

/**
 * A one-line progress display on stderr, only when stderr is a TTY (never in logs or pipes,
 * never on stdout), with the rate and, when the total is known, the time left; redrawn at
 * most ~10 times a second. `force` draws on a non-TTY stderr (tests); `now` is the clock.
 */
export function progress(label: string, opts: { force?: boolean; now?: () => number } = {}): Progress {
  const stderr = currentIo().stderr;
  const tty = stderr.isTTY === true || opts.force === true;
  const now = opts.now ?? Date.now;
  let last = -Infinity;
  let shown = false;
  // Samples (time, done) at the redraws of the last RATE_WINDOW_MS, oldest first; the first
  // update is the baseline (a resumed run's items already done are not counted as speed).
  const samples: { t: number; done: number }[] = [];
  const rateAt = (t: number, done: number): number | undefined => {
    while (samples.length > 1 && t - samples[1]!.t >= RATE_WINDOW_MS) samples.shift();
    const first = samples[0];
    if (!first || t - first.t < 250) return undefined;
    return Math.max(0, done - first.done) / ((t - first.t) / 1000);
  };
  return {
    update(done, total, note) {
      if (!tty) return;
      const t = now();
      if (samples.length === 0) samples.push({ t, done });
      const final = total !== undefined && done >= total;
      if (t - last < REDRAW_MS && !final) return;
      last = t;
      const rate = rateAt(t, done);
      samples.push({ t, done });
      stderr.write(`\r\x1b[2K${formatProgress({ label, done, total, rate, note })}`);
      shown = true;
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
