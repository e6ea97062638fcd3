import { describe, expect, it } from 'vitest';
import { createEngineSampler, createSynthidSampler, drawIndex, synthidReadStep, type SynthidFlavourName } from '../../src/engines/embed/index.js';
import { deepmindSynthid, hfSynthid, hfSynthidTable, synthidScore } from '../../src/engines/synthid.js';
import { seededRng } from '../../src/sampling/rng.js';
import { CHI2_DF7_Q999, ZipfModel, binomialBand, chiSquare, generate } from './embed-model.js';
import { loadVectors, type Json } from './vectors.js';

const model = new ZipfModel(4096, 1.2);
const KEYS = [654, 400, 836, 123, 340, 443, 597, 160, 57, 29, 590, 639, 13, 715, 468, 990, 966, 226, 324, 585];
const N_GRAM = 5;

function flavourOf(f: SynthidFlavourName) {
  return f === 'hf' ? hfSynthid(KEYS) : deepmindSynthid(KEYS);
}

/** Null mean of one g-value: HF's table is a fixed draw (ones / size), synthid-text's g is fair. */
function nullMean(f: SynthidFlavourName): number {
  if (f === 'synthid_text') return 0.5;
  const t = hfSynthidTable();
  let ones = 0;
  for (const b of t) ones += b;
  return ones / t.length;
}

/** z of the synthid-text mean score against its null (layers treated as independent bits). */
function zOf(f: SynthidFlavourName, tokens: number[]): number {
  const s = synthidScore(flavourOf(f), tokens, N_GRAM, null);
  const count = s.combinedMask.reduce((a, b) => a + b, 0);
  const m0 = nullMean(f);
  return (s.meanScore - m0) / Math.sqrt((m0 * (1 - m0)) / (count * KEYS.length));
}

describe.each(['hf', 'synthid_text'] as const)('SynthID %s', (flavour) => {
  const make = () =>
    flavour === 'hf'
      ? createEngineSampler({ engine: 'hf_synthid', keys: KEYS, ngramLen: N_GRAM })
      : createEngineSampler({ engine: 'synthid_text', keys: KEYS, ngramLen: N_GRAM, topK: 40 });

  it('generated text has a high mean g score (synthid-text’s detector_mean), plain text does not', () => {
    const g = generate(model, make(), { length: 150, seed: `sy-${flavour}`, k: 400 });
    expect(g.watermarked).toBeGreaterThan(140);
    expect(zOf(flavour, g.tokens)).toBeGreaterThan(8);
    const N = 150;
    let above = 0;
    let zSum = 0;
    for (let seed = 0; seed < N; seed++) {
      const z = zOf(flavour, generate(model, null, { length: 60, seed: `sy-null-${flavour}-${seed}`, k: 400 }).tokens);
      zSum += z;
      above += z > 1.2816 ? 1 : 0;
    }
    const [lo, hi] = binomialBand(N, 0.1);
    expect(above).toBeGreaterThanOrEqual(Math.floor(lo));
    expect(above).toBeLessThanOrEqual(Math.ceil(hi));
    expect(Math.abs(zSum / N)).toBeLessThan(4 / Math.sqrt(N) + 0.1);
  });

  it('the tournament is unbiased over keys', () => {
    const P8 = [0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02];
    const IDS8 = [5, 17, 900, 3, 4000, 77, 1234, 2];
    const counts = new Array(8).fill(0);
    const rng = seededRng(`keys-${flavour}`);
    const N = flavour === 'hf' ? 20_000 : 6000;
    for (let k = 0; k < N; k++) {
      const keys = Array.from({ length: 6 }, () => Math.floor(rng() * 2 ** 31));
      const s = createSynthidSampler({ flavour, keys, ngramLen: 3, topK: 8 });
      counts[IDS8.indexOf(s.step({ ids: IDS8, probs: P8 }, rng).token)]++;
    }
    // HF's table is not exactly half ones, which does not bias the tournament (E g is the same for every token)
    expect(chiSquare(counts, P8)).toBeLessThan(CHI2_DF7_Q999);
  });

  it('our g-values of the generated vector tokens are the file’s (same context rule)', () => {
    const v: Json = loadVectors(flavour === 'hf' ? 'hf-synthid.json' : 'synthid_text-synthid.json');
    const s = v.sequences.find((x: Json) => x.name.startsWith('watermarked-by-'));
    const keys: number[] = v.parameters.keys;
    const n: number = v.parameters.ngram_len;
    const table = flavour === 'hf' ? hfSynthidTable(v.parameters.sampling_table_size, v.parameters.sampling_table_seed) : undefined;
    s.g_values.forEach((expected: number[], j: number) => {
      const i = j + n - 1;
      const r = synthidReadStep(flavour, keys, s.tokens.slice(i - n + 1, i), Int32Array.of(s.tokens[i]), table);
      expect(Array.from(r.g)).toEqual(expected);
    });
    expect(parseFloat(s.mean_score.dec)).toBeGreaterThan(0.6);
  });

  it('the sampler’s per-step g-values equal the reader’s on random windows (large keys included)', () => {
    const rng = seededRng(`read-${flavour}`);
    const keys: (number | bigint)[] = [...KEYS.slice(0, 5), 2n ** 62n + 12345n, -(2n ** 40n) - 7n];
    const reader = flavour === 'hf' ? hfSynthid(keys as unknown as number[]) : deepmindSynthid(keys as unknown as number[]);
    for (let rep = 0; rep < 30; rep++) {
      const ctx = Array.from({ length: 4 }, () => Math.floor(rng() * 256_000));
      const ids = Int32Array.from({ length: 5 }, () => Math.floor(rng() * 256_000));
      const r = synthidReadStep(flavour, keys, ctx, ids, flavour === 'hf' ? hfSynthidTable() : undefined);
      ids.forEach((t, i) => expect(Array.from(r.g.subarray(i * keys.length, (i + 1) * keys.length))).toEqual(reader.read(ctx, t).gValues));
    }
  });

  it('context starts as n-1 zeros, repeated contexts (last historySize) are not reweighted, skip_first_ngram_calls', () => {
    const history = 3;
    const s = createSynthidSampler({ flavour, keys: KEYS.slice(0, 4), ngramLen: 2, historySize: history, topK: 3, skipFirstNgramCalls: true });
    const base = seededRng(`state-${flavour}`);
    const contexts: number[] = []; // contexts recorded in the history, oldest first
    let prev = 0; // n-1 = 1 zero before the first token
    for (let call = 1; call <= 60; call++) {
      const d = { ids: [7, 8, 9], probs: [0.5, 0.3, 0.2] };
      expect(s.context()).toEqual(call === 1 ? [0] : [prev]);
      const draws: number[] = [];
      const r = s.step(d, () => {
        const x = base();
        draws.push(x);
        return x;
      });
      const skipped = call < 2;
      const repeated = !skipped && contexts.slice(-history).includes(prev);
      if (!skipped) contexts.push(prev);
      expect(r.watermarked, `call ${call}`).toBe(!skipped && !repeated);
      if (!r.watermarked) expect(r.token).toBe(d.ids[drawIndex(d.probs, () => draws[0]!)]);
      prev = r.token;
    }
    expect(contexts.length).toBe(59);
  });
});
