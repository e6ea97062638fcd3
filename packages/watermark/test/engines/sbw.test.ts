import { describe, expect, it } from 'vitest';
import { jenkinsHash } from '../../src/engines/jenkins.js';
import {
  sbwDetect,
  sbwGammaInt,
  sbwIsGreen,
  sbwKey,
  sbwLefthashDetectorSeed,
  sbwLefthashGeneratorSeed,
  sbwPositions,
  sbwSelfhashSeed,
  sbwWord,
} from '../../src/engines/sbw.js';
import { expectClose, expectHex, loadVectors, type Json } from './vectors.js';

describe.each(['selfhash', 'lefthash'] as const)('vLLM sbw %s', (seeding) => {
  const v = loadVectors(`vllm-sbw-${seeding}.json`);
  const key = BigInt(v.parameters.key);
  const gamma = v.parameters.gamma;
  it('hash and parameters', () => {
    for (const c of v.hashint_cases as Json[]) expect(jenkinsHash(c.x)).toBe(c.h);
    expect(sbwGammaInt(gamma)).toBe(v.parameters.gamma_int);
    expect(() => sbwKey((1n << 64n) - 1n)).toThrow(/2\^63/);
  });
  it('prf_cases (detector and generator seeds)', () => {
    for (const c of v.prf_cases as Json[]) {
      const seed = seeding === 'selfhash' ? sbwSelfhashSeed(key, c.context, c.token) : sbwLefthashDetectorSeed(key, c.context);
      expect(seed.toString()).toBe(c.seed_int64);
      expect(Number(BigInt.asUintN(32, seed))).toBe(c.k0_u32);
      expect(Number(BigInt.asUintN(32, seed >> 32n))).toBe(c.k1_u32);
      expect(c.philox_counter).toEqual([Math.floor(c.token / 4), 0, 0, 0]);
      expect(c.word_index).toBe(c.token & 3);
      const word = sbwWord(seed, c.token);
      expect(word).toBe(c.raw_u32);
      expect(sbwIsGreen(word, gamma)).toBe(c.green_detector);
      const genSeed = seeding === 'selfhash' ? seed : sbwLefthashGeneratorSeed(key, c.context);
      expect(sbwIsGreen(sbwWord(genSeed, c.token), gamma)).toBe(c.green_generator);
    }
  });
  it.each((v.sequences as Json[]).map((s) => [s.name, s]))('sequence %s', (_name, s) => {
    const positions = sbwPositions(s.tokens, { key: s.key, seeding, contextWidth: s.context_width, gamma });
    expect(positions.length).toBe(s.positions.length);
    s.positions.forEach((p: Json, i: number) => {
      const ours = positions[i]!;
      expect([ours.index, ours.token, ours.context, ours.scored]).toEqual([p.index, p.token, p.context, p.scored]);
      if (!p.scored) return expect(p.raw_u32).toBeUndefined();
      expect(ours.seed.toString()).toBe(p.seed_int64);
      expect(ours.word).toBe(p.raw_u32);
      expect(ours.green).toBe(p.green);
    });
    const d = s.detector;
    const det = sbwDetect(positions, gamma);
    expect(det.numScored).toBe(d.num_scored_tokens);
    expectHex(det.greenCount, d.statistic_green_count, 'G');
    if (d.z === null) expect(det.z).toBeNull();
    else expectHex(det.z!, d.z, 'z');
    expectClose(det.pValue, d.p_value, 'p');
    expect(det.isWatermarked).toBe(d.is_watermarked);
  });
});
