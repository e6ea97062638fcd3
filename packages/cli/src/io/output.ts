/**
 * Output conventions: results on stdout (human text, or one JSON document with --json);
 * progress and warnings on stderr only; a progress bar only when stderr is a TTY.
 */
import { jsonReplacer } from '@tracemark/detector';

export { jsonReplacer };
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

export function println(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export interface Progress {
  update(done: number, total?: number, note?: string): void;
  done(note?: string): void;
}

/** A one-line progress display on stderr, only when stderr is a TTY (never in logs or pipes). */
export function progress(label: string, opts: { force?: boolean } = {}): Progress {
  const tty = process.stderr.isTTY === true || opts.force === true;
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
    process.stderr.write(`\r\x1b[2K${label} ${bar}${note ? ` ${note}` : ''}`);
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
      if (shown) process.stderr.write(`\r\x1b[2K`);
      if (note) process.stderr.write(`${label} ${note}\n`);
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

/** One line on stderr (stage and progress lines that are not a TTY bar). */
export function eprintln(line = ''): void {
  process.stderr.write(`${line}\n`);
}
