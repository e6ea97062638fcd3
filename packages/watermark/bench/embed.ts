/**
 * Embedding benchmark: per-step cost of drawing a watermarked token, dense (every
 * surviving token gets its PRF) versus sparse (ε-exact candidates), against a plain
 * unwatermarked sampler doing the same extraction from the logits.
 *
 *   node --conditions=source --import tsx packages/watermark/bench/embed.ts [--quick] [--engines | --interleaved [--rounds N]]
 *
 * Logit profiles (each a sorted profile with Gaussian noise, randomly permuted):
 *   zipf-1.6  p_r ∝ r^-1.6      entropy ≈ 1.2 nats (peaked)
 *   zipf-1.2  p_r ∝ r^-1.2      entropy ≈ 3.5 nats (long-tailed)
 *   flat      p_r ∝ r^-1.0      entropy ≈ 6–7 nats
 *   llm       a steep head of 200 tokens (18 − 3·ln r) over a N(0, 2²) bulk: the shape
 *             of a language model's logits, entropy ≈ 1–2 nats
 * Each cell runs until `steps` steps or its time budget, whichever comes first; timings
 * are wall-clock medians per step (the machine may be shared).
 * Reading the table: with top-k, or top-p, the candidate set is exact (bound 0) and small;
 * without truncation ε-exactness needs every token whose exclusion could matter, which for
 * these profiles (heavy tails, or a bulk within ~20 nats of the top) is nearly all of them.
 *
 * A second table (`--engines` runs it alone) times the engine emulators of
 * src/engines/embed: tokens/s of one per-request sampler per engine scheme on an untruncated
 * `flat` distribution over V = 32,000 and 151,936 (every token is a candidate: the worst case;
 * high entropy, so contexts rarely repeat and nearly every step is watermarked: `wm` is the
 * share that was — a repeated context is an ordinary draw and costs far less).
 */
import { Embedder, PlainSampler, Watermark, WatermarkKey, parseSpec, seededRng } from '../src/index.js';
import type { Rng, SamplingOptions, WatermarkSpecInput } from '../src/index.js';
import { createEngineSampler, drawIndex, engineCandidates, type EngineEmbedConfig } from '../src/engines/embed/index.js';

export interface EmbedBenchOptions {
  vocabSizes?: number[];
  profiles?: string[];
  /** Max timed steps per sparse cell (default 40). */
  steps?: number;
  /** Time budget per cell in ms (default 60). */
  budgetMs?: number;
  /** ε for the sparse path (default 1e-9); `fastEpsilon` adds untruncated rows at that ε. */
  epsilon?: number;
  fastEpsilon?: number | null;
  quick?: boolean;
  log?: (line: string) => void;
  /** Also print the engine-emulator table (default true). */
  engines?: boolean;
}

export interface EmbedBenchRow {
  V: number;
  profile: string;
  entropy: number;
  truncation: string;
  epsilon: number;
  scheme: string;
  denseUs: number;
  sparseUs: number;
  plainSparseUs: number;
  plainDenseUs: number;
  /** sparse − plain sparse: what the watermark adds. */
  overheadUs: number;
  /** sparse / plain sparse. */
  ratio: number;
  candidates: number;
  /** Mean passes over the logits (2; more when top-p needed the exact rest or fell back to dense). */
  passes: number;
  maxBound: number;
}

const now = (): number => (globalThis as unknown as { performance: { now(): number } }).performance.now();

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(rng() + 2 ** -33)) * Math.cos(2 * Math.PI * rng());
}

function makeLogits(profile: string, V: number, rng: Rng): Float32Array {
  const sorted = new Float64Array(V);
  if (profile === 'llm') {
    for (let r = 0; r < V; r++) sorted[r] = r < 200 ? 18 - 3 * Math.log(r + 1) + 0.3 * normal(rng) : 2 * normal(rng);
  } else {
    const a = profile === 'zipf-1.6' ? 1.6 : profile === 'zipf-1.2' ? 1.2 : 1.0;
    for (let r = 0; r < V; r++) sorted[r] = -a * Math.log(r + 1) + 0.5 * normal(rng);
  }
  // Random permutation (Fisher–Yates), so token ids carry no order.
  const out = new Float32Array(V);
  const perm = Int32Array.from({ length: V }, (_, i) => i);
  for (let i = V - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  for (let r = 0; r < V; r++) out[perm[r]!] = sorted[r]!;
  return out;
}

function entropy(logits: Float32Array): number {
  let M = -Infinity;
  for (const l of logits) if (l > M) M = l;
  let Z = 0;
  for (const l of logits) Z += Math.exp(l - M);
  let h = 0;
  for (const l of logits) {
    const p = Math.exp(l - M) / Z;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * Median µs per call of fn over up to `steps` calls within `budgetMs`, after 2 warm-up
 * calls. The median, because the machine is shared: a mean would mostly time neighbours.
 */
function time(fn: (i: number) => void, steps: number, budgetMs: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn(i);
  const t0 = now();
  const ts: number[] = [];
  while (ts.length < steps) {
    const t = now();
    fn(ts.length + 2);
    ts.push(now() - t);
    if (now() - t0 > budgetMs && ts.length >= 3) break;
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1]! * 1000;
}

const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 101 + 7) & 0xff));

const SCHEMES: Array<{ name: string; scheme: WatermarkSpecInput['scheme']; payload?: WatermarkSpecInput['payload']; message?: bigint }> = [
  { name: 'kgw', scheme: { name: 'kgw', gamma: 0.25, delta: 2 } },
  { name: 'kgw+payload', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, payload: { bits: 20, digitBits: 2 }, message: 0xbeef5n },
  { name: 'gumbel', scheme: { name: 'gumbel' } },
  { name: 'synthid', scheme: { name: 'synthid', layers: 30 } },
  { name: 'unigram', scheme: { name: 'unigram', gamma: 0.25, delta: 2 } },
];

export function runEmbedBench(opts: EmbedBenchOptions = {}): EmbedBenchRow[] {
  const quick = opts.quick ?? false;
  const vocabSizes = opts.vocabSizes ?? (quick ? [50_000, 200_000] : [50_000, 100_000, 200_000]);
  const profiles = opts.profiles ?? ['llm', 'zipf-1.6', 'zipf-1.2', 'flat'];
  const steps = opts.steps ?? (quick ? 15 : 40);
  const budget = opts.budgetMs ?? (quick ? 20 : 40);
  const epsilon = opts.epsilon ?? 1e-9;
  const fastEps = opts.fastEpsilon === undefined ? 1e-4 : opts.fastEpsilon;
  const log = opts.log ?? ((line: string) => console.log(line));
  const truncations: Array<[string, SamplingOptions]> = [
    ['none', {}],
    ['top-p 0.95', { topP: 0.95 }],
    ['top-k 50', { topK: 50 }],
  ];
  const embedders = SCHEMES.map((s) => {
    const spec = parseSpec({ version: 1, scheme: s.scheme, payload: s.payload ?? null, keyFingerprint: KEY.fingerprint });
    return { name: s.name, emb: new Embedder(new Watermark(spec, KEY), s.message === undefined ? {} : { message: s.message }) };
  });
  const plain = new PlainSampler();
  const rows: EmbedBenchRow[] = [];
  const t0 = now();

  log(`embedding cost per step (µs); sparse ε = ${epsilon}${fastEps ? `, untruncated rows also at ε = ${fastEps}` : ''}; ${steps} steps or ${budget} ms per cell`);
  log('cand = tokens drawn from (mean), passes = passes over the logits (mean), bound = max reported bound');
  log('×plain = sparse / plain sparse sampler (same extraction, no watermark); dense = every surviving token gets its PRF');
  for (const V of vocabSizes) {
    for (const profile of profiles) {
      const lr = seededRng(`${profile}-${V}`);
      const pool = Array.from({ length: 4 }, () => makeLogits(profile, V, lr));
      const H = entropy(pool[0]!);
      log('');
      log(`V = ${V}, ${profile} (entropy ${H.toFixed(2)} nats)`);
      log(pad(['truncation', 'ε', 'scheme', 'dense', 'sparse', 'plain', 'plain dense', 'overhead', '×plain', 'cand', 'passes', 'bound'], W));
      const cases: Array<[string, SamplingOptions, number]> = truncations.map(([t, o]) => [t, o, epsilon]);
      if (fastEps) cases.splice(1, 0, ['none', {}, fastEps]);
      for (const [trunc, o, eps] of cases) {
        const so = { ...o, epsilon: eps };
        const rng = seededRng(`${profile}-${V}-${trunc}-${eps}`);
        const plainUs = time((i) => plain.sample(pool[i % 4]!, so, rng), steps, budget);
        const plainDenseUs = eps === epsilon ? time((i) => plain.sampleDense(pool[i % 4]!, o, rng), steps, budget) : NaN;
        for (const { name, emb } of embedders) {
          const ctx = [0, 0];
          let cand = 0;
          let passes = 0;
          let maxBound = 0;
          let n = 0;
          const sparseUs = time(
            (i) => {
              ctx[1] = (i * 7919) % 100_000;
              const r = emb.stepSparseFromLogits(ctx, 2, pool[i % 4]!, so, rng);
              const st = emb.lastSparseStats;
              cand += st.candidates;
              passes += st.passes;
              if (r.bound > maxBound) maxBound = r.bound;
              n++;
            },
            steps,
            budget,
          );
          const denseUs =
            eps === epsilon
              ? time(
                  (i) => {
                    ctx[1] = (i * 7919) % 100_000;
                    emb.stepDense(ctx, 2, pool[i % 4]!, o, rng);
                  },
                  3,
                  budget,
                  1,
                )
              : NaN;
          const row: EmbedBenchRow = {
            V,
            profile,
            entropy: H,
            truncation: trunc,
            epsilon: eps,
            scheme: name,
            denseUs,
            sparseUs,
            plainSparseUs: plainUs,
            plainDenseUs,
            overheadUs: sparseUs - plainUs,
            ratio: sparseUs / plainUs,
            candidates: cand / n,
            passes: passes / n,
            maxBound,
          };
          rows.push(row);
          log(
            pad(
              [
                trunc,
                eps.toExponential(0),
                name,
                fmt(denseUs),
                fmt(sparseUs),
                fmt(plainUs),
                fmt(plainDenseUs),
                fmt(row.overheadUs),
                row.ratio.toFixed(1),
                fmt(row.candidates),
                row.passes.toFixed(1),
                maxBound === 0 ? '0' : maxBound.toExponential(0),
              ],
              W,
            ),
          );
        }
      }
    }
  }
  log('');
  log(`total ${((now() - t0) / 1000).toFixed(1)} s`);
  if (opts.engines ?? true) runEngineEmbedBench({ quick, log });
  return rows;
}

export interface EngineEmbedBenchRow {
  sampler: string;
  V: number;
  tokensPerSecond: number;
  steps: number;
  /** Share of the timed steps the engine watermarked. */
  watermarked: number;
  /** Median step ÷ the plain engine path's median step (same rounds). */
  ratio: number;
}

const SGLANG_A = { lo: 0x89abcdef, hi: 0x01234567 };
const SGLANG_B = { lo: 42, hi: 0 };
const SYNTHID_KEYS = Array.from({ length: 30 }, (_, i) => 100 + 37 * i);

/** One sampler per engine scheme, each with the engine's default parameters. */
export const ENGINE_SAMPLERS: Array<{ name: string; config: (V: number) => EngineEmbedConfig }> = [
  { name: 'vllm gumbel philox', config: () => ({ engine: 'vllm', algorithm: 'gumbel', key: 42n }) },
  { name: 'vllm gumbel philox_legacy', config: () => ({ engine: 'vllm', algorithm: 'gumbel', key: 42n, prf: 'philox_legacy' }) },
  { name: 'vllm gumbel hmac_sha256', config: () => ({ engine: 'vllm', algorithm: 'gumbel', key: 42n, prf: 'hmac_sha256' }) },
  { name: 'vllm dual_key_gumbel', config: () => ({ engine: 'vllm', algorithm: 'dual_key_gumbel', key: 42n }) },
  { name: 'vllm red_green', config: () => ({ engine: 'vllm', algorithm: 'red_green', key: 42n }) },
  { name: 'vllm synthid (L 32)', config: () => ({ engine: 'vllm', algorithm: 'synthid', key: 42n }) },
  { name: 'vllm sbw selfhash', config: () => ({ engine: 'vllm', algorithm: 'sbw', key: 42n }) },
  { name: 'vllm sbw lefthash', config: () => ({ engine: 'vllm', algorithm: 'sbw', key: 42n, seeding: 'lefthash' }) },
  { name: 'sglang aaronson', config: () => ({ engine: 'sglang', key: SGLANG_A, prompt: [1, 2, 3, 4] }) },
  { name: 'sglang aaronson dual key', config: () => ({ engine: 'sglang', key: SGLANG_A, keyB: SGLANG_B, prompt: [1, 2, 3, 4] }) },
  { name: 'hf kgw lefthash', config: (V) => ({ engine: 'hf_kgw', vocabSize: V, prompt: [1, 2, 3, 4] }) },
  { name: 'hf kgw selfhash', config: (V) => ({ engine: 'hf_kgw', vocabSize: V, seeding: 'selfhash', contextWidth: 4, prompt: [1, 2, 3, 4] }) },
  { name: 'hf synthid (L 30)', config: () => ({ engine: 'hf_synthid', keys: SYNTHID_KEYS }) },
  { name: 'synthid-text (L 30, top-k 40)', config: () => ({ engine: 'synthid_text', keys: SYNTHID_KEYS, topK: 40 }) },
];

/**
 * Tokens/s of each engine sampler over a dense `flat` distribution: 1 / the median step
 * time, with the engines' own unwatermarked path as the baseline ("plain": engineCandidates
 * + drawIndex, the softmax and inverse-CDF draw every engine sampler also does). The
 * samplers run round-robin (one step each per round, after one warm-up step) until each has
 * spent its time budget, so every ratio compares steps taken under the same load; a step
 * slower than the budget is timed once.
 */
export function runEngineEmbedBench(opts: { vocabSizes?: number[]; budgetMs?: number; quick?: boolean; log?: (line: string) => void } = {}): EngineEmbedBenchRow[] {
  const vocabSizes = opts.vocabSizes ?? [32_000, 151_936];
  const budget = opts.budgetMs ?? (opts.quick ? 300 : 1500);
  const log = opts.log ?? ((line: string) => console.log(line));
  const rows: EngineEmbedBenchRow[] = [];
  const names = ['plain (engine path, no watermark)', ...ENGINE_SAMPLERS.map((s) => s.name)];
  const cells = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const V of vocabSizes) {
    const pool = Array.from({ length: 4 }, (_, i) => makeLogits('flat', V, seededRng(`engines-${V}-${i}`)));
    const steppers: Array<(i: number) => boolean> = [
      (() => {
        const rng = seededRng(`engines-plain-${V}`);
        return (i: number) => {
          drawIndex(engineCandidates({ logits: pool[i & 3]! }).probs, rng);
          return false;
        };
      })(),
      ...ENGINE_SAMPLERS.map(({ name, config }) => {
        const sampler = createEngineSampler(config(V));
        const rng = seededRng(`engines-${name}-${V}`);
        return (i: number) => sampler.step({ logits: pool[i & 3]! }, rng).watermarked;
      }),
    ];
    const ts: number[][] = steppers.map(() => []);
    const spent = steppers.map(() => 0);
    const wm = steppers.map(() => 0);
    const warm = steppers.map((f) => {
      const t = now();
      f(0);
      return now() - t;
    });
    for (let round = 1; spent.some((x, j) => x < budget && warm[j]! < budget); round++) {
      for (let j0 = 0; j0 < steppers.length; j0++) {
        const j = (j0 + round) % steppers.length;
        if (spent[j]! >= budget || warm[j]! >= budget) continue;
        const t = now();
        if (steppers[j]!(round)) wm[j]!++;
        const dt = now() - t;
        ts[j]!.push(dt);
        spent[j]! += dt;
      }
    }
    const median = steppers.map((_, j) => {
      if (ts[j]!.length === 0) return warm[j]!;
      const a = ts[j]!.sort((x, y) => x - y);
      return a[a.length >> 1]!;
    });
    names.forEach((name, j) => {
      const tps = 1000 / median[j]!;
      const share = ts[j]!.length === 0 ? (j === 0 ? 0 : 1) : wm[j]! / ts[j]!.length;
      const ratio = median[j]! / median[0]!;
      rows.push({ sampler: name, V, tokensPerSecond: tps, steps: Math.max(1, ts[j]!.length), watermarked: share, ratio });
      cells.get(name)!.push((tps >= 100 ? Math.round(tps).toString() : tps.toFixed(1)).padStart(12), `${Math.round(100 * share)}%`.padStart(5), `${ratio.toFixed(2)}×`.padStart(8));
    });
  }
  log('');
  log(`engine emulators (src/engines/embed): tokens/s (1 / median step) on a dense flat distribution, ${budget} ms per cell, samplers interleaved; wm = share of steps watermarked; ×plain = median step ÷ the plain engine path's`);
  log(['sampler'.padEnd(34), ...vocabSizes.flatMap((V) => [`V=${V}`.padStart(12), 'wm'.padStart(5), '×plain'.padStart(8)])].join(' '));
  for (const name of names) log([name.padEnd(34), ...cells.get(name)!].join(' '));
  return rows;
}

/**
 * Watermarked ÷ plain with the load noise of a shared machine averaged out: the plain
 * sampler and every scheme's sparse step run round-robin on the same logits (the order
 * rotating each round), median µs per sampler. `--interleaved [--quick]` runs it alone;
 * not part of `pnpm bench`.
 */
export function runInterleavedEmbedBench(opts: { vocabSizes?: number[]; rounds?: number; quick?: boolean; log?: (line: string) => void } = {}): void {
  const vocabSizes = opts.vocabSizes ?? (opts.quick ? [200_000] : [50_000, 200_000]);
  const rounds = opts.rounds ?? (opts.quick ? 11 : 25);
  const log = opts.log ?? ((line: string) => console.log(line));
  const embedders = SCHEMES.map((s) => {
    const spec = parseSpec({ version: 1, scheme: s.scheme, payload: s.payload ?? null, keyFingerprint: KEY.fingerprint });
    return { name: s.name, emb: new Embedder(new Watermark(spec, KEY), s.message === undefined ? {} : { message: s.message }) };
  });
  const plain = new PlainSampler();
  const truncations: Array<[string, SamplingOptions]> = [['none', {}], ['top-p 0.95', { topP: 0.95 }], ['top-k 50', { topK: 50 }]];
  log(`interleaved: median µs per step over ${rounds} round-robin rounds (ratio to plain), sparse ε = 1e-9`);
  log(`| V | profile | truncation | plain | ${embedders.map((e) => e.name).join(' | ')} |`);
  log(`|---|---|---|---|${embedders.map(() => '---|').join('')}`);
  for (const V of vocabSizes) {
    for (const profile of ['llm', 'zipf-1.6', 'zipf-1.2', 'flat']) {
      const lr = seededRng(`${profile}-${V}`);
      const pool = Array.from({ length: 4 }, () => makeLogits(profile, V, lr));
      for (const [trunc, o] of truncations) {
        const rng = seededRng(`interleaved-${profile}-${V}-${trunc}`);
        const fns: Array<(i: number) => void> = [
          (i) => plain.sample(pool[i & 3]!, o, rng),
          ...embedders.map(({ emb }) => (i: number) => emb.stepSparseFromLogits([0, (i * 7919) % 100_000], 2, pool[i & 3]!, o, rng)),
        ];
        const ts: number[][] = fns.map(() => []);
        for (let i = -2; i < rounds; i++) {
          for (let j = 0; j < fns.length; j++) {
            const k = (i + 2 + j) % fns.length;
            const t = now();
            fns[k]!(i + 2);
            if (i >= 0) ts[k]!.push((now() - t) * 1000);
          }
        }
        const med = ts.map((a) => a.sort((x, y) => x - y)[a.length >> 1]!);
        const cells = med.slice(1).map((m) => `${fmt(m)} (${(m / med[0]!).toFixed(2)}×)`);
        log(`| ${V} | ${profile} | ${trunc} | ${fmt(med[0]!)} | ${cells.join(' | ')} |`);
      }
    }
  }
}

const W = [12, 6, 12, 9, 9, 8, 11, 9, 7, 8, 6, 8];

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return x >= 100 ? Math.round(x).toString() : x.toFixed(1);
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
}

const argv = (globalThis as unknown as { process?: { argv: string[] } }).process?.argv ?? [];
if (argv[1] && import.meta.url.endsWith(argv[1].replace(/\\/g, '/').split('/').slice(-2).join('/'))) {
  if (argv.includes('--engines')) runEngineEmbedBench({ quick: argv.includes('--quick') });
  else if (argv.includes('--interleaved')) {
    const r = argv.indexOf('--rounds');
    runInterleavedEmbedBench({ quick: argv.includes('--quick'), ...(r > 0 ? { rounds: Number(argv[r + 1]) } : {}) });
  }
  else runEmbedBench({ quick: argv.includes('--quick') });
}
