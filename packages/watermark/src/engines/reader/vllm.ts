// vLLM readers (gumbel, dual_key_gumbel, red_green, synthid with the Philox, legacy and
// HMAC PRFs; sbw). vLLM keys every generated position: the context is the w generated
// tokens before it, -1 before the first one; the prompt never enters.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import type { NullModel } from '../../watermark.js';
import { sbwDetect, sbwIsGreen, sbwLefthashDetectorSeed, sbwLefthashGeneratorSeed, sbwGammaInt, sbwPositions, sbwSelfhashSeedWords, sbwWordOf } from '../sbw.js';
import { i64FromBigInt } from '../u64.js';
import {
  deriveVllmKey,
  gumbelScore,
  redGreenIsGreen,
  vllmDualKeyDetect,
  vllmDualKeyPositions,
  vllmGumbelDetect,
  vllmRedGreenDetect,
  vllmSynthidDetect,
  vllmUniformPositions,
  vllmWordFn,
  vllmWordPositions,
  type VllmDetection,
} from '../vllm.js';
import { vllmUniform } from '../vllm-prf.js';
import { digestContext } from './digest.js';
import { newRead, type EngineRead, type EngineReader, type EngineStatistic } from './types.js';

type VllmScheme = Extract<EngineSpec['engine'], { scheme: `vllm/${string}` }>;

/** P[u < f32(gamma)] for vLLM's 24-bit uniform u = f32((m + 1) / (2^24 + 1)), m uniform: the exact green rate. */
export function vllmGreenRate(gamma: number): number {
  let lo = 0, hi = 1 << 24; // count of m with u(m) < g: u is nondecreasing in m
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (redGreenIsGreen(vllmUniform((mid << 8) >>> 0), gamma)) lo = mid + 1;
    else hi = mid;
  }
  return lo / 2 ** 24;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function nullModelOf(e: VllmScheme): NullModel {
  switch (e.scheme) {
    case 'vllm/gumbel':
    case 'vllm/dual_key_gumbel':
      return { kind: 'gamma' };
    case 'vllm/red_green':
      return { kind: 'binomial', trialsPerToken: 1, p: vllmGreenRate(e.gamma) };
    case 'vllm/synthid':
      return { kind: 'binomial', trialsPerToken: e.depth, p: 0.5 };
    case 'vllm/sbw':
      return { kind: 'binomial', trialsPerToken: 1, p: sbwGammaInt(e.gamma) / 2 ** 31 };
  }
}

function statistic(name: string, d: VllmDetection, z: number | null = null): EngineStatistic {
  return { engine: 'vllm', name, scored: d.numScored, statistic: d.statistic, z, pValue: d.pValue, watermarked: d.isWatermarked };
}

export function vllmReader(spec: EngineSpec, key: EngineKey): EngineReader {
  const e = spec.engine as VllmScheme;
  const K = key.secretValues()[0]!;
  const w = e.contextWidth ?? 4;
  const ctx = new Int32Array(w);
  const tmp = new Int32Array(2);

  // Per-position score from the context buffer and token (tracemark's score, exact null).
  let scoreAt: (token: number) => number;
  let seedAt: ((token: number) => { hi: number; lo: number }) | null = null;
  switch (e.scheme) {
    case 'vllm/gumbel': {
      const word = vllmWordFn(e.prf, K);
      scoreAt = (t) => gumbelScore(vllmUniform(word(ctx, t)));
      break;
    }
    case 'vllm/dual_key_gumbel': {
      // The engine routes each step to key A or B with an unkeyed coin, so no reader can
      // know which key a position used. max(uA, uB)^2 is uniform under the null (two
      // independent uniforms), and high whichever key sampled the token: an exact test.
      const wa = vllmWordFn('philox', deriveVllmKey(K, 'key_a'));
      const wb = vllmWordFn('philox', deriveVllmKey(K, 'key_b'));
      scoreAt = (t) => {
        const m = Math.max(vllmUniform(wa(ctx, t)), vllmUniform(wb(ctx, t)));
        return -Math.log1p(-m * m);
      };
      break;
    }
    case 'vllm/red_green': {
      const word = vllmWordFn('philox', K);
      scoreAt = (t) => (redGreenIsGreen(vllmUniform(word(ctx, t)), e.gamma) ? 1 : 0);
      break;
    }
    case 'vllm/synthid': {
      const word = vllmWordFn('philox', K);
      const mask = e.depth === 32 ? 0xffffffff : (1 << e.depth) - 1;
      scoreAt = (t) => popcount(word(ctx, t) & mask);
      break;
    }
    case 'vllm/sbw': {
      const kw = i64FromBigInt(K);
      let seed = { hi: 0, lo: 0 };
      seedAt = (t) =>
        (seed =
          e.seeding === 'selfhash'
            ? sbwSelfhashSeedWords(kw, ctx, t)
            : i64FromBigInt(e.lefthashRule === 'generator' ? sbwLefthashGeneratorSeed(K, ctx) : sbwLefthashDetectorSeed(K, ctx)));
      scoreAt = (t) => (sbwIsGreen(sbwWordOf(seed, t), e.gamma) ? 1 : 0);
      break;
    }
  }

  return {
    spec,
    scheme: e,
    keyFingerprint: spec.keyFingerprint,
    nullModel: nullModelOf(e),
    contextWidth: w,
    read(tokens): EngineRead {
      const n = tokens.length;
      const r = newRead(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < w; j++) ctx[j] = i - w + j < 0 ? -1 : tokens[i - w + j]!;
        const t = tokens[i]!;
        r.keyed[i] = 1;
        digestContext(tokens, i - w, i, -1, tmp);
        r.ctxHi[i] = tmp[0]!;
        r.ctxLo[i] = tmp[1]!;
        if (seedAt) {
          const s = seedAt(t); // SBW: the seed is what the PRF reads (lefthash sums collide)
          r.idHi[i] = s.hi | 0;
          r.idLo[i] = s.lo | 0;
        } else {
          r.idHi[i] = tmp[0]!;
          r.idLo[i] = tmp[1]!;
        }
        r.score[i] = scoreAt(t);
      }
      return r;
    },
    engineStatistic(tokens): EngineStatistic {
      const o = { key: K, prf: 'prf' in e ? e.prf : undefined, contextWidth: w, deduplicateContexts: true, pValueThreshold: e.pValueThreshold };
      switch (e.scheme) {
        case 'vllm/gumbel':
          return statistic('Gamma(n, 1) tail of Σ −log1p(−u) over first occurrences of each context', vllmGumbelDetect(tokens, o).detection);
        case 'vllm/dual_key_gumbel':
          return statistic(`early fusion (1−α)s_A + α s_B, α = ${e.alpha}, moment-matched Gamma tail`, vllmDualKeyDetect(vllmDualKeyPositions(tokens, o), e.alpha, e.pValueThreshold));
        case 'vllm/red_green':
          return statistic(`Binomial(n, ${e.gamma}) tail of the green count`, vllmRedGreenDetect(vllmUniformPositions(tokens, o), e.gamma, e.pValueThreshold));
        case 'vllm/synthid':
          return statistic(`Binomial(n·${e.depth}, 1/2) tail of the g-value mean`, vllmSynthidDetect(vllmWordPositions(tokens, o), e.depth, e.pValueThreshold));
        case 'vllm/sbw': {
          const d = sbwDetect(sbwPositions(tokens, { key: K, seeding: e.seeding, contextWidth: w, gamma: e.gamma, lefthashRule: e.lefthashRule }), e.gamma, e.pValueThreshold);
          return { engine: 'vllm', name: `normal tail of z for the green count (γ = ${e.gamma})`, scored: d.numScored, statistic: d.greenCount, z: d.z, pValue: d.pValue, watermarked: d.isWatermarked };
        }
      }
    },
  };
}
