import { describe, expect, it } from 'vitest';
import {
  parseSglangKey,
  sglangCoin,
  sglangContextHash,
  sglangDetect,
  sglangHash,
  sglangMixingThreshold,
  sglangScore,
  sglangUniform,
  type SglangTest,
} from '../../src/engines/sglang.js';
import { logFactorial } from '../../src/engines/stats.js';
import { expectClose, expectHex, loadVectors, type Json } from './vectors.js';

function checkTest(ours: SglangTest | null, exp: Json, what: string): void {
  if (exp === null) return expect(ours, what).toBeNull();
  expect(ours!.numContexts, what).toBe(exp.num_contexts);
  expectClose(ours!.score, exp.score, `${what} score`);
  expectClose(ours!.zScore, exp.z_score, `${what} z`, 1e-12);
  // log p sums n terms k log S - lgamma(k+1) of magnitude up to n log S + log n!; the
  // engine's glibc lgamma/log carry a few ulps of that, so compare at that absolute scale.
  const n = ours!.numContexts;
  const scale = n === 0 ? 0 : 4 * 2 ** -52 * (n * Math.abs(Math.log(ours!.score)) + logFactorial(n));
  const logP = ours!.logPValue;
  expectClose(logP, exp.log_p_value, `${what} log p`, 1e-12 + scale / Math.max(Math.abs(logP), 1e-300));
  expectClose(ours!.pValue, exp.p_value, `${what} p`, 1e-12 + scale);
}

describe.each(['aaronson_gumbel', 'aaronson_gumbel_dual_key'])('SGLang %s', (scheme) => {
  const v = loadVectors(`sglang-${scheme}.json`);
  const par = v.parameters;
  it('prf_cases: key words, hashes, uniforms, scores, coins', () => {
    for (const c of v.prf_cases as Json[]) {
      const key = parseSglangKey(c.key_hex);
      expect([key.lo, key.hi]).toEqual([c.key_lo_u32, c.key_hi_u32]);
      expect(BigInt.asIntN(64, (BigInt(key.hi) << 32n) | BigInt(key.lo)).toString()).toBe(c.key_int64);
      const ch = sglangContextHash(c.context);
      expect(ch).toBe(c.context_hash);
      const hash = sglangHash(key, ch, c.token);
      expect(hash).toBe(c.hash);
      expectHex(sglangUniform(hash), c.uniform);
      expectHex(sglangScore(hash), c.score);
      if (c.coin !== undefined) expect(sglangCoin(key, parseSglangKey(c.key_b_hex), ch)).toBe(c.coin);
    }
    if (par.mixing_threshold !== null) expect(sglangMixingThreshold(par.mixing_probability)).toBe(par.mixing_threshold);
  });
  it.each((v.sequences as Json[]).map((s) => [s.name, s]))('sequence %s', (_name, s) => {
    const det = sglangDetect(s.tokens, {
      keyHex: par.key_hex,
      keyBHex: par.key_b_hex,
      mixingProbability: s.mixing_probability ?? par.mixing_probability ?? undefined,
      contextWindow: s.context_window ?? par.context_window,
      promptTokenIds: s.prompt_token_ids,
      maxContexts: par.max_contexts,
    });
    if (s.positions) {
      expect(det.positions.length).toBe(s.positions.length);
      s.positions.forEach((p: Json, i: number) => {
        const o = det.positions[i]!;
        expect(o.completionIndex).toBe(p.completion_index);
        expect(o.token).toBe(p.token);
        expect(p.status.startsWith(o.status), `status @${i}: ${p.status}`).toBe(true);
        expect(o.context).toEqual(p.context);
        expect(o.contextHash).toBe(p.context_hash);
        expect(o.hashA).toBe(p.hash_a);
        expect(o.hashB).toBe(p.hash_b);
        expect(o.coin).toBe(p.coin);
        expect(o.partition).toBe(p.partition);
        if (p.score_a) expectHex(o.scoreA!, p.score_a, `score_a @${i}`);
        else expect(o.scoreA).toBeUndefined();
        if (p.score_b) expectHex(o.scoreB!, p.score_b, `score_b @${i}`);
        else expect(o.scoreB).toBeUndefined();
      });
    }
    const d = s.detector;
    checkTest(det.combined, d.combined, 'combined');
    checkTest(det.keyAAllPositions, d.key_a_all_positions, 'key A all');
    checkTest(det.keyBAllPositions, d.key_b_all_positions, 'key B all');
    checkTest(det.keyAPartition, d.key_a_partition, 'key A partition');
    checkTest(det.keyBPartition, d.key_b_partition, 'key B partition');
    expect(det.prefixLimitReached).toBe(d.prefix_limit_reached);
    expect(det.tokensExamined).toBe(d.tokens_examined);
    expect(det.repeatedContexts).toBe(d.repeated_contexts);
    expect(det.skippedInitialTokens).toBe(d.skipped_initial_tokens);
  });
});
