// vLLM fast text readers (vllmTextWords and the *DetectFast functions) against the
// reference position-by-position readers, on random texts, keys, widths and PRFs.
import { describe, expect, it } from 'vitest';
import {
  vllmDualKeyDetect,
  vllmDualKeyDetectFast,
  vllmDualKeyPositions,
  vllmGumbelDetect,
  vllmGumbelDetectFast,
  vllmRedGreenDetect,
  vllmRedGreenDetectFast,
  vllmSynthidDetect,
  vllmSynthidDetectFast,
  vllmTextWords,
  vllmUniformPositions,
  vllmWordPositions,
} from '../../src/engines/vllm.js';
import { seededRng } from '../../src/index.js';

const rng = seededRng('fast-vllm');
const int = (m: number): number => Math.floor(rng() * m);
const key64 = (): bigint => (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32));
/** Half the tokens from a 6-letter alphabet, so contexts repeat and dedup matters. */
const text = (len: number, V: number): number[] => Array.from({ length: len }, () => (rng() < 0.5 ? int(6) : int(V)));

const cases = Array.from({ length: 12 }, (_, c) => ({
  width: [1, 2, 3, 4, 5, 7, 8, 9][c % 8]!,
  dedup: c % 3 !== 0,
  V: c % 2 ? 151936 : 32000,
  len: c === 0 ? 0 : c === 1 ? 3 : 80 + int(100),
}));

describe.each(['philox', 'philox_legacy', 'hmac_sha256'] as const)('vLLM fast readers, PRF %s', (prf) => {
  it('words and scored flags = vllmWordPositions', () => {
    for (const c of cases) {
      const toks = text(c.len, c.V);
      const o = { key: prf === 'hmac_sha256' ? key64() * key64() : key64(), prf, contextWidth: c.width, deduplicateContexts: c.dedup };
      const ref = vllmWordPositions(toks, o);
      const fast = vllmTextWords(toks, o);
      expect(Array.from(fast.words)).toEqual(ref.map((p) => p.word));
      expect(Array.from(fast.scored)).toEqual(ref.map((p) => (p.scored ? 1 : 0)));
    }
  });
  it('gumbel = vllmGumbelDetect (uniforms, scores, detection)', () => {
    for (const c of cases) {
      const toks = text(c.len, c.V);
      const o = { key: key64(), prf, contextWidth: c.width, deduplicateContexts: c.dedup };
      const ref = vllmGumbelDetect(toks, o);
      const fast = vllmGumbelDetectFast(toks, o);
      expect(Array.from(fast.uniforms)).toEqual(ref.positions.map((p) => p.uniform));
      expect(Array.from(fast.scores)).toEqual(ref.positions.map((p) => p.score));
      expect(fast.detection).toEqual(ref.detection);
    }
  });
});

describe('vLLM fast dual key, red_green, synthid', () => {
  it.each([0, 0.5, 1, 0.27])('dual key alpha %s', (alpha) => {
    for (const c of cases) {
      const toks = text(c.len, c.V);
      const o = { key: key64(), contextWidth: c.width, deduplicateContexts: c.dedup };
      const ref = vllmDualKeyPositions(toks, o);
      const fast = vllmDualKeyDetectFast(toks, o, alpha);
      expect(Array.from(fast.uniformsA)).toEqual(ref.map((p) => p.uniformA));
      expect(Array.from(fast.uniformsB)).toEqual(ref.map((p) => p.uniformB));
      expect(Array.from(fast.scoresA)).toEqual(ref.map((p) => p.scoreA));
      expect(Array.from(fast.scoresB)).toEqual(ref.map((p) => p.scoreB));
      expect(fast.detection).toEqual(vllmDualKeyDetect(ref, alpha));
    }
  });
  it('red_green', () => {
    for (const c of cases) {
      const toks = text(c.len, c.V);
      const gamma = 0.1 + 0.8 * rng();
      const o = { key: key64(), contextWidth: c.width, deduplicateContexts: c.dedup };
      const ref = vllmUniformPositions(toks, o);
      const fast = vllmRedGreenDetectFast(toks, o, gamma);
      expect(Array.from(fast.uniforms)).toEqual(ref.map((p) => p.uniform));
      expect(fast.detection).toEqual(vllmRedGreenDetect(ref, gamma));
    }
  });
  it('synthid', () => {
    for (const c of cases) {
      const toks = text(c.len, c.V);
      const depth = 1 + int(32);
      const o = { key: key64(), contextWidth: c.width, deduplicateContexts: c.dedup };
      expect(vllmSynthidDetectFast(toks, o, depth).detection).toEqual(vllmSynthidDetect(vllmWordPositions(toks, o), depth));
    }
  });
});
