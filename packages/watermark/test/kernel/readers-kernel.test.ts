// The readers that score through the WebAssembly kernels give, position by position,
// what the JavaScript references give: vLLM (context digest with -1 pads, Philox word,
// score) and SGLang (short-prompt contexts in JS, full ones in the kernel; dual key).
import { describe, expect, it } from 'vitest';
import { EngineKey, generateEngineKey, parseEngineSpec, type EngineSpecInput } from '../../src/index.js';
import { createEngineReader } from '../../src/engines/reader/index.js';
import { digestContext } from '../../src/engines/reader/digest.js';
import { sglangCoin, sglangContextHash, sglangHash, sglangMixingThreshold, sglangScore } from '../../src/engines/sglang.js';
import { wordsOf } from '../../src/engines/u64.js';
import { vllmUniform } from '../../src/engines/vllm-prf.js';
import { vllmWordFn } from '../../src/engines/vllm.js';
import { seededRng } from '../../src/sampling/rng.js';

const rng = seededRng('readers-kernel');
const text = (n: number, V: number): number[] => Array.from({ length: n }, () => Math.floor(rng() * V));

function readerFor(engine: EngineSpecInput['engine']) {
  const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
  const key: EngineKey = generateEngineKey(spec0.engine);
  return { reader: createEngineReader({ ...spec0, keyFingerprint: key.fingerprint }, key), key };
}

describe('vLLM gumbel reader through the kernels', () => {
  it.each([1, 4, 6])('context width %i: digests, identity and scores per position', (w) => {
    const { reader, key } = readerFor({ scheme: 'vllm/gumbel', contextWidth: w });
    const toks = text(300, 32000);
    const r = reader.read(toks);
    const word = vllmWordFn('philox', key.secretValues()[0]!);
    const d = new Int32Array(2);
    toks.forEach((t, i) => {
      digestContext(toks, i - w, i, -1, d);
      expect([r.ctxHi[i], r.ctxLo[i], r.idHi[i], r.idLo[i]]).toEqual([d[0], d[1], d[0], d[1]]);
      const ctx = Array.from({ length: w }, (_, j) => (i - w + j < 0 ? -1 : toks[i - w + j]!));
      expect(r.score[i]).toBe(-Math.log1p(-vllmUniform(word(ctx, t))));
    });
  });
});

describe('SGLang reader through the kernels', () => {
  it.each([
    [0, false],
    [1, false],
    [3, true],
    [2, true],
    [9, true],
  ] as const)('prompt of %i tokens, dual key %s', (p, dualKey) => {
    const h = 4;
    const { reader, key } = readerFor({ scheme: 'sglang/gumbel', contextWidth: h, dualKey, mixingProbability: 0.5 });
    const [a, b] = key.secretValues().map((v) => wordsOf(v));
    const prompt = text(p, 151936), toks = text(200, 151936);
    const full = [...prompt, ...toks];
    const r = reader.read(toks, p ? { prompt } : {});
    const d = new Int32Array(2);
    toks.forEach((t, i) => {
      if (p === 0 && i < h) return expect(r.keyed[i]).toBe(0);
      const end = p + i, start = Math.max(0, end - h);
      const ch = sglangContextHash(full.slice(start, end));
      digestContext(full, start, end, 0, d);
      const useB = dualKey && sglangCoin(a!, b!, ch) >= sglangMixingThreshold(0.5);
      expect([r.keyed[i], r.idLo[i], r.ctxHi[i], r.ctxLo[i]], `@${i}`).toEqual([1, ch | 0, d[0], d[1]]);
      expect(r.score[i]).toBe(sglangScore(sglangHash(useB ? b! : a!, ch, t)));
    });
  });
});
