// HF transformers KGW and lm-watermarking readers. The green list is a function of a
// 32-bit torch seed only (manual_seed keeps the low 32 bits), so that seed is the
// identity tracemark deduplicates on. Generation keys on input_ids, prompt included, so
// with the prompt every completion position is read; without it a position needs the
// tokens the seeding reads (lefthash: the previous token; selfhash: width − 1 of them).
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import { hfKgwDetectFast, hfKgwSeed, kgwGreenFlags } from '../hf-kgw.js';
import { lmContextWidth, lmDetectFast, lmSeed } from '../lm-watermarking.js';
import { digestContext } from './digest.js';
import { newRead, type EngineReader, type EngineStatistic } from './types.js';

type KgwScheme = Extract<EngineSpec['engine'], { scheme: 'hf/kgw' | 'lm-watermarking/kgw' }>;

export function kgwReader(spec: EngineSpec, key: EngineKey): EngineReader {
  const e = spec.engine as KgwScheme;
  const K = key.secretValues()[0]!;
  const hf = e.scheme === 'hf/kgw';
  const ratio = hf ? e.greenlistRatio : e.gamma;
  const width = hf ? e.contextWidth : lmContextWidth(e.seeding);
  // tokens before the candidate that the seed reads
  const need = e.seeding === 'lefthash' ? (hf ? 1 : width) : width - 1;
  const tmp = new Int32Array(2);
  const seedOf = (context: number[], candidate: number): bigint =>
    hf ? hfKgwSeed(e.seeding, K, width, context, candidate) : lmSeed(e.seeding, K, context, candidate);
  return {
    spec,
    scheme: e,
    keyFingerprint: spec.keyFingerprint,
    nullModel: { kind: 'binomial', trialsPerToken: 1, p: Math.floor(e.vocabSize * ratio) / e.vocabSize },
    contextWidth: need,
    read(tokens, opts = {}) {
      const prompt = opts.prompt ?? [];
      const p = prompt.length;
      const full: number[] = [...Array.from(prompt), ...Array.from(tokens)];
      const r = newRead(tokens.length);
      const mtSeeds = new Uint32Array(tokens.length);
      const at: number[] = [];
      const bos = hf && p === 0 && e.bosTokenId !== null && tokens[0] === e.bosTokenId ? 1 : 0;
      for (let i = bos; i < tokens.length; i++) {
        const end = p + i;
        if (end - need < bos) continue;
        const context = full.slice(end - need, end);
        const t = tokens[i]!;
        const mtSeed = Number(seedOf(context, t) & 0xffffffffn);
        r.keyed[i] = 1;
        r.idHi[i] = 0;
        r.idLo[i] = mtSeed | 0;
        mtSeeds[i] = mtSeed;
        at.push(i);
        digestContext(full, end - need, end, 0, tmp);
        r.ctxHi[i] = tmp[0]!;
        r.ctxLo[i] = tmp[1]!;
      }
      // membership in randperm prefixes, cached per seed (the green list depends on the seed only)
      const green = kgwGreenFlags(mtSeeds, tokens, at, e.vocabSize, ratio);
      for (const i of at) r.score[i] = green[i]!;
      return r;
    },
    engineStatistic(tokens): EngineStatistic {
      if (hf) {
        let d;
        try {
          d = hfKgwDetectFast(tokens, { vocabSize: e.vocabSize, seeding: e.seeding, hashingKey: K, contextWidth: width, greenlistRatio: ratio, bosTokenId: e.bosTokenId, zThreshold: e.zThreshold });
        } catch {
          return { engine: 'hf', name: 'WatermarkDetector: text too short to score', scored: 0, statistic: 0, z: null, pValue: null, watermarked: null };
        }
        return { engine: 'hf', name: "WatermarkDetector z of the green count (every n-gram counted; HF's approximate p)", scored: d.numTokensScored, statistic: d.numGreenTokens, z: d.zScore, pValue: d.pValue, watermarked: d.prediction };
      }
      const d = lmDetectFast(tokens, { vocabSize: e.vocabSize, seeding: e.seeding, hashKey: K, gamma: ratio });
      const z = Number.isFinite(d.zScore) ? d.zScore : null;
      return { engine: 'lm-watermarking', name: 'z of the green count over distinct n-grams, normal tail', scored: d.numTokensScored, statistic: d.numGreenTokens, z, pValue: z === null ? null : d.pValue, watermarked: z === null ? null : z > e.zThreshold };
    },
  };
}
