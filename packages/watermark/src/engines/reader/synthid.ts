// SynthID readers: HF transformers (LCG from 1, a fixed torch-MT bit table) and
// google-deepmind/synthid-text (LCG from a SHA-256 IV). Generation keys every generated
// position: the context is the n − 1 generated tokens before it, zeros before the first
// (skip_first_ngram_calls leaves those first n − 1 positions alone). The LCG state after
// the context is all the g-values read of it, so it is the deduplication identity.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import { deepmindSynthid, hfSynthid, hfSynthidTable, synthidScoreFast, type SynthidFlavour } from '../synthid.js';
import { digestContext } from './digest.js';
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
  const tmp = new Int32Array(2);
  return {
    spec,
    scheme: e,
    keyFingerprint: spec.keyFingerprint,
    nullModel: { kind: 'binomial', trialsPerToken: e.depth, p: hf ? hfSynthidOnesRate(e.samplingTableSize, e.samplingTableSeed) : 0.5 },
    contextWidth: c,
    read(tokens) {
      const n = tokens.length;
      const r = newRead(n);
      // every position's window, the first n − 1 reading the engine's zero pads
      const padded = new Uint32Array(c + n);
      for (let i = 0; i < n; i++) padded[c + i] = tokens[i]!;
      const f = synthidScoreFast(flavour, padded, e.ngramLen, null, 1);
      const d = f.depth;
      for (let i = skip; i < n; i++) {
        r.keyed[i] = 1;
        r.idHi[i] = f.contextHashHi[i]! | 0;
        r.idLo[i] = f.contextHashLo[i]! | 0;
        digestContext(tokens, i - c, i, 0, tmp);
        r.ctxHi[i] = tmp[0]!;
        r.ctxLo[i] = tmp[1]!;
        let g = 0;
        for (let l = 0; l < d; l++) g += f.gValues[i * d + l]!;
        r.score[i] = g;
      }
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
