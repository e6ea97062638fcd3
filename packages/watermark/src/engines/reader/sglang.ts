// SGLang Aaronson-Gumbel reader. The context is the last h tokens of prompt + completion;
// its 32-bit Murmur3 hash is all the PRF reads of it, so tracemark deduplicates on that
// hash (two contexts with one hash give one score per token: they are not independent).
// Without the prompt, the first h completion tokens have unknown contexts and are not read.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import { sglangCoin, sglangContextHash, sglangDetect, sglangHash, sglangMixingThreshold, sglangScore } from '../sglang.js';
import { wordsOf } from '../u64.js';
import { digestContext } from './digest.js';
import { newRead, type EngineReader, type EngineStatistic } from './types.js';

type SglangScheme = Extract<EngineSpec['engine'], { scheme: 'sglang/gumbel' }>;

export function sglangReader(spec: EngineSpec, key: EngineKey): EngineReader {
  const e = spec.engine as SglangScheme;
  const [a, b] = key.secretValues();
  const keyA = wordsOf(a!);
  const keyB = e.dualKey ? wordsOf(b!) : null;
  const threshold = keyB ? sglangMixingThreshold(e.mixingProbability) : 0;
  const h = e.contextWidth;
  const tmp = new Int32Array(2);
  const hex = (v: bigint) => v.toString(16);
  return {
    spec,
    scheme: e,
    keyFingerprint: spec.keyFingerprint,
    nullModel: { kind: 'gamma' },
    contextWidth: h,
    read(tokens, opts = {}) {
      const prompt = opts.prompt ?? [];
      const p = prompt.length;
      const full = new Uint32Array(p + tokens.length);
      for (let i = 0; i < p; i++) full[i] = prompt[i]!;
      for (let i = 0; i < tokens.length; i++) full[p + i] = tokens[i]!;
      const r = newRead(tokens.length);
      for (let i = 0; i < tokens.length; i++) {
        if (p === 0 && i < h) continue; // the engine's detector skips them too
        const end = p + i;
        const ch = sglangContextHash(full.subarray(Math.max(0, end - h), end));
        const t = tokens[i]!;
        r.keyed[i] = 1;
        r.idHi[i] = 0;
        r.idLo[i] = ch | 0;
        digestContext(full, Math.max(0, end - h), end, 0, tmp);
        r.ctxHi[i] = tmp[0]!;
        r.ctxLo[i] = tmp[1]!;
        const useB = keyB !== null && sglangCoin(keyA, keyB, ch) >= threshold;
        r.score[i] = sglangScore(sglangHash(useB ? keyB : keyA, ch, t));
      }
      return r;
    },
    engineStatistic(tokens, opts = {}): EngineStatistic {
      const d = sglangDetect(tokens, {
        keyHex: hex(a!),
        keyBHex: keyB ? hex(b!) : null,
        mixingProbability: e.mixingProbability,
        contextWindow: h,
        promptTokenIds: opts.prompt ? Array.from(opts.prompt) : [],
      });
      const c = d.combined;
      return {
        engine: 'sglang',
        name: `Gamma(n, 1) tail of Σ −log1p(−u) over distinct contexts (first ${d.prefixLimitReached ? '4096, limit reached' : '4096'})`,
        scored: c.numContexts,
        statistic: c.score,
        z: c.zScore,
        pValue: c.pValue,
        watermarked: null,
      };
    },
  };
}
