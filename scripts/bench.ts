/**
 * `pnpm bench`: every benchmark table, one after another in one process, so ratios
 * printed side by side were measured on the same machine state. Each package's bench
 * can also run alone (see its file header).
 *
 *   pnpm bench                # all
 *   pnpm bench embed detect   # a subset: embed | engines | engines-detect | stats | detect | scan | generate
 */
const all = {
  embed: async () => (await import('../packages/watermark/bench/embed.js')).runEmbedBench({}),
  engines: async () => (await import('../packages/watermark/bench/engines.js')).runEnginesBench({}),
  'engines-detect': async () => (await import('../packages/detector/bench/engines-detect.js')).runEnginesDetectBench({ tokens: 5000 }),
  stats: async () => (await import('../packages/detector/bench/stats.js')).runStatsBench(),
  detect: async () => (await import('../packages/detector/bench/detect.js')).runDetectBench({}),
  // the scan on 0, 1, 2 workers with the ceiling detect sets and tokenize-only on 2 threads (docs/SCALE.md)
  scan: async () => (await import('../packages/detector/bench/scan.js')).runScanBench({}),
  generate: async () => (await import('../packages/lm/bench/generate.js')).runGenerateBench({}),
} as const;

type Name = keyof typeof all;
const asked = process.argv.slice(2);
for (const a of asked) {
  if (!(a in all)) {
    console.error(`bench: unknown benchmark ${JSON.stringify(a)} (expected ${Object.keys(all).join(', ')})`);
    process.exit(2);
  }
}
const names = (asked.length ? asked : Object.keys(all)) as Name[];
console.log(`tracemark benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const n of names) {
  console.log(`\n=== ${n} ===`);
  await all[n]();
}
