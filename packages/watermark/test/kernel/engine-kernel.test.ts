// The engine WebAssembly kernels against their JavaScript references (philox4x32,
// vLLM's absorb + token word, digestContext, SGLang's Murmur3 hashes) on random inputs,
// and against the engine vectors.
import { describe, expect, it } from 'vitest';
import { digestContext } from '../../src/engines/reader/digest.js';
import { philox4x32 } from '../../src/engines/philox.js';
import { parseSglangKey, sglangCoin, sglangContextHash, sglangHash } from '../../src/engines/sglang.js';
import { absorbContext, philoxLegacyWord, philoxWord } from '../../src/engines/vllm-prf.js';
import { vllmWordFn } from '../../src/engines/vllm.js';
import { contextDigestsWasm, philoxWasm, sbwWasm, sglangHashesWasm, synthidWasm, vllmWordsWasm } from '../../src/kernel/engine-kernel.js';
import { sbwDetectFast, sbwPositions } from '../../src/engines/sbw.js';
import { wordsOf } from '../../src/engines/u64.js';
import { deepmindSynthid, hfSynthid, synthidScoreFast } from '../../src/engines/synthid.js';
import { HashRing } from '../../src/engines/synthid-ring.js';
import { sglangKernelKeys } from '../../src/engines/sglang-kernel.js';
import { seededRng } from '../../src/index.js';
import { expectHex, loadVectors, type Json } from '../engines/vectors.js';

const rng = seededRng('engine-kernel');
const u32 = (): number => Math.floor(rng() * 2 ** 32) >>> 0;
const text = (n: number, V: number): number[] => Array.from({ length: n }, () => Math.floor(rng() * V));

describe('philox kernel', () => {
  it('equals philox4x32 on 2,000 random counters and keys', () => {
    for (let c = 0; c < 2000; c++) {
      const a = [u32(), u32(), u32(), u32(), u32(), u32()] as const;
      expect(Array.from(philoxWasm(...a))).toEqual(Array.from(philox4x32(...a)));
    }
  });
  it('gives the Random123 known-answer words', () => {
    // Philox4x32-10 KAT (Random123 kat_vectors): counter = key = all ones
    expect(Array.from(philoxWasm(-1, -1, -1, -1, -1, -1))).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
  });
});

describe('vLLM words kernel', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9])('equals absorbContext + philoxWord / philoxLegacyWord, width %i', (w) => {
    for (let trial = 0; trial < 4; trial++) {
      const key = { lo: u32(), hi: u32() };
      const toks = text(50 + Math.floor(rng() * 200), trial % 2 ? 151936 : 64);
      for (const legacy of [false, true]) {
        const got = vllmWordsWasm(key, toks, w, legacy);
        toks.forEach((t, i) => {
          const ctx = Array.from({ length: w }, (_, j) => (i - w + j < 0 ? -1 : toks[i - w + j]!));
          const st = absorbContext(key, ctx);
          expect(got[i], `@${i}`).toBe(legacy ? philoxLegacyWord(key, st, t) : philoxWord(key, st, t));
        });
      }
    }
  });
  it('streams texts longer than one block', () => {
    const key = { lo: u32(), hi: u32() };
    const toks = text(70_000, 32000);
    const got = vllmWordsWasm(key, toks, 4, false);
    for (const i of [0, 3, 32767, 32768, 32771, 65535, 65536, 69_999]) {
      const ctx = Array.from({ length: 4 }, (_, j) => (i - 4 + j < 0 ? -1 : toks[i - 4 + j]!));
      expect(got[i]).toBe(philoxWord(key, absorbContext(key, ctx), toks[i]!));
    }
  });
  it.each(['philox', 'philox_legacy'] as const)('matches the engine vectors (%s prf_cases)', (prf) => {
    const v = loadVectors(`vllm-gumbel-${prf}.json`);
    let checked = 0;
    for (const c of v.prf_cases as Json[]) {
      if (c.stream !== undefined && BigInt(c.stream) !== 0n) continue;
      const ctx = c.context as number[];
      const lead = ctx.findIndex((x) => x !== -1);
      const rest = lead < 0 ? [] : ctx.slice(lead);
      if (rest.includes(-1)) continue; // a -1 inside the context is not a text's padding
      const k = BigInt(c.key) & ((1n << 64n) - 1n);
      const key = { lo: Number(k & 0xffffffffn), hi: Number(k >> 32n) };
      const words = vllmWordsWasm(key, [...rest, c.token], ctx.length, prf === 'philox_legacy');
      expect(words[rest.length]).toBe(vllmWordFn(prf, c.key)(ctx, c.token));
      if (c.word !== undefined) expect(words[rest.length]).toBe(c.word);
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });
});

describe('context digest kernel', () => {
  it.each([0, 1, 2, 4, 6])('equals digestContext over windows of %i tokens (pads -1 and 0, offsets)', (w) => {
    const toks = text(300, 200_000);
    for (const [pad, offset] of [[-1, 0], [0, 0], [0, 17]] as const) {
      const n = toks.length - offset;
      const hi = new Int32Array(n), lo = new Int32Array(n), ref = new Int32Array(2);
      contextDigestsWasm(toks, offset, n, w, pad, hi, lo);
      for (let i = 0; i < n; i++) {
        digestContext(toks, offset + i - w, offset + i, pad, ref);
        expect([hi[i], lo[i]], `@${i}`).toEqual([ref[0], ref[1]]);
      }
    }
  });
  it('reads Uint32Array and Float64Array sources the same way', () => {
    const toks = text(100, 32000);
    const a = [new Int32Array(100), new Int32Array(100)], b = [new Int32Array(100), new Int32Array(100)];
    contextDigestsWasm(Uint32Array.from(toks), 0, 100, 4, -1, a[0]!, a[1]!);
    contextDigestsWasm(Float64Array.from(toks), 0, 100, 4, -1, b[0]!, b[1]!);
    expect(a).toEqual(b);
  });
});

describe('SGLang kernel', () => {
  it.each([1, 3, 4, 8])('equals sglangContextHash / sglangHash / sglangCoin, h = %i', (h) => {
    const A = { lo: u32(), hi: u32() }, B = { lo: u32(), hi: u32() };
    const full = text(400, 151936);
    const n = full.length - h;
    const out = { contextHash: new Uint32Array(n), hashA: new Uint32Array(n), hashB: new Uint32Array(n), coin: new Uint32Array(n) };
    sglangHashesWasm(full, h, n, h, sglangKernelKeys(A, B), out, 0);
    for (let i = 0; i < n; i++) {
      const end = h + i;
      const ch = sglangContextHash(full.slice(end - h, end));
      expect(out.contextHash[i]).toBe(ch);
      expect(out.hashA[i]).toBe(sglangHash(A, ch, full[end]!));
      expect(out.hashB[i]).toBe(sglangHash(B, ch, full[end]!));
      expect(out.coin[i]).toBe(sglangCoin(A, B, ch));
    }
  });
});

describe('SynthID kernel', () => {
  it.each([
    ['HF', 2, 30],
    ['HF', 5, 1],
    ['synthid-text', 5, 30],
    ['synthid-text', 3, 4],
  ] as const)('%s, n-gram %i, depth %i: context hashes, g-values and counts equal the flavour\'s read', (flavourName, ngram, depth) => {
    // keys beyond 2^53 and negative ones, as key files may hold
    const keys = Array.from({ length: depth }, () => BigInt.asIntN(64, (BigInt(u32()) << 32n) | BigInt(u32()))) as unknown as number[];
    const fl = flavourName === 'HF' ? hfSynthid(keys, 1024, 7) : deepmindSynthid(keys);
    const c = ngram - 1;
    const toks = text(300, 151936);
    const n = toks.length;
    const hi = new Int32Array(n), lo = new Int32Array(n), g = new Float64Array(n), layers = new Uint8Array(n * depth);
    synthidWasm(fl.fast!, toks, c, hi, lo, g, layers);
    for (let i = 0; i < n; i++) {
      const ctx = Array.from({ length: c }, (_, j) => (i - c + j < 0 ? 0 : toks[i - c + j]!));
      const ref = fl.read(ctx, toks[i]!);
      const h = BigInt.asUintN(64, ref.contextHash);
      expect([hi[i], lo[i]], `@${i}`).toEqual([Number(h >> 32n) | 0, Number(h & 0xffffffffn) | 0]);
      expect(Array.from(layers.subarray(i * depth, (i + 1) * depth)), `layers @${i}`).toEqual(ref.gValues);
      expect(g[i], `g @${i}`).toBe(ref.gValues.reduce((x, y) => x + y, 0));
    }
  });
  it('restages the HF table after other kernels reused the memory', () => {
    const keys = [1, 2, 3, 4] as unknown as number[];
    const fl = hfSynthid(keys, 65536, 0);
    const toks = text(100, 32000);
    const run = () => {
      const g = new Float64Array(100);
      synthidWasm(fl.fast!, toks, 4, new Int32Array(100), new Int32Array(100), g);
      return g;
    };
    const first = run();
    vllmWordsWasm({ lo: 1, hi: 2 }, text(40_000, 32000), 4, false);
    expect(run()).toEqual(first);
  });
});

describe('SBW kernel', () => {
  it.each([
    ['selfhash', 4],
    ['selfhash', 7],
    ['lefthash-detector', 1],
    ['lefthash-detector', 3],
    ['lefthash-generator', 1],
    ['lefthash-generator', 5],
  ] as const)('%s, width %i: seeds and words equal sbwPositions', (mode, w) => {
    const key = (BigInt(u32() >>> 1) << 32n) | BigInt(u32());
    const toks = text(mode === 'selfhash' && w === 4 ? 33_000 : 300, 151936); // one text crosses a block boundary
    const seeding = mode === 'selfhash' ? 'selfhash' : 'lefthash';
    const ref = sbwPositions(toks, { key, seeding, contextWidth: w, deduplicateContexts: false, lefthashRule: mode === 'lefthash-generator' ? 'generator' : 'detector' });
    const n = toks.length, hi = new Uint32Array(n), lo = new Uint32Array(n), words = new Uint32Array(n);
    sbwWasm(wordsOf(key), toks, w, mode, hi, lo, words);
    for (let i = 0; i < n; i += n > 1000 ? 97 : 1) {
      const s = wordsOf(ref[i]!.seed);
      expect([hi[i], lo[i], words[i]], `@${i}`).toEqual([s.hi, s.lo, ref[i]!.word]);
    }
  });
});

describe('HashRing (SynthID repetition mask)', () => {
  it.each([1, 3, 16, 1024])('answers as a plain ring of the last %i hashes, zeros first', (size) => {
    const ring = new HashRing(size);
    const plain: string[] = Array(size).fill('0,0');
    for (let step = 0; step < 5000; step++) {
      // few distinct values: hashes repeat, leave and re-enter the ring
      const hi = step % 7 === 0 ? 0 : (u32() % 5) - 2, lo = u32() % 9;
      expect(ring.has(hi, lo), `step ${step}`).toBe(plain.includes(`${hi},${lo}`));
      ring.push(hi, lo);
      plain.shift();
      plain.push(`${hi},${lo}`);
    }
  });
});

describe('SynthID and SBW kernels against the engine vectors', () => {
  it.each([
    ['hf-synthid.json', 'eos_mask'],
    ['synthid_text-synthid.json', 'eos_mask_eos1'],
  ] as const)('%s: prf_cases through synthidWasm, sequences through synthidScoreFast', (file, eosField) => {
    const v = loadVectors(file);
    const par = v.parameters;
    const fl = file.startsWith('hf') ? hfSynthid(par.keys, par.sampling_table_size, par.sampling_table_seed) : deepmindSynthid(par.keys);
    for (const c of v.prf_cases as Json[]) {
      const toks = [...c.context, c.token] as number[];
      const n = toks.length, depth = par.keys.length;
      const hi = new Int32Array(n), lo = new Int32Array(n), layers = new Uint8Array(n * depth);
      synthidWasm(fl.fast!, toks, c.context.length, hi, lo, new Float64Array(n), layers);
      const h = BigInt.asIntN(64, (BigInt(hi[n - 1]! >>> 0) << 32n) | BigInt(lo[n - 1]! >>> 0));
      expect(h.toString()).toBe(c.context_hash_int64);
      expect(Array.from(layers.subarray((n - 1) * depth))).toEqual(c.g_values);
    }
    for (const s of v.sequences as Json[]) {
      const out = synthidScoreFast(fl, s.tokens, par.ngram_len, file.startsWith('hf') ? par.eos_token_id_used : 1);
      const d = out.depth;
      expect(Array.from({ length: out.gValues.length / d }, (_, j) => Array.from(out.gValues.subarray(j * d, (j + 1) * d)))).toEqual(s.g_values);
      expect(Array.from(out.contextRepetitionMask)).toEqual(s.context_repetition_mask);
      expect(Array.from(out.eosMask)).toEqual(s[eosField]);
      expectHex(out.meanScore, s.mean_score, 'mean');
    }
  });
  it.each(['selfhash', 'lefthash'] as const)('vllm-sbw-%s.json sequences through sbwDetectFast', (seeding) => {
    const v = loadVectors(`vllm-sbw-${seeding}.json`);
    for (const s of v.sequences as Json[]) {
      const f = sbwDetectFast(s.tokens, { key: s.key, seeding, contextWidth: s.context_width, gamma: v.parameters.gamma });
      s.positions.forEach((p: Json, i: number) => {
        if (!p.scored) return;
        const seed = BigInt.asIntN(64, (BigInt(f.seedHi[i]!) << 32n) | BigInt(f.seedLo[i]!));
        expect([seed.toString(), f.words[i]], `@${i}`).toEqual([p.seed_int64, p.raw_u32]);
      });
    }
  });
});

describe('SGLang kernel against the engine vectors', () => {
  it.each(['sglang-aaronson_gumbel.json', 'sglang-aaronson_gumbel_dual_key.json'])('%s: every scored position with a full context', (file) => {
    const v = loadVectors(file);
    const par = v.parameters;
    const A = parseSglangKey(par.key_hex), B = par.key_b_hex ? parseSglangKey(par.key_b_hex) : null;
    const h = par.context_window;
    let checked = 0;
    for (const s of v.sequences as Json[]) {
      const prompt = (s.prompt_token_ids ?? []) as number[];
      const full = [...prompt, ...s.tokens];
      const n = s.tokens.length;
      const out = { contextHash: new Uint32Array(n), hashA: new Uint32Array(n), hashB: new Uint32Array(n), coin: new Uint32Array(n) };
      const first = Math.max(0, h - prompt.length);
      if (n > first) sglangHashesWasm(full, prompt.length + first, n - first, h, sglangKernelKeys(A, B), out, first);
      for (const p of (s.positions ?? []) as Json[]) {
        const i = p.completion_index;
        if (p.status !== 'scored' || i < first) continue;
        expect([out.contextHash[i], out.hashA[i]], `${s.name} @${i}`).toEqual([p.context_hash, p.hash_a]);
        if (B) expect([out.hashB[i], out.coin[i]]).toEqual([p.hash_b, p.coin]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
