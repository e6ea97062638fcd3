/**
 * Generation throughput with the reference language model: unwatermarked vs
 * watermarked (each scheme through the sparse Embedder), same prompts and seeds.
 *
 *   node --conditions=source --import tsx packages/lm/bench/generate.ts [--tokens 20000] [--temperature 1] [--top-k 0] [--top-p 1]
 *
 * `runGenerateBench(opts)` is exported for the workspace `pnpm bench`.
 */
import { pathToFileURL } from 'node:url';
import { Embedder, generateKey, parseSpec, Watermark, type SamplingOptions, type WatermarkSpecInput } from '@tracemark/watermark';
import { generateTextSync, loadReferenceModel, type LanguageModel } from '../src/index.js';

export interface GenerateBenchOptions extends SamplingOptions {
  /** Tokens generated per row (default 20,000). */
  tokens?: number;
  /** Tokens per response (default 200). */
  maxTokens?: number;
  /** Model (default: the reference KN model, loaded or trained into the cache). */
  model?: LanguageModel;
  /** Print the table (default true). */
  print?: boolean;
}

export interface GenerateBenchRow {
  scheme: string;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** µs per token over the unwatermarked row's. */
  overhead: number;
  /** Fraction of steps drawn from the unlisted rest. */
  fromRest: number;
}

const PROMPTS = ['The committee said that', 'In the morning the', 'It is obvious that the', 'He looked at the', 'Our only trouble is'];
const SCHEMES: [string, WatermarkSpecInput['scheme'] | null][] = [
  ['none (unwatermarked)', null],
  ['kgw γ0.25 δ2 h1', { name: 'kgw', gamma: 0.25, delta: 2 }],
  ['gumbel h1', { name: 'gumbel' }],
  ['synthid m30 h1', { name: 'synthid', layers: 30 }],
  ['unigram γ0.25 δ2', { name: 'unigram', gamma: 0.25, delta: 2 }],
];

function run(model: LanguageModel, embedder: Embedder | undefined, tokens: number, maxTokens: number, s: SamplingOptions) {
  let n = 0, rest = 0, i = 0;
  const t0 = performance.now();
  while (n < tokens) {
    const r = generateTextSync({ model, watermark: embedder, prompt: PROMPTS[i % PROMPTS.length]!, maxTokens, seed: i, ...s });
    n += r.tokens.length;
    rest += r.fromRestSteps;
    i++;
  }
  return { n, rest, seconds: (performance.now() - t0) / 1000 };
}

export async function runGenerateBench(opts: GenerateBenchOptions = {}): Promise<GenerateBenchRow[]> {
  const tokens = opts.tokens ?? 20_000;
  const maxTokens = opts.maxTokens ?? 200;
  const sampling: SamplingOptions = {
    ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
    ...(opts.topK !== undefined ? { topK: opts.topK } : {}),
    ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
  };
  const model = opts.model ?? loadReferenceModel().model;
  const key = generateKey(); // a throwaway key: never printed
  const rows: GenerateBenchRow[] = [];
  let baseUs = 0;
  for (const [name, scheme] of SCHEMES) {
    const embedder = scheme
      ? new Embedder(new Watermark(parseSpec({ version: 1, scheme, tokenizer: model.tokenizer, keyFingerprint: key.fingerprint }), key))
      : undefined;
    run(model, embedder, Math.min(2000, tokens), maxTokens, sampling); // warm-up (JIT, caches)
    const r = run(model, embedder, tokens, maxTokens, sampling);
    const us = (r.seconds * 1e6) / r.n;
    if (!scheme) baseUs = us;
    rows.push({ scheme: name, tokens: r.n, seconds: r.seconds, tokensPerSecond: r.n / r.seconds, overhead: us / baseUs, fromRest: r.rest / r.n });
  }
  if (opts.print ?? true) {
    const s = sampling;
    console.log(`generation with ${model.id}: temperature ${s.temperature ?? 1}, top-k ${s.topK ?? 0}, top-p ${s.topP ?? 1}; ${tokens} tokens per row, one thread`);
    console.log('| scheme | tokens/s | µs/token | × unwatermarked | steps from rest |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.scheme} | ${r.tokensPerSecond.toFixed(0)} | ${((r.seconds * 1e6) / r.tokens).toFixed(1)} | ${r.overhead.toFixed(2)} | ${(100 * r.fromRest).toFixed(1)}% |`,
      );
    }
  }
  return rows;
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts: GenerateBenchOptions = {};
  const tokens = arg('--tokens'), t = arg('--temperature'), k = arg('--top-k'), p = arg('--top-p');
  if (tokens !== undefined) opts.tokens = tokens;
  if (t !== undefined) opts.temperature = t;
  if (k !== undefined) opts.topK = k;
  if (p !== undefined) opts.topP = p;
  await runGenerateBench(opts);
}
