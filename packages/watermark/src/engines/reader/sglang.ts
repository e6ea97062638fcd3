// SGLang Aaronson-Gumbel reader. The context is the last h tokens of prompt + completion;
// its 32-bit Murmur3 hash is all the PRF reads of it, so tracemark deduplicates on that
// hash (two contexts with one hash give one score per token: they are not independent).
// Without the prompt, the first h completion tokens have unknown contexts and are not read.
import type { EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import { sglangCoin, sglangContextHash, sglangDetectFast, sglangHash, sglangMixingThreshold, sglangScore } from '../sglang.js';
import { contextDigestsWasm, sglangHashesWasm } from '../../kernel/engine-kernel.js';
import { sglangKernelKeys } from '../sglang-kernel.js';
import { wordsOf } from '../u64.js';
import { digestContext } from './digest.js';
import { newRead, type EngineRead, type EngineReader, type EngineStatistic } from './types.js';

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
  const kernelKeys = sglangKernelKeys(keyA, keyB);
  const put = (r: EngineRead, i: number, ch: number, ctxHi: number, ctxLo: number, hashA: number, hashB: number, coin: number): void => {
    r.keyed[i] = 1;
    r.idHi[i] = 0;
    r.idLo[i] = ch | 0;
    r.ctxHi[i] = ctxHi;
    r.ctxLo[i] = ctxLo;
    r.score[i] = sglangScore(keyB !== null && coin >= threshold ? hashB : hashA);
  };
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
      const n = tokens.length;
      const r = newRead(n);
      // positions whose h-token context is all in the text go through the kernel; the few
      // before them (a prompt shorter than h) read a shorter context, in JavaScript
      const first = Math.min(n, Math.max(0, h - p));
      for (let i = p === 0 ? h : 0; i < first; i++) {
        const end = p + i;
        const ch = sglangContextHash(full.subarray(Math.max(0, end - h), end));
        digestContext(full, Math.max(0, end - h), end, 0, tmp);
        put(r, i, ch, tmp[0]!, tmp[1]!, sglangHash(keyA, ch, tokens[i]!), keyB ? sglangHash(keyB, ch, tokens[i]!) : 0, keyB ? sglangCoin(keyA, keyB, ch) : 0);
      }
      const m = n - first;
      if (m > 0) {
        const hs = { contextHash: new Uint32Array(n), hashA: new Uint32Array(n), hashB: new Uint32Array(n), coin: new Uint32Array(n) };
        sglangHashesWasm(full, p + first, m, h, kernelKeys, hs, first);
        contextDigestsWasm(full, p + first, m, h, 0, r.ctxHi.subarray(first), r.ctxLo.subarray(first));
        for (let i = first; i < n; i++) put(r, i, hs.contextHash[i]!, r.ctxHi[i]!, r.ctxLo[i]!, hs.hashA[i]!, hs.hashB[i]!, hs.coin[i]!);
      }
      return r;
    },
    engineStatistic(tokens, opts = {}): EngineStatistic {
      const d = sglangDetectFast(tokens, {
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
