/**
 * The progress line (issue 17): the pure formatters (durations, rates, time left, the line)
 * give exact strings, and progress() draws rate and time left on stderr only — never on
 * stdout, only on a TTY (or with `force`), at most ~10 times a second.
 */
import { describe, expect, it } from 'vitest';
import { fmtDuration, fmtEta, fmtRate, formatProgress, progress, withRunContext, type Io } from '../src/io/output.js';

describe('fmtDuration', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [999.4, '999 ms'],
    [999.6, '1.0 s'],
    [1234, '1.2 s'],
    [12_300, '12.3 s'],
    [59_940, '59.9 s'],
    [59_960, '1m 00s'],
    [65_000, '1m 05s'],
    [80_000, '1m 20s'],
    [3_599_400, '59m 59s'],
    [3_599_600, '1h 00m'],
    [7_380_000, '2h 03m'],
    [-1, '?'],
    [Number.NaN, '?'],
    [Number.POSITIVE_INFINITY, '?'],
  ])('%s ms → %s', (ms, s) => expect(fmtDuration(ms)).toBe(s));
});

describe('fmtRate', () => {
  it.each([
    [0, '0/s'],
    [0.5234, '0.52/s'],
    [0.05, '0.05/s'],
    [1, '1.0/s'],
    [12.345, '12.3/s'],
    [99.94, '99.9/s'],
    [99.96, '100/s'],
    [1234.5, '1235/s'],
    [Number.NaN, '?'],
  ])('%s → %s', (r, s) => expect(fmtRate(r)).toBe(s));
});

describe('fmtEta', () => {
  it.each([
    [400, '<1 s left'],
    [1000, '~1 s left'],
    [12_100, '~13 s left'],
    [80_000, '~1m 20s left'],
    [5_400_000, '~1h 30m left'],
  ])('%s ms → %s', (ms, s) => expect(fmtEta(ms)).toBe(s));
  it('is null when unknowable', () => {
    expect(fmtEta(Number.POSITIVE_INFINITY)).toBeNull();
    expect(fmtEta(-5)).toBeNull();
  });
});

describe('formatProgress', () => {
  it('bar, count, rate and time left with a known total', () => {
    expect(formatProgress({ label: 'probe', done: 100, total: 400, rate: 3.75, width: 8 })).toBe('probe [##......] 100/400 3.8/s ~1m 20s left');
  });
  it('no ETA without a total (a count and a rate), nor when done, nor at rate 0', () => {
    expect(formatProgress({ label: 'scan', done: 1234, rate: 250 })).toBe('scan 1234 250/s');
    expect(formatProgress({ label: 'x', done: 4, total: 4, rate: 2, width: 4 })).toBe('x [####] 4/4 2.0/s');
    expect(formatProgress({ label: 'x', done: 0, total: 4, rate: 0, width: 4 })).toBe('x [....] 0/4 0/s');
  });
  it('no rate before it can be measured; the note last', () => {
    expect(formatProgress({ label: 'x', done: 1, total: 4, note: '(resumed)', width: 4 })).toBe('x [#...] 1/4 (resumed)');
  });
});

function fakeIo(tty: boolean): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (c: string) => out.push(c), isTTY: tty }, stderr: { write: (c: string) => err.push(c), isTTY: tty } }, out, err };
}

describe('progress()', () => {
  it('draws rate and ETA on stderr with force, never on stdout, at most every 100 ms', () => {
    const f = fakeIo(false);
    let t = 0;
    withRunContext({ io: f.io }, () => {
      const bar = progress('score', { force: true, now: () => t });
      for (let i = 0; i <= 40; i++) {
        t = i * 50; // 20 items/s, an update every 50 ms
        bar.update(i, 40);
      }
      bar.done('done');
    });
    expect(f.out).toEqual([]);
    // First update, then every other one (100 ms apart), the last always: 1 + 20 = 21 draws, a clear, the note.
    const draws = f.err.filter((c) => c.startsWith('\r\x1b[2K') && c !== '\r\x1b[2K');
    expect(draws).toHaveLength(21);
    expect(draws[0]).toBe(`\r\x1b[2Kscore [${'.'.repeat(28)}] 0/40`);
    // At t = 1000 ms: 20 done, 20/s, 20 left → 1 s.
    expect(draws[10]).toBe(`\r\x1b[2Kscore [${'#'.repeat(14)}${'.'.repeat(14)}] 20/40 20.0/s ~1 s left`);
    expect(draws[5]).toMatch(/ 10\/40 20\.0\/s ~2 s left$/);
    expect(draws[20]).toBe(`\r\x1b[2Kscore [${'#'.repeat(28)}] 40/40 20.0/s`);
    expect(f.err.slice(-2)).toEqual(['\r\x1b[2K', 'score done\n']);
  });

  it('the rate is over a sliding window: a slow start does not drag it down later', () => {
    const f = fakeIo(true);
    let t = 0;
    const lines: string[] = [];
    withRunContext({ io: f.io }, () => {
      const bar = progress('p', { now: () => t });
      bar.update(0, 1000);
      // 60 s at 1 item/s, then 30 s at 10 items/s.
      for (let s = 1; s <= 60; s++) {
        t = s * 1000;
        bar.update(s, 1000);
      }
      for (let s = 1; s <= 30; s++) {
        t = 60_000 + s * 1000;
        bar.update(60 + s * 10, 1000);
      }
      lines.push(f.err.at(-1)!);
    });
    // Over the last 10 s: 100 items → 10/s; 640 left → 64 s.
    expect(lines[0]).toMatch(/ 360\/1000 10\.0\/s ~1m 04s left$/);
    expect(f.out).toEqual([]);
  });

  it('a resumed run: the items already done at the first update are not counted as speed', () => {
    const f = fakeIo(true);
    let t = 0;
    withRunContext({ io: f.io }, () => {
      const bar = progress('probe', { now: () => t });
      bar.update(300, 400);
      t = 2000;
      bar.update(310, 400);
    });
    expect(f.err.at(-1)).toMatch(/ 310\/400 5\.0\/s ~18 s left$/);
  });

  it('writes nothing when stderr is not a TTY (logs, pipes)', () => {
    const f = fakeIo(false);
    withRunContext({ io: f.io }, () => {
      const bar = progress('scan');
      bar.update(1);
      bar.update(2, 2);
      bar.done('finished');
    });
    expect(f.out).toEqual([]);
    expect(f.err).toEqual([]);
  });
});
