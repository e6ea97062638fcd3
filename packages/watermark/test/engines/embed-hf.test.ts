import { describe, expect, it } from 'vitest';
import { HF_SELFHASH_CANDIDATES, createEngineSampler, createHfKgwSampler, engineCandidates, hfKgwGreen, rankByProb } from '../../src/engines/embed/index.js';
import { hfKgwDetect, hfKgwSeed, inList, kgwGreenList, type KgwSeeding } from '../../src/engines/hf-kgw.js';
import { seededRng } from '../../src/sampling/rng.js';
import { ZipfModel, generate } from './embed-model.js';
import { loadVectors, type Json } from './vectors.js';

const V = 4096;
const model = new ZipfModel(V, 1.2);
const HF_KEY = 15485863n;
const PROMPT = [101, 202, 303, 404];

function cfg(seeding: KgwSeeding) {
  return { vocabSize: V, seeding, hashingKey: HF_KEY, contextWidth: seeding === 'selfhash' ? 4 : 1, greenlistRatio: 0.25 };
}

describe('HF KGW: generated text is detected by HF’s WatermarkDetector, plain text is not', () => {
  it.each(['lefthash', 'selfhash'] as const)('%s', (seeding) => {
    const c = cfg(seeding);
    const detect = (tokens: number[]) => hfKgwDetect(tokens, { vocabSize: V, seeding, contextWidth: c.contextWidth });
    const s = createEngineSampler({ engine: 'hf_kgw', ...c, prompt: PROMPT });
    const g = generate(model, s, { length: 150, seed: `kgw-${seeding}`, start: PROMPT[3] });
    expect(g.watermarked).toBe(150);
    const d = detect(g.tokens);
    expect(d.zScore).toBeGreaterThan(6);
    expect(d.prediction).toBe(true);
    const N = seeding === 'selfhash' ? 100 : 200;
    let zSum = 0;
    let flagged = 0;
    for (let seed = 0; seed < N; seed++) {
      const z = detect(generate(model, null, { length: 60, seed: `kgw-null-${seeding}-${seed}` }).tokens).zScore;
      zSum += z;
      flagged += z > 3 ? 1 : 0;
    }
    expect(Math.abs(zSum / N)).toBeLessThan(4 / Math.sqrt(N));
    expect(flagged).toBeLessThanOrEqual(Math.max(3, N * 0.02));
  });

  it('selfhash tests only the 40 most probable candidates, as HF does', () => {
    const c = cfg('selfhash');
    const d = model.next(9, 200);
    const cands = engineCandidates(d);
    const green = hfKgwGreen(cands, PROMPT, c);
    let beyond = 0;
    let within = 0;
    for (let i = 0; i < cands.n; i++) {
      const t = cands.ids[i]!;
      const truly = inList(kgwGreenList(hfKgwSeed('selfhash', HF_KEY, 4, PROMPT, t), V, 0.25), t);
      if (i < HF_SELFHASH_CANDIDATES) expect(green[i] === 1).toBe(truly); // model.next lists candidates by rank
      else {
        expect(green[i]).toBe(0);
        beyond += truly ? 1 : 0;
      }
      within += i < HF_SELFHASH_CANDIDATES && truly ? 1 : 0;
    }
    expect(within).toBeGreaterThan(0);
    expect(beyond).toBeGreaterThan(0); // green tokens past rank 40 exist and stay unbiased
  });

  it('rankByProb(k) is the first k of the full ranking (probability down, ties to the lower id)', () => {
    const rng = seededRng('rank');
    for (let rep = 0; rep < 50; rep++) {
      const n = 1 + Math.floor(rng() * 300);
      const ids = Array.from({ length: n }, (_, i) => (i * 7919 + rep) % 100_000);
      const c = engineCandidates({ ids, probs: ids.map(() => 1 + Math.floor(rng() * 20)) }); // many ties
      const full = Array.from({ length: n }, (_, i) => i).sort((a, b) => c.probs[b]! - c.probs[a]! || c.ids[a]! - c.ids[b]!);
      for (const k of [1, 5, 40, n]) expect(rankByProb(c, k)).toEqual(full.slice(0, k));
    }
  });

  it('input_ids shorter than context_width: no watermark (HF skips the seeding)', () => {
    const s = createHfKgwSampler({ vocabSize: V, seeding: 'selfhash', contextWidth: 4, prompt: [1, 2] });
    const rng = seededRng('short');
    const r = [0, 1, 2].map(() => s.step(model.next(5, 50), rng).watermarked);
    expect(r).toEqual([false, false, true]);
  });

  it.each(['lefthash', 'selfhash'] as const)('%s: our green flags of the library-generated vector tokens are the file’s', (seeding) => {
    const v: Json = loadVectors(`hf-kgw-${seeding}.json`);
    const s = v.sequences.find((x: Json) => x.name === 'watermarked-by-library-vocab2048');
    const c = { ...cfg(seeding), vocabSize: s.vocab_size };
    let green = 0;
    for (const p of s.positions) {
      if (p.status !== 'scored') continue;
      const g = hfKgwGreen(engineCandidates({ ids: [p.token], probs: [1] }), s.tokens.slice(0, p.index), c)[0]!;
      expect(g === 1, `position ${p.index}`).toBe(p.green);
      green += g;
    }
    expect(green).toBe(s.detector.num_green_tokens);
  });
});
