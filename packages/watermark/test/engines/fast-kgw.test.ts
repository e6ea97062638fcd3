// Fast KGW paths (torchRandpermPrefixHas / Bits, the green-list cache, hfKgwDetectFast,
// lmDetectFast) against the reference-clear functions, on random inputs.
import { describe, expect, it } from 'vitest';
import { clearKgwGreenCache, hfKgwDetect, hfKgwDetectFast, inList, kgwGreenFlags, kgwGreenList } from '../../src/engines/hf-kgw.js';
import { lmDetect, lmDetectFast } from '../../src/engines/lm-watermarking.js';
import { Mt19937, torchRandpermPrefix, torchRandpermPrefixBits, torchRandpermPrefixHas } from '../../src/engines/mt19937.js';
import { seededRng } from '../../src/index.js';

const rng = seededRng('fast-kgw');
const int = (m: number): number => Math.floor(rng() * m);
const seed32 = (): number => (rng() * 2 ** 32) >>> 0;

describe('MT19937 / randperm fast paths', () => {
  it('membership and bitset equal the reference prefix (random n, count, seeds, incl. count = n and tiny n)', () => {
    for (let trial = 0; trial < 60; trial++) {
      const n = trial < 5 ? 1 + trial : 2 + int(trial % 3 === 0 ? 5000 : 1500);
      const count = trial % 7 === 0 ? n : int(n + 1);
      const seed = trial === 0 ? 0 : seed32();
      const ref = torchRandpermPrefix(n, count, seed);
      const set = new Set(ref);
      const bits = torchRandpermPrefixBits(n, count, seed);
      for (let t = -1; t <= n; t++) {
        const want = set.has(t);
        expect(torchRandpermPrefixHas(n, count, seed, t)).toBe(want);
        if (t >= 0 && t < n) expect(((bits[t >>> 5]! >>> (t & 31)) & 1) === 1).toBe(want);
      }
    }
  });
  it('the shared scratch is restored: a second call gives the same bits', () => {
    const a = torchRandpermPrefixBits(32000, 8000, 12345).slice();
    torchRandpermPrefixBits(151936, 37984, 987654321);
    expect(torchRandpermPrefixBits(32000, 8000, 12345)).toEqual(a);
  });
  it('fast MT stream past several twists equals Mt19937 (via full randperm of 2000 with count = n)', () => {
    const g = new Mt19937(5489);
    expect(g.next()).toBe(3499211612); // the reference MT19937 first output for seed 5489
    const full = torchRandpermPrefix(2000, 2000, 5489);
    const bits = torchRandpermPrefixBits(2000, 1999, 5489);
    for (let i = 0; i < 1999; i++) expect((bits[full[i]! >>> 5]! >>> (full[i]! & 31)) & 1).toBe(1);
  });
});

describe('kgwGreenFlags', () => {
  it('equals inList(kgwGreenList) for repeated and single seeds, cold and warm cache', () => {
    for (const V of [1000, 32000]) {
      for (const ratio of [0.25, 0.5, 0.1]) {
        clearKgwGreenCache();
        const n = 300;
        const seeds = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? [7, 99, 2 ** 32 - 1][i % 9 === 0 ? 0 : 1]! : seed32()));
        const toks = Array.from({ length: n }, () => int(V + 2) - 1);
        const at = Int32Array.from({ length: n - 2 }, (_, i) => i + 2);
        for (let pass = 0; pass < 3; pass++) {
          const flags = kgwGreenFlags(seeds, toks, at, V, ratio);
          for (const i of at) expect(flags[i]).toBe(inList(kgwGreenList(BigInt(seeds[i]!), V, ratio), toks[i]!) ? 1 : 0);
          expect(flags[0]).toBe(0);
        }
      }
    }
  });
});

describe('hfKgwDetectFast / lmDetectFast = reference', () => {
  const text = (V: number, len: number): number[] => {
    // a small alphabet part makes seeds and n-grams repeat (cache path), the rest is random
    return Array.from({ length: len }, () => (rng() < 0.5 ? int(20) : int(V)));
  };
  it.each([
    ['lefthash', 1],
    ['lefthash', 3],
    ['selfhash', 4],
    ['selfhash', 2],
  ] as const)('HF %s width %i', (seeding, width) => {
    for (const V of [5000, 32000]) {
      clearKgwGreenCache();
      const toks = text(V, 120);
      const o = { vocabSize: V, seeding, contextWidth: width, hashingKey: BigInt(seed32()) * 7919n, greenlistRatio: 0.25 + 0.5 * rng(), bosTokenId: toks[0] };
      const ref = hfKgwDetect(toks, o);
      const fast = hfKgwDetectFast(toks, o);
      expect(fast.bosStripped).toBe(ref.bosStripped);
      ref.positions.forEach((p, i) => {
        expect(fast.scored[i]).toBe(p.status === 'scored' ? 1 : 0);
        if (p.status === 'scored') expect(fast.green[i]).toBe(p.green ? 1 : 0);
      });
      expect([fast.numTokensScored, fast.numGreenTokens, fast.zScore, fast.pValue, fast.prediction]).toEqual([
        ref.numTokensScored,
        ref.numGreenTokens,
        ref.zScore,
        ref.pValue,
        ref.prediction,
      ]);
    }
  });
  it.each(['lefthash', 'selfhash'] as const)('lm-watermarking %s', (seeding) => {
    for (const V of [5000, 32000]) {
      for (const dedup of [true, false]) {
        clearKgwGreenCache();
        const toks = text(V, 100);
        const o = { vocabSize: V, seeding, hashKey: BigInt(seed32()), gamma: 0.2 + 0.6 * rng(), ignoreRepeatedNgrams: dedup };
        expect(lmDetectFast(toks, o)).toEqual(lmDetect(toks, o));
      }
    }
  });
});
