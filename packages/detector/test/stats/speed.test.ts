import { describe, expect, it } from 'vitest';
import { binomialUpperTailLog, fisherCombineLog, gammaUpperTailLog } from '../../src/stats/index.js';

/** Mean µs per call over `calls` evaluations cycling through `args`. */
function timeIt(f: (i: number) => number, calls: number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(2000, calls); i++) sink += f(i); // warm-up (JIT)
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) sink += f(i);
  const us = ((performance.now() - t0) * 1000) / calls;
  expect(Number.isNaN(sink)).toBe(false);
  return us;
}

/** s values spread over z ∈ [−2, 8]: the calibration regime (most near the mean, the slow part). */
function spread(n: number, g: number, i: number): number {
  const z = -2 + ((i * 0.6180339887) % 1) * 10;
  return Math.max(1, Math.min(n, Math.round(n * g + z * Math.sqrt(n * g * (1 - g)))));
}

describe('speed (informational; loose bounds so CI noise cannot fail it)', () => {
  it('binomialUpperTailLog per call for N = 200, 1e4, 1e7', () => {
    const rows: string[] = [];
    for (const [n, calls] of [
      [200, 100_000],
      [1e4, 30_000],
      [1e7, 3_000],
    ] as const) {
      const us = timeIt((i) => binomialUpperTailLog(spread(n, 0.25, i), n, 0.25), calls);
      const usMean = timeIt((i) => binomialUpperTailLog(Math.round(n * 0.25) + (i % 3), n, 0.25), Math.ceil(calls / 3));
      rows.push(`N=${n}: ${us.toFixed(2)} µs/call (z∈[−2,8]), ${usMean.toFixed(2)} µs/call at the mean (worst case)`);
      if (n <= 1e4) expect(us).toBeLessThan(50);
    }
    console.info(rows.join('\n'));
  });
  it('gammaUpperTailLog / fisherCombineLog per call', () => {
    const us = timeIt((i) => gammaUpperTailLog(200, 200 + (i % 60)), 100_000);
    const usBig = timeIt((i) => gammaUpperTailLog(1e7, 1e7 + (i % 30) * 300), 3_000);
    const usFisher = timeIt((i) => fisherCombineLog([-1 - (i % 7), -2, -0.5, -10]), 100_000);
    console.info(
      `gammaUpperTailLog(200, x): ${us.toFixed(2)} µs, (1e7, x): ${usBig.toFixed(2)} µs; fisherCombineLog(k=4): ${usFisher.toFixed(2)} µs`,
    );
    expect(us).toBeLessThan(50);
  });
});
