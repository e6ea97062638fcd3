import { describe, expect, it } from 'vitest';
import {
  VllmHistory,
  createEngineSampler,
  createVllmSampler,
  drawIndex,
  engineCandidates,
  gumbelContenders,
  sbwGreen,
  vllmCandidateWords,
  vllmGumbelChoose,
  vllmGumbelIndex,
  vllmPrfKey,
  type VllmDedupMode,
} from '../../src/engines/embed/index.js';
import { sbwDetect, sbwKey, sbwPositions } from '../../src/engines/sbw.js';
import {
  deriveVllmKey,
  redGreenIsGreen,
  vllmDualKeyDetect,
  vllmDualKeyPositions,
  vllmGumbelDetect,
  vllmRedGreenDetect,
  vllmSynthidDetect,
  vllmUniformPositions,
  vllmWordFn,
  vllmWordPositions,
} from '../../src/engines/vllm.js';
import { vllmUniform, type VllmPrfName } from '../../src/engines/vllm-prf.js';
import { i64FromBigInt } from '../../src/engines/u64.js';
import { seededRng } from '../../src/sampling/rng.js';
import { CHI2_DF7_Q999, ZipfModel, binomialBand, chiSquare, generate } from './embed-model.js';
import { loadVectors, parseHexFloat, type Json } from './vectors.js';

const model = new ZipfModel(4096, 1.2);
const KEY = 0x0123456789abcdefn;

describe('vLLM candidate words', () => {
  it.each(['philox', 'philox_legacy', 'hmac_sha256'] as const)('%s: the amortised per-step words equal the per-token PRF', (prf) => {
    const rng = seededRng(`words-${prf}`);
    const word = vllmWordFn(prf, KEY);
    for (let rep = 0; rep < 5; rep++) {
      const w = 1 + rep;
      const ctx = Array.from({ length: w }, (_, j) => (j === 0 && rep % 2 ? -1 : Math.floor(rng() * 200_000)));
      const ids = Int32Array.from({ length: 40 }, (_, i) => (i < 8 ? 1000 + i : Math.floor(rng() * 152_000)));
      const got = vllmCandidateWords(vllmPrfKey(prf, KEY), ctx, ids);
      ids.forEach((t, i) => expect(got[i], `ctx ${ctx} token ${t}`).toBe(word(ctx, t)));
    }
  });
});

describe('vLLM Gumbel-max contenders', () => {
  it('the f32 noise of every vLLM uniform lies in the bounds the pruning assumes, and reaches them', () => {
    const noise = (u: number): number => -Math.fround(Math.log(Math.fround(-Math.fround(Math.log(u)))));
    const lo = noise(vllmUniform(0));
    const hi = noise(vllmUniform(0xffffffff));
    expect(lo).toBeGreaterThan(-2.8116);
    expect(lo).toBeLessThan(-2.8115);
    expect(hi).toBeLessThan(16.6356);
    expect(hi).toBeGreaterThan(16.6355);
    expect(hi - lo).toBeLessThan(19.4473);
  });

  it('pruning hopeless candidates never changes the token (wide logits, many contexts)', () => {
    const rng = seededRng('prune');
    const k = vllmPrfKey('philox', KEY);
    let pruned = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 50 + Math.floor(rng() * 500);
      const scale = [1, 5, 20, 1e4][trial % 4]!;
      const logits = Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng()));
      const c = engineCandidates({ ids: Array.from({ length: n }, (_, i) => (i * 104729 + trial) % 150_000), logits });
      const ctx = [trial, trial + 1, -1, 7];
      const full = vllmGumbelIndex(c, vllmCandidateWords(k, ctx, c.ids));
      expect(vllmGumbelChoose(c, k, ctx)).toBe(full);
      pruned += gumbelContenders(c) ? 1 : 0;
    }
    expect(pruned).toBeGreaterThan(150);
  });
});

function gumbelP(tokens: number[], prf: VllmPrfName): number {
  return vllmGumbelDetect(tokens, { key: KEY, prf }).detection.pValue;
}

describe('vLLM gumbel: generated text is detected by vLLM’s own detector, plain text is not', () => {
  it.each([
    ['philox', 4096, 120],
    ['philox_legacy', 4096, 120],
    ['hmac_sha256', 48, 60],
  ] as const)('%s', (prf, k, T) => {
    const s = createEngineSampler({ engine: 'vllm', algorithm: 'gumbel', key: KEY, prf });
    const g = generate(model, s, { length: T, seed: `g-${prf}`, k });
    expect(g.watermarked).toBeGreaterThan(T * 0.9);
    expect(gumbelP(g.tokens, prf)).toBeLessThan(1e-12);
    // the same model without the watermark: p-values roughly uniform
    const N = prf === 'hmac_sha256' ? 60 : 200;
    let below = 0;
    let sum = 0;
    for (let seed = 0; seed < N; seed++) {
      const p = gumbelP(generate(model, null, { length: 60, seed: `null-${prf}-${seed}`, k }).tokens, prf);
      below += p < 0.1 ? 1 : 0;
      sum += p;
    }
    const [lo, hi] = binomialBand(N, 0.1);
    expect(below).toBeGreaterThanOrEqual(Math.floor(lo));
    expect(below).toBeLessThanOrEqual(Math.ceil(hi));
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
  });

  it('logits and probabilities give the same tokens', () => {
    const a = generate(model, createVllmSampler({ algorithm: 'gumbel', key: KEY }), { length: 40, seed: 'lp', k: 300 });
    const b = generate(model, createVllmSampler({ algorithm: 'gumbel', key: KEY }), { length: 40, seed: 'lp', k: 300, asLogits: true });
    expect(b.tokens).toEqual(a.tokens);
  });
});

const P8 = [0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02];
const IDS8 = [5, 17, 900, 3, 4000, 77, 1234, 2];

function frequenciesOverKeys(make: (key: bigint) => ReturnType<typeof createVllmSampler>, keys: number): number[] {
  const counts = new Array(8).fill(0);
  const rng = seededRng('over-keys');
  for (let k = 0; k < keys; k++) {
    const token = make(BigInt(k) * 7919n + 11n).step({ ids: IDS8, probs: P8 }, rng).token;
    counts[IDS8.indexOf(token)]++;
  }
  return counts;
}

describe('distribution preservation over keys', () => {
  it('gumbel (Philox): token frequencies match the model within sampling error', () => {
    const counts = frequenciesOverKeys((key) => createVllmSampler({ algorithm: 'gumbel', key }), 20_000);
    expect(chiSquare(counts, P8)).toBeLessThan(CHI2_DF7_Q999);
  });

  it('synthid (depth 32): the tournament is unbiased over keys', () => {
    const counts = frequenciesOverKeys((key) => createVllmSampler({ algorithm: 'synthid', key }), 20_000);
    expect(chiSquare(counts, P8)).toBeLessThan(CHI2_DF7_Q999);
  });

  it('red_green is not (the same test has power)', () => {
    const counts = frequenciesOverKeys((key) => createVllmSampler({ algorithm: 'red_green', key }), 20_000);
    expect(chiSquare(counts, P8)).toBeGreaterThan(4 * CHI2_DF7_Q999);
  });
});

describe('vLLM dual_key_gumbel, red_green, synthid, sbw', () => {
  it('dual key: detected by the early-fusion detector; key B is used with probability alpha', () => {
    const s = createVllmSampler({ algorithm: 'dual_key_gumbel', key: KEY, alpha: 0.1 });
    const g = generate(model, s, { length: 120, seed: 'dual' });
    expect(vllmDualKeyDetect(vllmDualKeyPositions(g.tokens, { key: KEY }), 0.1).pValue).toBeLessThan(1e-12);
    // routing: at a fixed context, the token is key A's Gumbel choice or key B's, B at rate alpha
    const alpha = 0.3;
    const ka = createVllmSampler({ algorithm: 'gumbel', key: deriveVllmKey(KEY, 'key_a') });
    const kb = createVllmSampler({ algorithm: 'gumbel', key: deriveVllmKey(KEY, 'key_b') });
    const d = model.next(7, 50);
    const rng = seededRng('route');
    const a = ka.step(d, rng).token;
    const b = kb.step(d, rng).token;
    expect(a).not.toBe(b);
    let nb = 0;
    const N = 4000;
    for (let i = 0; i < N; i++) {
      const t = createVllmSampler({ algorithm: 'dual_key_gumbel', key: KEY, alpha }).step(d, rng).token;
      expect([a, b]).toContain(t);
      nb += t === b ? 1 : 0;
    }
    const [lo, hi] = binomialBand(N, alpha);
    expect(nb).toBeGreaterThan(lo);
    expect(nb).toBeLessThan(hi);
  });

  it('red_green: detected by the exact binomial detector, plain text is not', () => {
    const g = generate(model, createVllmSampler({ algorithm: 'red_green', key: KEY }), { length: 200, seed: 'rg' });
    expect(vllmRedGreenDetect(vllmUniformPositions(g.tokens, { key: KEY }), 0.25).pValue).toBeLessThan(1e-8);
    const n = generate(model, null, { length: 200, seed: 'rg' });
    expect(vllmRedGreenDetect(vllmUniformPositions(n.tokens, { key: KEY }), 0.25).pValue).toBeGreaterThan(1e-3);
  });

  it('synthid: detected by the binomial mean-g detector, plain text is not', () => {
    const g = generate(model, createVllmSampler({ algorithm: 'synthid', key: KEY }), { length: 120, seed: 'sy' });
    expect(vllmSynthidDetect(vllmWordPositions(g.tokens, { key: KEY }), 32).pValue).toBeLessThan(1e-12);
    const n = generate(model, null, { length: 120, seed: 'sy' });
    expect(vllmSynthidDetect(vllmWordPositions(n.tokens, { key: KEY }), 32).pValue).toBeGreaterThan(1e-3);
  });

  it.each(['selfhash', 'lefthash'] as const)('sbw %s: detected (lefthash only under the generator rule, as the engine seeds it)', (seeding) => {
    const key = 42n;
    const g = generate(model, createVllmSampler({ algorithm: 'sbw', key, seeding }), { length: 200, seed: `sbw-${seeding}` });
    expect(sbwDetect(sbwPositions(g.tokens, { key, seeding, lefthashRule: 'generator' })).pValue).toBeLessThan(1e-8);
    const n = generate(model, null, { length: 200, seed: `sbw-${seeding}` });
    expect(sbwDetect(sbwPositions(n.tokens, { key, seeding, lefthashRule: 'generator' })).pValue).toBeGreaterThan(1e-3);
  });

  it('sbw biases before top-k: with top-k 1 the token is the argmax of the biased logits', () => {
    const key = 42n;
    const rng = seededRng('sbw-topk');
    let greenWins = 0;
    for (let rep = 0; rep < 200; rep++) {
      const d = model.next(rep, 6);
      const c = engineCandidates(d);
      const green = sbwGreen('selfhash', i64FromBigInt(sbwKey(key)), key, [-1, -1, -1, -1], c.ids, 0.5);
      let best = 0;
      for (let i = 1; i < c.n; i++) if (c.logits[i]! + 2 * green[i]! > c.logits[best]! + 2 * green[best]!) best = i;
      const t = createVllmSampler({ algorithm: 'sbw', key, topK: 1 }).step(d, rng).token;
      expect(t).toBe(c.ids[best]);
      greenWins += best !== 0 ? 1 : 0;
    }
    expect(greenWins).toBeGreaterThan(20); // the bias moved a lower-ranked green token to the top
  });
});

describe('vLLM detectors on unwatermarked text from the same model: p roughly uniform (false positives by simulation)', () => {
  const detectors: Array<[string, (tokens: number[]) => number]> = [
    ['dual_key_gumbel (alpha 0.1)', (t) => vllmDualKeyDetect(vllmDualKeyPositions(t, { key: KEY }), 0.1).pValue],
    ['red_green', (t) => vllmRedGreenDetect(vllmUniformPositions(t, { key: KEY }), 0.25).pValue],
    ['synthid', (t) => vllmSynthidDetect(vllmWordPositions(t, { key: KEY }), 32).pValue],
    ['sbw selfhash', (t) => sbwDetect(sbwPositions(t, { key: 42n, seeding: 'selfhash' })).pValue],
    ['sbw lefthash (generator rule)', (t) => sbwDetect(sbwPositions(t, { key: 42n, seeding: 'lefthash', lefthashRule: 'generator' })).pValue],
  ];
  it.each(detectors)('%s', (_, detect) => {
    const N = 200;
    let below = 0;
    let sum = 0;
    for (let seed = 0; seed < N; seed++) {
      const p = detect(generate(model, null, { length: 60, seed: `null-${seed}`, k: 400 }).tokens);
      below += p < 0.1 ? 1 : 0;
      sum += p;
    }
    // discrete tests are conservative: at most the nominal rate, but not degenerate
    expect(below).toBeLessThanOrEqual(Math.ceil(binomialBand(N, 0.1)[1]));
    expect(below).toBeGreaterThanOrEqual(6);
    expect(sum / N).toBeGreaterThan(0.4);
    expect(sum / N).toBeLessThan(0.65);
  });
});

/** vLLM's `_repeated_context_mask_cpu` for one request, transcribed. */
function referenceRepeated(prompt: number[], generated: number[], w: number, mode: VllmDedupMode, maxHistory: number | null): boolean {
  if (mode === 'none') return false;
  if (mode === 'all' && generated.length < w) return true;
  const current: number[] = [];
  for (let j = generated.length - w; j < generated.length; j++) current.push(j < 0 ? -1 : generated[j]!);
  const history = mode === 'all' ? [...prompt, ...generated] : generated;
  const prefix: number[] = new Array(w).fill(-1);
  const start = maxHistory === null ? 0 : Math.max(0, history.length - maxHistory);
  for (let pos = 0; pos < history.length; pos++) {
    if (pos >= start && prefix.slice(-w).join() === current.join()) return true;
    prefix.push(history[pos]!);
  }
  return false;
}

describe('vLLM generation-side dedup', () => {
  it('VllmHistory.repeated is vLLM’s reference rule (modes, widths, history limits, prompts)', () => {
    const rng = seededRng('dedup-rule');
    let repeats = 0;
    for (let trial = 0; trial < 300; trial++) {
      const mode = (['none', 'single_turn', 'all'] as const)[trial % 3]!;
      const w = 1 + (trial % 4);
      const maxHistory = [null, 1, 3, 8192][Math.floor(trial / 3) % 4]!;
      const prompt = Array.from({ length: Math.floor(rng() * 6) }, () => Math.floor(rng() * 3));
      const h = new VllmHistory({ contextWidth: w, dedup: mode, maxHistory, prompt });
      const gen: number[] = [];
      for (let i = 0; i < 25; i++) {
        const expected = referenceRepeated(prompt, gen, w, mode, maxHistory);
        expect(h.repeated(), `${mode} w=${w} max=${maxHistory} prompt=${prompt} gen=${gen}`).toBe(expected);
        repeats += expected ? 1 : 0;
        const t = Math.floor(rng() * 3);
        gen.push(t);
        h.append(t);
      }
    }
    expect(repeats).toBeGreaterThan(1000);
  });

  it('a repeated context is sampled without the watermark (one ordinary draw), a new one by Gumbel-max', () => {
    const word = vllmWordFn('philox', KEY);
    for (const mode of ['single_turn', 'none'] as const) {
      const s = createVllmSampler({ algorithm: 'gumbel', key: KEY, contextWidth: 1, dedup: mode });
      const base = seededRng(`dedup-${mode}`);
      let skipped = 0;
      for (let i = 0; i < 60; i++) {
        const d = model.next(i % 3, 5); // 5 candidates: contexts repeat quickly at width 1
        const draws: number[] = [];
        const rng = (): number => {
          const x = base();
          draws.push(x);
          return x;
        };
        const ctx = s.generated.length ? [s.generated[s.generated.length - 1]!] : [-1];
        const repeated = referenceRepeated([], [...s.generated], 1, mode, 8192);
        const r = s.step(d, rng);
        expect(r.watermarked).toBe(!repeated);
        if (repeated) {
          skipped++;
          expect(draws.length).toBe(1);
          expect(r.token).toBe(d.ids[drawIndex(d.probs, () => draws[0]!)]);
        } else {
          expect(draws.length).toBe(0);
          let best = -Infinity;
          let bestId = -1;
          d.ids.forEach((t, j) => {
            const g = Math.log(d.probs[j]!) - Math.log(-Math.log(vllmUniform(word(ctx, t))));
            if (g > best) (best = g), (bestId = t);
          });
          expect(r.token).toBe(bestId);
        }
      }
      if (mode === 'none') expect(skipped).toBe(0);
      else expect(skipped).toBeGreaterThan(30);
    }
  });
});

describe('consistency with the engine-generated vector sequences', () => {
  const engineSeq = (file: string, name = 'watermarked-by-engine'): Json => loadVectors(file).sequences.find((s: Json) => s.name === name);
  const all = Int32Array.from({ length: 4096 }, (_, i) => i);

  it('gumbel: every engine token’s uniform (ours = file) ranks high among the 4096 candidates', () => {
    const s = engineSeq('vllm-gumbel-philox.json');
    const k = vllmPrfKey('philox', 42n);
    let rankSum = 0;
    let top10 = 0;
    s.positions.forEach((p: Json) => {
      const words = vllmCandidateWords(k, p.context, all);
      const u = vllmUniform(words[p.token]!);
      expect(u).toBe(parseHexFloat(p.uniform_f32.hex));
      let rank = 0;
      for (const w of words) if (vllmUniform(w) > u) rank++;
      rankSum += rank / 4096;
      top10 += rank < 410 ? 1 : 0;
    });
    const n = s.positions.length;
    expect(rankSum / n).toBeLessThan(0.15); // 0.5 for a token unrelated to the key
    expect(top10).toBeGreaterThan(0.7 * n);
  });

  it('dual key (routed to key A): key A uniforms rank high, key B ones do not', () => {
    const s = engineSeq('vllm-dual_key_gumbel-philox.json', 'watermarked-by-engine-key_a');
    const master = BigInt(s.master_key);
    const mean = (key: bigint): number => {
      const k = vllmPrfKey('philox', key);
      let sum = 0;
      for (const p of s.positions) {
        const words = vllmCandidateWords(k, p.context, all);
        const u = vllmUniform(words[p.token]!);
        let rank = 0;
        for (const w of words) if (vllmUniform(w) > u) rank++;
        sum += rank / 4096;
      }
      return sum / s.positions.length;
    };
    expect(mean(deriveVllmKey(master, 'key_a'))).toBeLessThan(0.15);
    expect(mean(deriveVllmKey(master, 'key_b'))).toBeGreaterThan(0.35);
  });

  it('red_green and synthid: our green flags / g-values of the engine tokens are the file’s', () => {
    const rg = engineSeq('vllm-red_green-philox.json');
    const k = vllmPrfKey('philox', 42n);
    let green = 0;
    for (const p of rg.positions) {
      const g = redGreenIsGreen(vllmUniform(vllmCandidateWords(k, p.context, Int32Array.of(p.token))[0]!), 0.25);
      expect(g).toBe(p.green);
      green += g ? 1 : 0;
    }
    expect(green / rg.positions.length).toBeGreaterThan(0.5);
    const sy = engineSeq('vllm-synthid-philox.json');
    const k0 = vllmPrfKey('philox', 0n);
    for (const p of sy.positions) {
      const w = vllmCandidateWords(k0, p.context, Int32Array.of(p.token))[0]!;
      expect(Array.from({ length: 32 }, (_, l) => (w >>> l) & 1)).toEqual(p.g_values);
    }
  });

  it('sbw: the engine tokens are green under our generator rule (lefthash included)', () => {
    for (const [file, seeding] of [
      ['vllm-sbw-selfhash.json', 'selfhash'],
      ['vllm-sbw-lefthash.json', 'lefthash'],
    ] as const) {
      const s = engineSeq(file);
      const key = sbwKey(s.key);
      let green = 0;
      for (const p of s.positions) {
        const g = sbwGreen(seeding, i64FromBigInt(key), key, p.context, Int32Array.of(p.token), 0.5)[0]!;
        if (seeding === 'selfhash') expect(g === 1).toBe(p.green);
        green += g;
      }
      expect(green / s.positions.length, seeding).toBeGreaterThan(0.75);
    }
  });
});
