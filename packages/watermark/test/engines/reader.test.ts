// Engine readers (spec version 2): the engine's own statistic reproduces the vectors, the
// per-position readings agree with the engines' per-position values, text the engine
// generated gets a strong exact p, and random text gets calibrated exact p-values.
import { describe, expect, it } from 'vitest';
import { EngineKey, generateEngineKey, parseEngineSpec, type EngineFamily, type EngineSpec, type EngineSpecInput } from '../../src/index.js';
import { createEngineReader, type EngineReader } from '../../src/engines/reader/index.js';
import { vllmBinomialSurvival, vllmGammaSurvival } from '../../src/engines/stats.js';
import { seededRng } from '../../src/sampling/rng.js';
import { expectClose, loadVectors, parseHexFloat, type Json } from './vectors.js';

function specFor(engine: EngineSpecInput['engine'], key: EngineKey): EngineSpec {
  return parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: key.fingerprint });
}
const intKey = (fam: EngineFamily, k: string | number) => new EngineKey(fam, 'integer', [BigInt(k)]);

/** tracemark's exact p over distinct (id, token) tuples of the keyed positions. */
function exactP(reader: EngineReader, tokens: readonly number[], prompt?: readonly number[]): { n: number; p: number } {
  const r = reader.read(tokens, prompt ? { prompt } : {});
  const seen = new Set<string>();
  let n = 0, sum = 0;
  for (let i = 0; i < r.n; i++) {
    if (!r.keyed[i]) continue;
    const k = `${r.idHi[i]},${r.idLo[i]},${tokens[i]}`;
    if (seen.has(k)) continue;
    seen.add(k);
    n++;
    sum += r.score[i]!;
  }
  const nm = reader.nullModel;
  if (n === 0) return { n, p: 1 };
  return { n, p: nm.kind === 'gamma' ? vllmGammaSurvival(sum, n) : vllmBinomialSurvival(Math.round(sum), n * nm.trialsPerToken, nm.p) };
}

const seq = (file: Json, name: string) => file.sequences.find((s: Json) => s.name === name);
const hex = (h: Json) => parseHexFloat(h.hex);

interface Case {
  file: string;
  engine: EngineSpecInput['engine'];
  key: EngineKey;
  seq: string;
  prompt?: boolean;
  /** The engine detector's p on the vector, and its scored count. */
  expected: (d: Json) => { p: number | null; n: number };
  detector: (s: Json) => Json;
}

const vllm = (k: string) => intKey('vllm', k);
const CASES: Case[] = [
  { file: 'vllm-gumbel-philox.json', engine: { scheme: 'vllm/gumbel' }, key: vllm('42'), seq: 'watermarked-by-engine', detector: (s) => s.detector, expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'vllm-gumbel-philox_legacy.json', engine: { scheme: 'vllm/gumbel', prf: 'philox_legacy' }, key: vllm('42'), seq: 'random-vocab32000', detector: (s) => s.detector, expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'vllm-gumbel-hmac_sha256.json', engine: { scheme: 'vllm/gumbel', prf: 'hmac_sha256' }, key: vllm('42'), seq: 'random-vocab32000', detector: (s) => s.detector, expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'vllm-dual_key_gumbel-philox.json', engine: { scheme: 'vllm/dual_key_gumbel', alpha: 0.1 }, key: vllm('81985529216486895'), seq: 'watermarked-by-engine-key_a', detector: (s) => s.detectors[0], expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'vllm-red_green-philox.json', engine: { scheme: 'vllm/red_green', gamma: 0.25 }, key: vllm('42'), seq: 'watermarked-by-engine', detector: (s) => s.detectors[0], expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'vllm-synthid-philox.json', engine: { scheme: 'vllm/synthid', depth: 32 }, key: vllm('0'), seq: 'watermarked-by-engine', detector: (s) => s.detectors[0], expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'vllm-sbw-selfhash.json', engine: { scheme: 'vllm/sbw', seeding: 'selfhash' }, key: vllm('42'), seq: 'watermarked-by-engine', detector: (s) => s.detector, expected: (d) => ({ p: hex(d.p_value), n: d.num_scored_tokens }) },
  { file: 'sglang-aaronson_gumbel.json', engine: { scheme: 'sglang/gumbel' }, key: new EngineKey('sglang', 'hex', [0x0123456789abcdefn]), seq: 'watermarked-argmax-vocab2048', prompt: true, detector: (s) => s.detector.combined, expected: (d) => ({ p: hex(d.p_value), n: d.num_contexts }) },
  { file: 'sglang-aaronson_gumbel_dual_key.json', engine: { scheme: 'sglang/gumbel', dualKey: true, mixingProbability: 0.5 }, key: new EngineKey('sglang', 'hex', [0x0123456789abcdefn, 0x2an]), seq: 'watermarked-argmax-vocab2048', prompt: true, detector: (s) => s.detector.combined, expected: (d) => ({ p: hex(d.p_value), n: d.num_contexts }) },
  { file: 'hf-kgw-lefthash.json', engine: { scheme: 'hf/kgw', vocabSize: 2048 }, key: intKey('hf', 15485863), seq: 'watermarked-by-library-vocab2048', detector: (s) => s.detector, expected: (d) => ({ p: hex(d.p_value), n: d.num_tokens_scored }) },
  { file: 'hf-kgw-selfhash.json', engine: { scheme: 'hf/kgw', vocabSize: 2048, seeding: 'selfhash', contextWidth: 4 }, key: intKey('hf', 15485863), seq: 'watermarked-by-library-vocab2048', detector: (s) => s.detector, expected: (d) => ({ p: hex(d.p_value), n: d.num_tokens_scored }) },
];

describe('engine readers against the vectors', () => {
  for (const c of CASES) {
    it(`${c.file}: the engine's own statistic; tracemark's exact p on ${c.seq}`, () => {
      const file = loadVectors(c.file);
      const s = seq(file, c.seq);
      expect(s, c.seq).toBeTruthy();
      const vocab = s.vocab_size ?? 4096;
      const spec = specFor(c.engine, c.key);
      const reader = createEngineReader(spec, c.key);
      const prompt = c.prompt ? s.prompt_token_ids : undefined;
      const st = reader.engineStatistic(s.tokens, prompt ? { prompt } : {});
      const want = c.expected(c.detector(s));
      expect(st.scored).toBe(want.n);
      expectClose(st.pValue!, want.p!, 'engine p', 1e-9);
      const mine = exactP(reader, s.tokens, prompt);
      expect(mine.n).toBeGreaterThan(0);
      expect(mine.n).toBeLessThanOrEqual(s.tokens.length);
      if (c.seq.startsWith('watermarked')) expect(mine.p, `exact p (vocab ${vocab})`).toBeLessThan(1e-3);
      else expect(mine.p).toBeGreaterThan(1e-4);
    });
  }

  it("HF KGW's own p is anti-conservative: at HF's counts it is several times below the exact binomial tail", () => {
    const d = seq(loadVectors('hf-kgw-selfhash.json'), 'watermarked-by-library-vocab2048').detector;
    const exact = vllmBinomialSurvival(d.num_green_tokens, d.num_tokens_scored, 0.25);
    expect(hex(d.p_value)).toBeLessThan(exact / 4);
  });

  it("vLLM gumbel: the reader's score is −ln(1 − u) of the engine's own uniform at every position", () => {
    const file = loadVectors('vllm-gumbel-philox.json');
    const s = seq(file, 'random-vocab32000-nodedup');
    const key = vllm('42');
    const r = createEngineReader(specFor({ scheme: 'vllm/gumbel' }, key), key).read(s.tokens);
    s.positions.forEach((p: Json, i: number) => {
      expect(r.score[i]).toBe(-Math.log1p(-hex(p.uniform_f32)));
      // the engine's score (torch's SLEEF log1p) differs at most in the last bits
      expect(Math.abs(r.score[i]! - hex(p.score))).toBeLessThanOrEqual(4 * Number.EPSILON * hex(p.score));
    });
  });

  it('vLLM red_green and SBW, HF KGW: green flags per position equal the engine’s', () => {
    const rg = seq(loadVectors('vllm-red_green-philox.json'), 'watermarked-by-engine');
    const k = vllm('42');
    const r1 = createEngineReader(specFor({ scheme: 'vllm/red_green' }, k), k).read(rg.tokens);
    const greens = rg.positions.map((p: Json) => (p.green ?? p.green_by_gamma?.['0.25'] ?? p.greens?.[0]) ? 1 : 0);
    expect(Array.from(r1.score)).toEqual(greens);
    const hfSeq = seq(loadVectors('hf-kgw-lefthash.json'), 'watermarked-by-library-vocab2048');
    const hk = intKey('hf', 15485863);
    const r2 = createEngineReader(specFor({ scheme: 'hf/kgw', vocabSize: 2048 }, hk), hk).read(hfSeq.tokens);
    hfSeq.positions.forEach((p: Json, i: number) => {
      if (p.status === 'scored') expect(r2.score[i], `position ${i}`).toBe(p.green ? 1 : 0);
    });
  });

  it('SBW lefthash: the engine cannot read its own output; the generator rule can', () => {
    const s = seq(loadVectors('vllm-sbw-lefthash.json'), 'watermarked-by-engine');
    const k = vllm('42');
    const gen = createEngineReader(specFor({ scheme: 'vllm/sbw', seeding: 'lefthash', lefthashRule: 'generator' }, k), k);
    const det = createEngineReader(specFor({ scheme: 'vllm/sbw', seeding: 'lefthash', lefthashRule: 'detector' }, k), k);
    expect(exactP(gen, s.tokens).p).toBeLessThan(1e-6);
    expect(exactP(det, s.tokens).p).toBeGreaterThan(0.05);
    expect(det.engineStatistic(s.tokens).watermarked).toBe(false);
  });

  it('SynthID (HF and synthid-text): scores are the g-value sums of the vectors', () => {
    for (const [file, name, fam, engine] of [
      ['hf-synthid.json', 'watermarked-by-library-vocab2048-generated-part', 'hf', 'hf/synthid'],
      ['synthid_text-synthid.json', 'watermarked-by-reference-vocab4096-generated-part', 'synthid-text', 'synthid-text/synthid'],
    ] as const) {
      const f = loadVectors(file);
      const s = seq(f, name);
      const key = new EngineKey(fam, 'list', f.parameters.keys.map((x: number) => BigInt(x)));
      const reader = createEngineReader(specFor({ scheme: engine, depth: f.parameters.keys.length, ngramLen: f.parameters.ngram_len }, key), key);
      const r = reader.read(s.tokens);
      const c = f.parameters.ngram_len - 1;
      s.g_values.forEach((g: number[], j: number) => expect(r.score[j + c]).toBe(g.reduce((a, b) => a + b, 0)));
      expect(exactP(reader, s.tokens).p, file).toBeLessThan(1e-6);
      expectClose(reader.engineStatistic(s.tokens).statistic, hex(s.mean_score), 'mean score', 1e-12);
    }
  });

  it('equal (id, token) always means equal score (the dedup identity covers what the PRF reads)', () => {
    const rng = seededRng('ids');
    for (const engine of [{ scheme: 'vllm/sbw', seeding: 'lefthash', lefthashRule: 'detector' }, { scheme: 'sglang/gumbel', contextWidth: 1 }, { scheme: 'hf/kgw', vocabSize: 64 }] as const) {
      const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
      const key = generateEngineKey(spec0.engine);
      const reader = createEngineReader({ ...spec0, keyFingerprint: key.fingerprint }, key);
      const tokens = Array.from({ length: 3000 }, () => Math.floor(rng() * 64));
      const r = reader.read(tokens);
      const byId = new Map<string, number>();
      let repeats = 0;
      for (let i = 0; i < r.n; i++) {
        if (!r.keyed[i]) continue;
        const k = `${r.idHi[i]},${r.idLo[i]},${tokens[i]}`;
        if (byId.has(k)) (repeats++, expect(r.score[i]).toBe(byId.get(k)));
        else byId.set(k, r.score[i]!);
      }
      expect(repeats, engine.scheme).toBeGreaterThan(100);
    }
  });
});

describe('exact p-values of engine schemes are calibrated on random text (simulation)', () => {
  const SCHEMES: EngineSpecInput['engine'][] = [
    { scheme: 'vllm/gumbel' },
    { scheme: 'vllm/dual_key_gumbel' },
    { scheme: 'vllm/red_green', gamma: 0.25 },
    { scheme: 'vllm/synthid', depth: 8 },
    { scheme: 'vllm/sbw', seeding: 'selfhash' },
    { scheme: 'sglang/gumbel', dualKey: true },
    { scheme: 'hf/kgw', vocabSize: 4096 },
    { scheme: 'lm-watermarking/kgw', vocabSize: 4096 },
    { scheme: 'hf/synthid', depth: 6, ngramLen: 3 },
    { scheme: 'synthid-text/synthid', depth: 6, ngramLen: 3 },
  ];
  for (const engine of SCHEMES) {
    it(`${engine.scheme}: P[p ≤ α] ≈ α (continuous) or ≤ α (discrete), 1600 texts`, () => {
      const rng = seededRng(`null:${engine.scheme}`);
      const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
      const T = 1600, alpha = 0.05;
      let hits = 0;
      for (let k = 0; k < 16; k++) {
        const bytes = () => Uint8Array.from({ length: 8 }, () => Math.floor(rng() * 256));
        const key = generateEngineKey(spec0.engine, bytes);
        const reader = createEngineReader({ ...spec0, keyFingerprint: key.fingerprint }, key);
        for (let t = 0; t < T / 16; t++) {
          const tokens = Array.from({ length: 30 }, () => Math.floor(rng() * 4096));
          if (exactP(reader, tokens).p <= alpha) hits++;
        }
      }
      const sd = Math.sqrt(T * alpha * (1 - alpha));
      expect(hits).toBeLessThanOrEqual(T * alpha + 4 * sd);
      if (reader0IsContinuous(spec0)) expect(hits).toBeGreaterThanOrEqual(T * alpha - 4 * sd);
    });
  }
});

function reader0IsContinuous(spec: EngineSpec): boolean {
  return ['vllm/gumbel', 'vllm/dual_key_gumbel', 'sglang/gumbel'].includes(spec.engine.scheme);
}
