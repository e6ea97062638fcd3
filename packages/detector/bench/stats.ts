/**
 * Cost per call of the exact tail functions (calibration calls them ~10^6 times).
 *
 *   node --conditions=source --import tsx packages/detector/bench/stats.ts
 */
import { binomialUpperTailLog, fisherCombineLog, gammaUpperTailLog } from '../src/stats/index.js';

/** Mean µs per call over `calls` evaluations (after a JIT warm-up). */
function timeIt(f: (i: number) => number, calls: number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(2000, calls); i++) sink += f(i);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) sink += f(i);
  const us = ((performance.now() - t0) * 1000) / calls;
  if (Number.isNaN(sink)) throw new Error('NaN from a tail function');
  return us;
}

/** s values spread over z ∈ [−2, 8]: the calibration regime. */
function spread(n: number, g: number, i: number): number {
  const z = -2 + ((i * 0.6180339887) % 1) * 10;
  return Math.max(1, Math.min(n, Math.round(n * g + z * Math.sqrt(n * g * (1 - g)))));
}

export function runStatsBench(): void {
  console.log('| function | N | µs/call (z ∈ [−2, 8]) | µs/call at the mean |');
  console.log('|---|---:|---:|---:|');
  for (const [n, calls] of [[200, 100_000], [1e4, 30_000], [1e7, 3_000]] as const) {
    const us = timeIt((i) => binomialUpperTailLog(spread(n, 0.25, i), n, 0.25), calls);
    const atMean = timeIt((i) => binomialUpperTailLog(Math.round(n * 0.25) + (i % 3), n, 0.25), Math.ceil(calls / 3));
    console.log(`| binomialUpperTailLog | ${n} | ${us.toFixed(2)} | ${atMean.toFixed(2)} |`);
  }
  for (const [a, calls] of [[200, 100_000], [1e7, 3_000]] as const) {
    const us = timeIt((i) => gammaUpperTailLog(a, a + (i % 60) * Math.sqrt(a) * 0.1), calls);
    console.log(`| gammaUpperTailLog | ${a} | ${us.toFixed(2)} | |`);
  }
  console.log(`| fisherCombineLog (k = 4) | | ${timeIt((i) => fisherCombineLog([-1 - (i % 7), -2, -0.5, -10]), 100_000).toFixed(2)} | |`);
}

if (import.meta.url === `file://${process.argv[1]}`) runStatsBench();
