// vLLM readers (gumbel, dual_key_gumbel, red_green, synthid with the Philox, legacy and
// HMAC PRFs; sbw). vLLM keys every generated position: the context is the w generated
// tokens before it, -1 before the first one; the prompt never enters.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import type { NullModel } from '../../watermark.js';
import { sbwDetectFast, sbwGammaInt } from '../sbw.js';
import {
  deriveVllmKey,
  redGreenIsGreen,
  vllmDualKeyDetectFast,
  vllmGumbelDetectFast,
  vllmRedGreenDetectFast,
  vllmSynthidDetectFast,
  vllmTextWords,
  type VllmDetection,
} from '../vllm.js';
import { vllmUniform } from '../vllm-prf.js';
import { contextDigestsWasm } from '../../kernel/engine-kernel.js';
import { type EngineRead, type EngineReader, type EngineStatistic } from './types.js';

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
  const prf = 'prf' in e ? e.prf : 'philox';
  const all = { contextWidth: w, deduplicateContexts: false } as const; // every position's reading; tracemark dedups itself
  const keyA = e.scheme === 'vllm/dual_key_gumbel' ? deriveVllmKey(K, 'key_a') : K;
  const keyB = e.scheme === 'vllm/dual_key_gumbel' ? deriveVllmKey(K, 'key_b') : K;
  const mask = e.scheme === 'vllm/synthid' ? (e.depth === 32 ? 0xffffffff : (1 << e.depth) - 1) : 0;

  // tracemark's score of every position, from whole-text typed-array readings
  const scores = (tokens: ArrayLike<number>, r: EngineRead): void => {
    const n = tokens.length;
    if (e.scheme === 'vllm/sbw') {
      // the seed is what SBW's PRF reads (lefthash sums of different contexts collide): it is the identity
      const f = sbwDetectFast(tokens, { key: K, seeding: e.seeding, contextWidth: w, gamma: e.gamma, lefthashRule: e.lefthashRule, deduplicateContexts: false });
      for (let i = 0; i < n; i++) {
        r.idHi[i] = f.seedHi[i]! | 0;
        r.idLo[i] = f.seedLo[i]! | 0;
        r.score[i] = f.green[i]!;
      }
      return;
    }
    const wa = vllmTextWords(tokens, { key: keyA, prf, ...all }).words;
    if (e.scheme === 'vllm/dual_key_gumbel') {
      // The engine routes each step to key A or B with an unkeyed coin, so no reader can
      // know which key a position used. max(uA, uB)^2 is uniform under the null (two
      // independent uniforms), and high whichever key sampled the token: an exact test.
      const wb = vllmTextWords(tokens, { key: keyB, prf, ...all }).words;
      for (let i = 0; i < n; i++) {
        const m = Math.max(vllmUniform(wa[i]!), vllmUniform(wb[i]!));
        r.score[i] = -Math.log1p(-m * m);
      }
    } else if (e.scheme === 'vllm/red_green') {
      for (let i = 0; i < n; i++) r.score[i] = redGreenIsGreen(vllmUniform(wa[i]!), e.gamma) ? 1 : 0;
    } else if (e.scheme === 'vllm/synthid') {
      for (let i = 0; i < n; i++) r.score[i] = popcount(wa[i]! & mask);
    } else {
      // tracemark's own score: −ln(1 − u) in V8's log1p (the engine statistic replays torch's SLEEF bits)
      for (let i = 0; i < n; i++) r.score[i] = -Math.log1p(-vllmUniform(wa[i]!));
    }
  };

  return {
    spec,
    scheme: e,
    keyFingerprint: spec.keyFingerprint,
    nullModel: nullModelOf(e),
    contextWidth: w,
    read(tokens): EngineRead {
      const n = tokens.length;
      const ctxHi = new Int32Array(n), ctxLo = new Int32Array(n);
      contextDigestsWasm(tokens, 0, n, w, -1, ctxHi, ctxLo);
      // vLLM keys every generated position (-1 pads before the first); every score is written.
      // The identity is the context digest itself, except for SBW (its seed)
      const sbw = e.scheme === 'vllm/sbw';
      const r: EngineRead = {
        n,
        keyed: new Uint8Array(n).fill(1),
        idHi: sbw ? new Int32Array(n) : ctxHi,
        idLo: sbw ? new Int32Array(n) : ctxLo,
        ctxHi,
        ctxLo,
        score: new Float64Array(n),
      };
      scores(tokens, r);
      return r;
    },
    engineStatistic(tokens): EngineStatistic {
      const o = { key: K, prf, contextWidth: w, deduplicateContexts: true, pValueThreshold: e.pValueThreshold };
      switch (e.scheme) {
        case 'vllm/gumbel':
          return statistic('Gamma(n, 1) tail of Σ −log1p(−u) over first occurrences of each context', vllmGumbelDetectFast(tokens, o).detection);
        case 'vllm/dual_key_gumbel':
          return statistic(`early fusion (1−α)s_A + α s_B, α = ${e.alpha}, moment-matched Gamma tail`, vllmDualKeyDetectFast(tokens, o, e.alpha).detection);
        case 'vllm/red_green':
          return statistic(`Binomial(n, ${e.gamma}) tail of the green count`, vllmRedGreenDetectFast(tokens, o, e.gamma).detection);
        case 'vllm/synthid':
          return statistic(`Binomial(n·${e.depth}, 1/2) tail of the g-value mean`, vllmSynthidDetectFast(tokens, o, e.depth).detection);
        case 'vllm/sbw': {
          // the engine's detector as it is: for lefthash it seeds from hashed ids while the engine's
          // generator seeds from raw ids, so it cannot read the engine's own output (tracemark can)
          const d = sbwDetectFast(tokens, { key: K, seeding: e.seeding, contextWidth: w, gamma: e.gamma, lefthashRule: 'detector' }, e.pValueThreshold).detection;
          const note = e.seeding === 'lefthash' ? '; its lefthash detector cannot read the lefthash generator’s output' : '';
          return { engine: 'vllm', name: `normal tail of z for the green count (γ = ${e.gamma})${note}`, scored: d.numScored, statistic: d.greenCount, z: d.z, pValue: d.pValue, watermarked: d.isWatermarked };
        }
      }
    },
  };
}
