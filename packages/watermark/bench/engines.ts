/**
 * Engine scoring benchmark (prints a table; asserts nothing): token ids → each engine's
 * per-position values and its own statistic, against tracemark's SipHash schemes scored
 * from ids by the detector's Scorer ('wasm' and 'reference' engines), all in one run.
 *
 *   node --conditions=source --import tsx packages/watermark/bench/engines.ts [--quick]
 *
 * Input: 20k uniform random token ids (seeded) per vocabulary size (32,000 and 151,936), so
 * contexts and KGW seeds rarely repeat: the worst case for the KGW green-list cache (the
 * cache is cleared before every timed run). `ref` is the reference-clear function the
 * vector tests use (timed on the first 2,000 tokens when it is slow), `fast` the fast path
 * (same output bits, checked by test/engines/fast-*.test.ts). Ratio columns: the row's best
 * throughput over tracemark's SipHash KGW (h = 4) scored by the Scorer's 'wasm' engine and by its
 * 'reference' (JS) engine, at the same V (1 = as fast, 0.5 = half as fast).
 * vLLM rows forget the Philox words they remember of the last texts before every timed run.
 * The 'warm cache' row scores the same text again after 3 untimed passes (seeds met 3 times
 * are cached as bitsets): what a long run under one key gets for lefthash, whose seeds are
 * at most V. Best of a few runs per cell (wall clock; the machine may be shared).
 */
import { generateKey, parseSpec, seededRng } from '../src/index.js';
import type * as DetectorApi from '../../detector/src/index.js';
import * as H from '../src/engines/hf-kgw.js';
import * as L from '../src/engines/lm-watermarking.js';
import * as S from '../src/engines/synthid.js';
import * as V from '../src/engines/vllm.js';
import { forgetVllmWords } from '../src/engines/vllm-words.js';
import * as B from '../src/engines/sbw.js';
import * as G from '../src/engines/sglang.js';

export interface EnginesBenchOptions {
  vocabSizes?: number[];
  tokens?: number;
  /** Time budget per cell in ms (default 1500; quick 300). */
  budgetMs?: number;
  quick?: boolean;
  log?: (line: string) => void;
}

export interface EnginesBenchRow {
  V: number;
  scheme: string;
  refTokPerS: number | null;
  fastTokPerS: number | null;
  ratioToSipHashWasm: number | null;
  ratioToSipHashJs: number | null;
}

const now = (): number => (globalThis as unknown as { performance: { now(): number } }).performance.now();

/** Best tokens/s of fn over the budget (at least one run). */
function measure(fn: () => unknown, tokens: number, budgetMs: number): number {
  let best = Infinity;
  const end = now() + budgetMs;
  let runs = 0;
  do {
    const t = now();
    fn();
    best = Math.min(best, now() - t);
    runs++;
  } while (now() < end && runs < 20);
  return tokens / (best / 1000);
}

export async function runEnginesBench(opts: EnginesBenchOptions = {}): Promise<EnginesBenchRow[]> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((s: string) => console.log(s));
  const vocabSizes = opts.vocabSizes ?? [32_000, 151_936];
  const n = opts.tokens ?? (quick ? 5_000 : 20_000);
  const budget = opts.budgetMs ?? (quick ? 300 : 1500);
  const { Scorer } = (await import('../../detector/src/index.js')) as typeof DetectorApi;
  const rows: EnginesBenchRow[] = [];
  const t0 = now();
  log(`engine scoring from ids: ${n} random tokens, best of runs within ${budget} ms per cell`);
  log(pad(['V', 'scheme', 'ref tok/s', 'fast tok/s', '/wasm', '/JS'], W));
  log('(tracemark rows: ref = Scorer engine "reference" (JS SipHash), fast = engine "wasm")');
  for (const V of vocabSizes) {
    const rng = seededRng(`engines-bench-${V}`);
    const toks = Array.from({ length: n }, () => Math.floor(rng() * V));
    const i32 = Int32Array.from(toks);
    const key = generateKey();
    const siphash = (name: 'kgw' | 'gumbel' | 'synthid', engine: 'wasm' | 'reference'): number => {
      const scheme = name === 'kgw' ? { name, gamma: 0.25, delta: 2 } : name === 'synthid' ? { name } : { name };
      const spec = parseSpec({ version: 1, keyFingerprint: key.fingerprint, scheme, context: { width: 4, mode: 'left' } } as never);
      const sc = new Scorer(spec, key, engine);
      const count = engine === 'wasm' ? n : Math.min(n, 5000);
      const part = i32.subarray(0, count);
      return measure(() => sc.score(part, { perToken: true }), count, budget);
    };
    let baseWasm = 0;
    let baseJs = 0;
    const emit = (scheme: string, ref: number | null, fast: number | null): void => {
      const best = Math.max(fast ?? 0, ref ?? 0);
      const rw = baseWasm > 0 ? best / baseWasm : null;
      const rj = baseJs > 0 ? best / baseJs : null;
      rows.push({ V, scheme, refTokPerS: ref, fastTokPerS: fast, ratioToSipHashWasm: rw, ratioToSipHashJs: rj });
      log(pad([String(V), scheme, fmt(ref), fmt(fast), ratio(rw), ratio(rj)], W));
    };
    for (const name of ['kgw', 'gumbel', 'synthid'] as const) {
      const wasm = siphash(name, 'wasm');
      const js = siphash(name, 'reference');
      if (name === 'kgw') (baseWasm = wasm), (baseJs = js);
      emit(`tracemark ${name} (SipHash)`, js, wasm);
    }
    for (const row of engineRows(V)) {
      const refCount = row.refSlow ? Math.min(n, 2000) : n;
      const refToks = toks.slice(0, refCount);
      row.reset?.();
      const r = row.ref;
      const ref = r ? measure(() => (row.reset?.(), r(refToks)), refCount, budget) : null;
      let fast: number | null = null;
      if (row.fast) {
        const f = row.fast;
        for (let w = 0; w < (row.warmup ?? 0); w++) f(toks);
        fast = measure(() => (row.warmup ? undefined : row.reset?.(), f(toks)), n, budget);
      }
      emit(row.name, ref, fast);
    }
  }
  log(`total ${((now() - t0) / 1000).toFixed(1)} s`);
  return rows;
}

interface Row {
  name: string;
  ref?: (toks: number[]) => unknown;
  fast?: (toks: number[]) => unknown;
  /** Untimed fast runs first, no cache reset: the cache as a long run under one key has it. */
  warmup?: number;
  /** Reference too slow for the full text: time it on 2,000 tokens. */
  refSlow?: boolean;
  /** Clear caches before a timed run. */
  reset?: () => void;
}

const VKEY = 12345678901234n;

/** The engine schemes, with their default parameters (context width 4 unless the engine fixes it). */
function engineRows(vocabSize: number): Row[] {
  const o = { key: VKEY, contextWidth: 4 };
  const gumbel = (prf: 'philox' | 'philox_legacy' | 'hmac_sha256'): Row => ({
    name: `vLLM gumbel ${prf}`,
    ref: (t) => V.vllmGumbelDetect(t, { ...o, prf }),
    fast: (t) => V.vllmGumbelDetectFast(t, { ...o, prf }),
    refSlow: prf === 'hmac_sha256',
    reset: forgetVllmWords,
  });
  const sbw = (seeding: 'selfhash' | 'lefthash'): Row => ({
    name: `vLLM sbw ${seeding}`,
    ref: (t) => B.sbwDetect(B.sbwPositions(t, { key: VKEY, seeding }), 0.5),
    fast: (t) => B.sbwDetectFast(t, { key: VKEY, seeding }),
  });
  const hf = (seeding: 'selfhash' | 'lefthash'): Row => ({
    name: `HF KGW ${seeding}`,
    ref: (t) => H.hfKgwDetect(t, { vocabSize, seeding, contextWidth: seeding === 'lefthash' ? 1 : 4 }),
    fast: (t) => H.hfKgwDetectFast(t, { vocabSize, seeding, contextWidth: seeding === 'lefthash' ? 1 : 4 }),
    reset: H.clearKgwGreenCache,
    refSlow: true,
  });
  const lm = (seeding: 'selfhash' | 'lefthash'): Row => ({
    name: `lm-watermarking ${seeding}`,
    ref: (t) => L.lmDetect(t, { vocabSize, seeding }),
    fast: (t) => L.lmDetectFast(t, { vocabSize, seeding }),
    reset: H.clearKgwGreenCache,
    refSlow: true,
  });
  const keys = [654, 400, 836, 123, 340, 443, 597, 160, 57, 29, 590, 639, 13, 715, 468, 990, 966, 226, 324, 585, 118, 504, 402, 431];
  // SGLang caps a text at 4096 contexts; uncapped here so every token is scored
  const sgl = { keyHex: '0x1234abcd5678ef90', maxContexts: Infinity };
  const sgl2 = { ...sgl, keyBHex: '0x0fedcba987654321' };
  const hfS = S.hfSynthid(keys);
  const dmS = S.deepmindSynthid(keys);
  return [
    gumbel('philox'),
    gumbel('philox_legacy'),
    gumbel('hmac_sha256'),
    {
      name: 'vLLM dual_key_gumbel',
      ref: (t) => V.vllmDualKeyDetect(V.vllmDualKeyPositions(t, o), 0.5),
      fast: (t) => V.vllmDualKeyDetectFast(t, o, 0.5),
      reset: forgetVllmWords,
    },
    {
      name: 'vLLM red_green',
      ref: (t) => V.vllmRedGreenDetect(V.vllmUniformPositions(t, o), 0.25),
      fast: (t) => V.vllmRedGreenDetectFast(t, o, 0.25),
      reset: forgetVllmWords,
    },
    {
      name: 'vLLM synthid (depth 30)',
      ref: (t) => V.vllmSynthidDetect(V.vllmWordPositions(t, o), 30),
      fast: (t) => V.vllmSynthidDetectFast(t, o, 30),
      reset: forgetVllmWords,
    },
    sbw('selfhash'),
    sbw('lefthash'),
    { name: 'SGLang gumbel', ref: (t) => G.sglangDetect(t, sgl), fast: (t) => G.sglangDetectFast(t, sgl) },
    { name: 'SGLang dual key', ref: (t) => G.sglangDetect(t, sgl2), fast: (t) => G.sglangDetectFast(t, sgl2) },
    hf('lefthash'),
    {
      name: 'HF KGW lefthash, warm cache',
      fast: (t) => H.hfKgwDetectFast(t, { vocabSize, seeding: 'lefthash', contextWidth: 1 }),
      warmup: 3,
    },
    hf('selfhash'),
    lm('lefthash'),
    lm('selfhash'),
    { name: 'HF SynthID (24 keys, n=5)', ref: (t) => S.synthidScore(hfS, t, 5, null), fast: (t) => S.synthidScoreFast(hfS, t, 5, null) },
    {
      name: 'synthid-text (24 keys, n=5)',
      ref: (t) => S.synthidScore(dmS, t, 5, null),
      fast: (t) => S.synthidScoreFast(dmS, t, 5, null),
    },
  ];
}

const W = [7, 30, 11, 11, 7, 7];

function ratio(r: number | null): string {
  return r === null ? '–' : r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3);
}

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
}

const argv = (globalThis as unknown as { process?: { argv: string[] } }).process?.argv ?? [];
if (argv[1] && import.meta.url.endsWith(argv[1].replace(/\\/g, '/').split('/').slice(-2).join('/'))) {
  runEnginesBench({ quick: argv.includes('--quick') });
}
