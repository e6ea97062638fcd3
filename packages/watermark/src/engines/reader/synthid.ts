// SynthID readers: HF transformers (LCG from 1, a fixed torch-MT bit table) and
// google-deepmind/synthid-text (LCG from a SHA-256 IV). Generation keys every generated
// position: the context is the n − 1 generated tokens before it, zeros before the first
// (skip_first_ngram_calls leaves those first n − 1 positions alone). The LCG state after
// the context is all the g-values read of it, so it is the deduplication identity.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import { deepmindSynthid, hfSynthid, hfSynthidTable, synthidScoreFast, type SynthidFlavour } from '../synthid.js';
import { contextDigestsWasm, synthidWasm } from '../../kernel/engine-kernel.js';
import { newRead, type EngineReader, type EngineStatistic } from './types.js';

type SynthidScheme = Extract<EngineSpec['engine'], { scheme: 'hf/synthid' | 'synthid-text/synthid' }>;

/** Fraction of ones in HF's sampling table: the null rate of one g-value (a fixed draw, not exactly 1/2). */
export function hfSynthidOnesRate(size: number, seed: number): number {
  const t = hfSynthidTable(size, seed);
  let ones = 0;
  for (let i = 0; i < t.length; i++) ones += t[i]!;
  return ones / size;
}

export function synthidReader(spec: EngineSpec, key: EngineKey): EngineReader {
  const e = spec.engine as SynthidScheme;
  // The flavours take the keys as integers; bigints keep keys above 2^53 exact (BigInt(k) accepts both).
  const keys = key.secretValues() as unknown as number[];
  const hf = e.scheme === 'hf/synthid';
  const flavour: SynthidFlavour = hf ? hfSynthid(keys, e.samplingTableSize, e.samplingTableSeed) : deepmindSynthid(keys);
  const c = e.ngramLen - 1;
  const skip = hf && e.skipFirstNgramCalls ? c : 0;
  const fast = flavour.fast!;
  return {
    spec,
    scheme: e,
    keyFingerprint: spec.keyFingerprint,
    nullModel: { kind: 'binomial', trialsPerToken: e.depth, p: hf ? hfSynthidOnesRate(e.samplingTableSize, e.samplingTableSeed) : 0.5 },
    contextWidth: c,
    read(tokens) {
      const n = tokens.length;
      const r = newRead(n);
      // every position's window, the first c reading the engine's zero pads; the score is the g-value count
      synthidWasm(fast, tokens, c, r.idHi, r.idLo, r.score);
      contextDigestsWasm(tokens, 0, n, c, 0, r.ctxHi, r.ctxLo);
      r.keyed.fill(1, skip);
      // skip_first_ngram_calls: the first c positions are not keyed and carry no reading
      const k = Math.min(skip, n);
      for (const a of [r.idHi, r.idLo, r.ctxHi, r.ctxLo]) a.fill(0, 0, k);
      r.score.fill(NaN, 0, k);
      return r;
    },
    engineStatistic(tokens): EngineStatistic {
      const s = synthidScoreFast(flavour, tokens, e.ngramLen, e.eosTokenId, e.contextHistorySize);
      let scored = 0;
      for (const m of s.combinedMask) scored += m;
      return {
        engine: hf ? 'hf' : 'synthid-text',
        name: 'mean g-value over unmasked windows (synthid-text detector_mean; the engines give no p-value, only a trained Bayesian detector)',
        scored,
        statistic: scored > 0 ? s.meanScore : 0,
        z: null,
        pValue: null,
        watermarked: null,
      };
    },
  };
}
