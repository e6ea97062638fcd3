// SBW and SynthID fast paths (sbwDetectFast, synthidScoreFast) against the reference
// readers on random texts, keys, widths and n-gram lengths.
import { describe, expect, it } from 'vitest';
import { sbwDetect, sbwDetectFast, sbwPositions } from '../../src/engines/sbw.js';
import { SGLANG_NOT_EXAMINED, SGLANG_REPEATED, SGLANG_SCORED, SGLANG_SKIPPED, sglangDetect, sglangDetectFast } from '../../src/engines/sglang.js';
import { deepmindSynthid, hfSynthid, synthidScore, synthidScoreFast } from '../../src/engines/synthid.js';
import { wordsOf } from '../../src/engines/u64.js';
import { seededRng } from '../../src/index.js';

const rng = seededRng('fast-engines');
const int = (m: number): number => Math.floor(rng() * m);
/** Half the tokens from a 5-letter alphabet, so contexts repeat. */
const text = (len: number, V: number): number[] => Array.from({ length: len }, () => (rng() < 0.5 ? int(5) : int(V)));

describe('sbwDetectFast = sbwPositions + sbwDetect', () => {
  it.each([
    ['selfhash', undefined],
    ['lefthash', 'detector'],
    ['lefthash', 'generator'],
  ] as const)('%s %s', (seeding, lefthashRule) => {
    for (let c = 0; c < 16; c++) {
      const toks = text(c === 0 ? 0 : 40 + int(120), c % 2 ? 151936 : 32000);
      const key = c === 1 ? (1n << 63n) - 1n : (BigInt(int(2 ** 31)) << 32n) | BigInt(int(2 ** 32));
      const o = { key, seeding, lefthashRule, contextWidth: 1 + (c % 6), gamma: 0.1 + 0.8 * rng(), deduplicateContexts: c % 4 !== 0 };
      const ref = sbwPositions(toks, o);
      const fast = sbwDetectFast(toks, o);
      ref.forEach((p, i) => {
        const w = wordsOf(p.seed);
        expect([fast.seedHi[i], fast.seedLo[i], fast.words[i], fast.green[i], fast.scored[i]]).toEqual([w.hi, w.lo, p.word, p.green ? 1 : 0, p.scored ? 1 : 0]);
      });
      expect(fast.detection).toEqual(sbwDetect(ref, o.gamma));
    }
  });
});

describe('synthidScoreFast = synthidScore', () => {
  const keys = (k: number): number[] => Array.from({ length: k }, () => (rng() < 0.2 ? -int(2 ** 31) : int(2 ** 31)));
  it.each(['hf', 'deepmind'] as const)('%s flavour', (kind) => {
    for (let c = 0; c < 10; c++) {
      const ks = keys(1 + int(30));
      const flavour = kind === 'hf' ? hfSynthid(ks, 2 ** (4 + int(13)), int(5)) : deepmindSynthid(ks);
      const ngramLen = 1 + int(6);
      const toks = text(c === 0 ? 2 : 30 + int(150), 32000);
      const eos = c % 3 === 0 ? null : toks[int(toks.length)]!;
      const history = c % 2 ? 1024 : 1 + int(8);
      const ref = synthidScore(flavour, toks, ngramLen, eos, history);
      const fast = synthidScoreFast(flavour, toks, ngramLen, eos, history);
      const d = fast.depth;
      expect(ref.gValues.map((_, j) => Array.from(fast.gValues.subarray(j * d, (j + 1) * d)))).toEqual(ref.gValues);
      expect(Array.from(fast.contextRepetitionMask)).toEqual(ref.contextRepetitionMask);
      expect(Array.from(fast.eosMask)).toEqual(ref.eosMask);
      expect(Array.from(fast.combinedMask)).toEqual(ref.combinedMask);
      expect([fast.meanScore, fast.weightedMeanScore]).toEqual([ref.meanScore, ref.weightedMeanScore]);
      ref.gValues.forEach((_, j) => {
        const start = toks.slice(j, j + ngramLen - 1);
        const h = wordsOf(flavour.read(start, toks[j + ngramLen - 1]!).contextHash);
        expect([fast.contextHashHi[j], fast.contextHashLo[j]]).toEqual([h.hi, h.lo]);
      });
    }
  });
});

describe('sglangDetectFast = sglangDetect', () => {
  const hex = (): string => '0x' + Array.from({ length: 1 + int(16) }, () => int(16).toString(16)).join('');
  it('single and dual key, prompts, context caps', () => {
    const code = { scored: SGLANG_SCORED, repeated_context: SGLANG_REPEATED, skipped_initial: SGLANG_SKIPPED } as const;
    for (let c = 0; c < 24; c++) {
      const toks = text(c === 0 ? 0 : 20 + int(150), 32000);
      const o = {
        keyHex: hex(),
        keyBHex: c % 2 ? hex() : null,
        mixingProbability: rng(),
        contextWindow: 1 + int(7),
        promptTokenIds: c % 3 === 0 ? [] : text(int(10), 32000),
        maxContexts: c % 4 === 0 ? 5 + int(40) : undefined,
      };
      const ref = sglangDetect(toks, o);
      const fast = sglangDetectFast(toks, o);
      const { positions, ...tests } = ref;
      const { status, contextHash, hashA, scoreA, hashB, scoreB, coin, partitionA, ...fastTests } = fast;
      expect(fastTests).toEqual(tests);
      for (let i = 0; i < toks.length; i++) {
        const p = positions[i];
        if (!p) {
          expect(status[i]).toBe(SGLANG_NOT_EXAMINED);
          continue;
        }
        expect(status[i]).toBe(code[p.status]);
        if (p.status !== 'scored') continue;
        expect([contextHash[i], hashA[i], scoreA[i]]).toEqual([p.contextHash, p.hashA, p.scoreA]);
        if (o.keyBHex) expect([hashB[i], scoreB[i], coin[i], partitionA[i]]).toEqual([p.hashB, p.scoreB, p.coin, p.partition === 'a' ? 1 : 0]);
      }
    }
  });
});
