import { describe, expect, it } from 'vitest';
import { deepmindSynthid, hfSynthid, hfSynthidTable, synthidScore, type SynthidFlavour } from '../../src/engines/synthid.js';
import { expectClose, expectHex, loadVectors, type Json } from './vectors.js';

function checkCases(flavour: SynthidFlavour, cases: Json[]): void {
  for (const c of cases) {
    const r = flavour.read(c.context, c.token);
    expect(r.contextHash.toString()).toBe(c.context_hash_int64);
    expect(r.ngramKeys.map(String)).toEqual(c.ngram_keys_int64);
    if (c.table_index) expect(r.tableIndex).toEqual(c.table_index);
    expect(r.gValues).toEqual(c.g_values);
  }
}

function checkSequence(flavour: SynthidFlavour, s: Json, ngramLen: number, eos: number, eosField: string): void {
  const out = synthidScore(flavour, s.tokens, ngramLen, eos);
  expect(out.gValues).toEqual(s.g_values);
  expect(out.contextRepetitionMask).toEqual(s.context_repetition_mask);
  expect(out.eosMask).toEqual(s[eosField]);
  expect(out.combinedMask).toEqual(s.combined_mask);
  expectHex(out.meanScore, s.mean_score, 'mean');
  expectClose(out.weightedMeanScore, s.weighted_mean_score, 'weighted mean');
}

describe('HF transformers SynthID', () => {
  const v = loadVectors('hf-synthid.json');
  const par = v.parameters;
  const flavour = hfSynthid(par.keys, par.sampling_table_size, par.sampling_table_seed);
  it('sampling table', () => {
    const t = hfSynthidTable(par.sampling_table_size, par.sampling_table_seed);
    expect(Array.from(t.subarray(0, 64))).toEqual(v.sampling_table_info.first64);
    expect(t.reduce((a, b) => a + b, 0)).toBe(v.sampling_table_info.ones);
  });
  it('prf_cases', () => checkCases(flavour, v.prf_cases));
  it.each((v.sequences as Json[]).map((s) => [s.name, s]))('sequence %s', (_n, s) =>
    checkSequence(flavour, s, par.ngram_len, par.eos_token_id_used, 'eos_mask'),
  );
});

describe('google-deepmind/synthid-text', () => {
  const v = loadVectors('synthid_text-synthid.json');
  const par = v.parameters;
  const flavour = deepmindSynthid(par.keys);
  it('hash IV', () => expect(flavour.iv.toString()).toBe(par.hash_iv));
  it('prf_cases', () => checkCases(flavour, v.prf_cases));
  it.each((v.sequences as Json[]).map((s) => [s.name, s]))('sequence %s', (_n, s) =>
    checkSequence(flavour, s, par.ngram_len, 1, 'eos_mask_eos1'),
  );
});
