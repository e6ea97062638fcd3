import { describe, expect, it } from 'vitest';
import { hfKgwDetect, hfKgwSeed, kgwGreenList, inList } from '../../src/engines/hf-kgw.js';
import { KGW_TABLE_SIZE, kgwTable } from '../../src/engines/kgw-tables.js';
import { lmDetect, lmSeed } from '../../src/engines/lm-watermarking.js';
import { expectClose, expectHex, loadVectors, type Json } from './vectors.js';

describe.each(['lefthash', 'selfhash'] as const)('HF transformers KGW %s', (seeding) => {
  const v = loadVectors(`hf-kgw-${seeding}.json`);
  const par = v.parameters;
  it('fixed table', () => {
    const t = kgwTable(v.fixed_table_info.seed);
    expect(t.length).toBe(KGW_TABLE_SIZE);
    expect(Array.from(t.subarray(0, 16))).toEqual(v.fixed_table_info.first16);
  });
  it('prf_cases: seeds, MT seeds, green lists', () => {
    for (const c of v.prf_cases as Json[]) {
      const seed = hfKgwSeed(seeding, BigInt(c.hashing_key), par.context_width, c.context, c.token);
      expect(seed.toString()).toBe(c.seed_passed_to_manual_seed);
      const g = kgwGreenList(seed, c.vocab_size, par.greenlist_ratio);
      expect(g.mtSeed).toBe(c.mt19937_seed_low32);
      expect(g.size).toBe(c.greenlist_size);
      expect(Array.from(g.list.subarray(0, 8))).toEqual(c.greenlist_first8);
      expect(inList(g, c.token)).toBe(c.green);
    }
  });
  it.each((v.sequences as Json[]).map((s) => [s.name, s]))('sequence %s', (_name, s) => {
    const det = hfKgwDetect(s.tokens, {
      vocabSize: s.vocab_size,
      seeding,
      hashingKey: par.hashing_key,
      contextWidth: par.context_width,
      greenlistRatio: par.greenlist_ratio,
      bosTokenId: s.bos_token_id,
    });
    expect(det.bosStripped).toBe(s.bos_stripped);
    // The ignore_repeated variants list only the detector result (positions are the same).
    if (s.positions) expect(det.positions.length).toBe(s.positions.length);
    else expect(s.ignore_repeated_ngrams).toBe(true);
    (s.positions ?? []).forEach((p: Json, i: number) => {
      const o = det.positions[i]!;
      expect([o.index, o.token, o.status]).toEqual([p.index, p.token, p.status]);
      expect(o.prefixForSeed).toEqual(p.prefix_for_seed);
      expect(o.green).toBe(p.green);
    });
    // ignore_repeated_ngrams is inert in HF: both variants carry the same counts.
    const d = s.detector;
    expect(det.numTokensScored).toBe(d.num_tokens_scored);
    expect(det.numGreenTokens).toBe(d.num_green_tokens);
    expectHex(det.zScore, d.z_score, 'z');
    expectClose(det.pValue, d.p_value, 'p');
    expect(det.prediction).toBe(d.prediction_z_gt_3);
  });
  it('too short', () => {
    const n = Number(/^(\d+) tokens/.exec(v.edge_too_short)![1]);
    expect(() =>
      hfKgwDetect(Array.from({ length: n }, (_, i) => 100 + i), { vocabSize: 32000, seeding, contextWidth: par.context_width }),
    ).toThrow(v.edge_too_short.replace(/^.*ValueError: /, ''));
  });
});

describe.each(['lefthash', 'selfhash'] as const)('lm-watermarking KGW %s', (seeding) => {
  const v = loadVectors(`lm_watermarking-kgw-${seeding}.json`);
  const par = v.parameters;
  it('prf_cases', () => {
    for (const c of v.prf_cases as Json[]) {
      const seed = lmSeed(seeding, BigInt(par.resolved.hash_key), c.context, c.token);
      expect(seed.toString()).toBe(c.seed_passed_to_manual_seed);
      const g = kgwGreenList(seed, c.vocab_size, par.gamma);
      expect(g.size).toBe(c.greenlist_size);
      expect(Array.from(g.list.subarray(0, 8))).toEqual(c.greenlist_first8);
      expect(inList(g, c.token)).toBe(c.green);
    }
  });
  it.each((v.sequences as Json[]).map((s) => [s.name, s]))('sequence %s', (_name, s) => {
    const det = lmDetect(s.tokens, { vocabSize: s.vocab_size, seeding, gamma: par.gamma, ignoreRepeatedNgrams: s.ignore_repeated_ngrams });
    expect(det.greenMaskPerNgram).toEqual(s.green_token_mask_per_ngram);
    const d = s.detector;
    expect(det.numTokensScored).toBe(d.num_tokens_scored);
    expect(det.numGreenTokens).toBe(d.num_green_tokens);
    expectHex(det.zScore, d.z_score, 'z');
    expectClose(det.pValue, d.p_value, 'p');
  });
});
