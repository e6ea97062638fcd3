import { describe, expect, it } from 'vitest';
import { createEngineSampler, createSglangSampler, drawIndex, sglangSelectionScore } from '../../src/engines/embed/index.js';
import { parseSglangKey, sglangContextHash, sglangDetect, sglangHash } from '../../src/engines/sglang.js';
import { seededRng } from '../../src/sampling/rng.js';
import { CHI2_DF7_Q999, ZipfModel, binomialBand, chiSquare, generate } from './embed-model.js';
import { loadVectors, type Json } from './vectors.js';

const model = new ZipfModel(4096, 1.2);
const KEY_HEX = '0123456789abcdef';
const KEY = parseSglangKey(KEY_HEX);
const KEY_B_HEX = '2a';
const PROMPT = [11, 22, 33, 44, 55];

describe('SGLang: reproduces the engine’s own watermarked sequences exactly', () => {
  it.each(['sglang-aaronson_gumbel.json', 'sglang-aaronson_gumbel_dual_key.json'])('%s (argmax over a uniform 2048-token distribution)', (file) => {
    const v: Json = loadVectors(file);
    const s = v.sequences.find((x: Json) => x.name === 'watermarked-argmax-vocab2048');
    const p = v.parameters;
    const sampler = createEngineSampler({
      engine: 'sglang',
      key: parseSglangKey(p.key_hex),
      keyB: p.key_b_hex ? parseSglangKey(p.key_b_hex) : null,
      mixingProbability: p.mixing_probability ?? 0.5,
      prompt: s.prompt_token_ids,
    });
    const probs = new Float64Array(2048).fill(1 / 2048);
    const rng = seededRng('unused');
    const out = s.tokens.map(() => sampler.step({ probs }, rng));
    expect(out.map((r: { token: number }) => r.token)).toEqual(s.tokens);
    expect(out.every((r: { watermarked: boolean }) => r.watermarked)).toBe(true);
  });
});

describe('SGLang: detection by its own detector', () => {
  it.each([false, true])('dual key %s: generated text detected, plain text p roughly uniform', (dual) => {
    const opts = { key: KEY, keyB: dual ? parseSglangKey(KEY_B_HEX) : null, mixingProbability: 0.5, prompt: PROMPT };
    const det = (tokens: number[]): number =>
      sglangDetect(tokens, { keyHex: KEY_HEX, keyBHex: dual ? KEY_B_HEX : null, mixingProbability: 0.5, promptTokenIds: PROMPT }).combined.pValue;
    const g = generate(model, createSglangSampler(opts), { length: 120, seed: `sg-${dual}`, start: PROMPT[PROMPT.length - 1] });
    expect(det(g.tokens)).toBeLessThan(1e-12);
    const N = 200;
    let below = 0;
    for (let seed = 0; seed < N; seed++) below += det(generate(model, null, { length: 60, seed: `sg-null-${dual}-${seed}` }).tokens) < 0.1 ? 1 : 0;
    const [lo, hi] = binomialBand(N, 0.1);
    expect(below).toBeGreaterThanOrEqual(Math.floor(lo));
    expect(below).toBeLessThanOrEqual(Math.ceil(hi));
  });
});

describe('SGLang: selection rule and request state', () => {
  it('Aaronson-Gumbel preserves the distribution over keys', () => {
    const P8 = [0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02];
    const IDS8 = [5, 17, 900, 3, 4000, 77, 1234, 2];
    const counts = new Array(8).fill(0);
    const rng = seededRng('sg-keys');
    for (let k = 0; k < 20_000; k++) {
      const key = { lo: (k * 2654435761) >>> 0, hi: k };
      counts[IDS8.indexOf(createSglangSampler({ key, prompt: [9] }).step({ ids: IDS8, probs: P8 }, rng).token)]++;
    }
    expect(chiSquare(counts, P8)).toBeLessThan(CHI2_DF7_Q999);
  });

  it('the selection score is ln(u)/p in float32 (u = 1 for H near 2^32, -inf for p = 0)', () => {
    expect(sglangSelectionScore(4294967295, 0.5)).toBe(0);
    expect(sglangSelectionScore(4294967169, 0.5)).toBe(0); // f32(H) rounds up to 2^32
    expect(sglangSelectionScore(4294967167, 0.5)).toBe(Math.fround(Math.fround(Math.log1p(-(2 ** -24))) / 0.5)); // to 2^32 - 256
    expect(sglangSelectionScore(0, 0.5)).toBe(Math.fround(Math.fround(Math.log(0.5 / 2 ** 32)) / 0.5));
    expect(sglangSelectionScore(123, 0)).toBe(-Infinity);
  });

  it('no prompt: the first token (empty context) is an ordinary draw; later tokens use the completion tail', () => {
    const s = createSglangSampler({ key: KEY });
    const base = seededRng('first');
    const draws: number[] = [];
    const rng = (): number => {
      const x = base();
      draws.push(x);
      return x;
    };
    const d = model.next(3, 64);
    const first = s.step(d, rng);
    expect(first.watermarked).toBe(false);
    expect(first.token).toBe(d.ids[drawIndex(d.probs, () => draws[0]!)]);
    const second = s.step(d, rng);
    expect(second.watermarked).toBe(true);
    expect(draws.length).toBe(1);
    const h = sglangContextHash([first.token]);
    let best = -Infinity;
    let bestId = -1;
    d.ids.forEach((t, i) => {
      const sc = sglangSelectionScore(sglangHash(KEY, h, t), d.probs[i]!);
      if (sc > best || (sc === best && t < bestId)) (best = sc), (bestId = t);
    });
    expect(second.token).toBe(bestId);
  });

  it('a context hash is watermarked once per request, and at most maxContexts of them', () => {
    // two candidates and window 1: contexts repeat at once
    const s = createSglangSampler({ key: KEY, contextWindow: 1, prompt: [7] });
    const rng = seededRng('rep');
    const seen = new Set<number>();
    let prev = 7;
    for (let i = 0; i < 40; i++) {
      const r = s.step({ ids: [7, 8, 9], probs: [0.4, 0.3, 0.3] }, rng);
      expect(r.watermarked).toBe(!seen.has(prev));
      seen.add(prev);
      prev = r.token;
    }
    expect(s.watermarkedContexts).toBe(3);
    const capped = createSglangSampler({ key: KEY, contextWindow: 2, maxContexts: 5, prompt: [1, 2] });
    let wm = 0;
    for (let i = 0; i < 200; i++) wm += capped.step(model.next(i, 500), rng).watermarked ? 1 : 0;
    expect(wm).toBe(5);
    expect(capped.watermarkedContexts).toBe(5);
  });
});
