/**
 * The demo's stage times read as durations (issue 17): each timed stage line ends with what
 * that stage took, and the last line with the whole run's time, in fmtDuration's words
 * (`850 ms`, `12.3 s`, `1m 05s`) — not a running clock in bare seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo, stageClock } from '../src/demo/run.js';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-demo-times-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stageClock', () => {
  it('laps are the time since the previous lap; total since the start', () => {
    let t = 1_000;
    const c = stageClock(1_000, () => t);
    t = 1_850;
    expect(c.lap()).toBe('850 ms');
    t = 14_150;
    expect(c.lap()).toBe('12.3 s');
    t = 79_150;
    expect(c.lap()).toBe('1m 05s');
    t = 80_000;
    expect(c.total()).toBe('1m 19s');
    expect(c.lap()).toBe('850 ms');
  });
});

describe('demo stage lines', () => {
  it('end with what the stage took, and the run with its total', async () => {
    const lines: string[] = [];
    const sizes = { accounts: 2, harvestPrompts: 16, harvestTokens: 24, rho: 1, probePrompts: 8, probeTokens: 24, decoys: 2 };
    // A clock that moves 61 s each time it is read: t0, the lap after stage 1, stages 2 and 3,
    // the lap after stage 4, stages 5 and 6, the total.
    let t = 0;
    const r = await runDemo({ out: join(dir, 'run'), quick: true, sizes, log: (l) => lines.push(l), now: () => (t += 61_000) - 61_000 });
    for (const stage of [2, 3, 5, 6]) {
      const line = lines.find((l) => l.startsWith(`[${stage}/7]`));
      expect(line, `stage ${stage}`).toMatch(/ — 1m 01s$/);
    }
    for (const stage of [1, 4, 7]) expect(lines.find((l) => l.startsWith(`[${stage}/7]`))).not.toMatch(/ — /);
    expect(lines.at(-1)).toBe('done in 7m 07s');
    expect(r.seconds).toBe(488);
  }, 120_000);
});
