// The batched token PRF (kernel/prf-batch.ts) on every backend against the JavaScript
// SipHash and the official vector, the WebAssembly tournament against tournament.ts bit
// for bit, the fallbacks without WebAssembly, and Watermark.prfMany in every context mode.
import { afterEach, describe, expect, it } from 'vitest';
import { PrfBatch, type PrfBackend } from '../../src/kernel/prf-batch.js';
import { sipKeyFromBytes, sipSeedToken, type SipKey } from '../../src/siphash.js';
import { tournament } from '../../src/sampling/tournament.js';
import { LazyRace } from '../../src/sampling/lazy-race.js';
import { tokenExp } from '../../src/sampling/random.js';
import { parseSpec, seededRng, Watermark, WatermarkKey } from '../../src/index.js';

const rng = seededRng('prf-batch');
const u32 = (): number => Math.floor(rng() * 2 ** 32) >>> 0;
const randomKey = (): SipKey => sipKeyFromBytes(Uint8Array.from({ length: 16 }, () => u32() & 0xff));
const BACKENDS: PrfBackend[] = ['simd', 'wasm', 'js'];

/** The words of the JavaScript SipHash, as the batch returns them (Int32). */
function reference(key: SipKey, seed: (v: number) => { hi: number; lo: number }, ids: Int32Array): { lo: number[]; hi: number[] } {
  const x = { hi: 0, lo: 0 };
  const lo: number[] = [], hi: number[] = [];
  for (const v of ids) {
    const s = seed(v);
    sipSeedToken(key, s.hi, s.lo, v, x);
    lo.push(x.lo | 0);
    hi.push(x.hi | 0);
  }
  return { lo, hi };
}

describe('batched token PRF', () => {
  it('runs SIMD WebAssembly on this runtime (Node 20 has wasm SIMD)', () => {
    expect(new PrfBatch().backend).toBe('simd');
    expect(new PrfBatch('wasm').backend).toBe('wasm');
    expect(new PrfBatch('js').backend).toBe('js');
  });

  it('gives the official SipHash-2-4 vector for the 12-byte message 00..0b on every backend', () => {
    const key = sipKeyFromBytes(Uint8Array.from({ length: 16 }, (_, i) => i));
    // LE64(seed) ‖ LE32(token) = bytes 00..0b; vectors.h: 751e8fbc860ee5fb
    for (const be of BACKENDS) {
      const b = new PrfBatch(be);
      for (const w of [
        b.fixedSeed(key, 0x07060504, 0x03020100, Int32Array.of(0x0b0a0908), 1),
        b.perTokenSeed(key, Int32Array.of(0x0b0a0908), 1, (_, o) => Object.assign(o, { hi: 0x07060504, lo: 0x03020100 })),
      ]) {
        const hex = (w.hi[0]! >>> 0).toString(16).padStart(8, '0') + (w.lo[0]! >>> 0).toString(16).padStart(8, '0');
        expect(hex, be).toBe('751e8fbc860ee5fb');
      }
    }
  });

  it('equals the JavaScript SipHash on random keys, seeds and token arrays of every length mod 4 (and growing)', () => {
    for (const be of BACKENDS) {
      const b = new PrfBatch(be);
      for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 1000, 4099, 70_001, 6]) {
        const key = randomKey();
        const [sh, sl] = [u32(), u32()];
        const ids = Int32Array.from({ length: n + 3 }, () => (rng() < 0.1 ? u32() >>> 1 : Math.floor(rng() * 200_000)));
        const got = b.fixedSeed(key, sh, sl, ids, n);
        const want = reference(key, () => ({ hi: sh, lo: sl }), ids.subarray(0, n));
        expect(Array.from(got.lo.subarray(0, n)), `${be} n=${n} lo`).toEqual(want.lo);
        expect(Array.from(got.hi.subarray(0, n)), `${be} n=${n} hi`).toEqual(want.hi);
        const seedOf = (v: number) => ({ hi: (v * 2654435761) >>> 0, lo: (v ^ sl) >>> 0 });
        const per = b.perTokenSeed(key, ids, n, (v, o) => Object.assign(o, seedOf(v)));
        const wantPer = reference(key, seedOf, ids.subarray(0, n));
        expect(Array.from(per.lo.subarray(0, n)), `${be} n=${n} per-token lo`).toEqual(wantPer.lo);
        expect(Array.from(per.hi.subarray(0, n)), `${be} n=${n} per-token hi`).toEqual(wantPer.hi);
      }
    }
  });

  it('runs SynthID layers in WebAssembly with the floats of tournament.ts, bit for bit', () => {
    for (const be of ['simd', 'js'] as const) {
      const b = new PrfBatch(be);
      for (const [n, layers] of [[1, 30], [2, 1], [17, 64], [1000, 30], [5000, 33], [300, 0]] as const) {
        const ids = Int32Array.from({ length: n }, (_, i) => i * 3 + 1);
        const { lo, hi } = b.fixedSeed(randomKey(), u32(), u32(), ids, n);
        const [gLo, gHi] = [Int32Array.from(lo.subarray(0, n)), Int32Array.from(hi.subarray(0, n))];
        const p0 = Float64Array.from({ length: n }, () => (rng() < 0.05 ? 0 : Math.exp(-30 * rng())));
        const z = p0.reduce((a, x) => a + x, 0) || 1;
        for (let i = 0; i < n; i++) p0[i] = p0[i]! / z;
        const want = Float64Array.from(p0);
        tournament(want, n, gLo, gHi, layers);
        b.probs().p.set(p0);
        b.tournament(n, layers);
        const got = b.probs().p.subarray(0, n);
        let same = 0;
        for (let i = 0; i < n; i++) if (Object.is(got[i], want[i])) same++;
        expect(same, `${be} n=${n} layers=${layers}`).toBe(n);
      }
    }
  });
});

describe('without WebAssembly (browsers whose CSP forbids it)', () => {
  const saved = globalThis.WebAssembly;
  afterEach(() => {
    (globalThis as { WebAssembly?: unknown }).WebAssembly = saved;
  });

  it('falls back to JavaScript when WebAssembly is missing or compiling is refused, with the same words', () => {
    const key = randomKey();
    const ids = Int32Array.from({ length: 999 }, (_, i) => i * 7);
    const want = new PrfBatch('simd').fixedSeed(key, 5, 6, ids, 999);
    const wantLo = Array.from(want.lo.subarray(0, 999));
    (globalThis as { WebAssembly?: unknown }).WebAssembly = undefined;
    const missing = new PrfBatch();
    expect(missing.backend).toBe('js');
    expect(Array.from(missing.fixedSeed(key, 5, 6, ids, 999).lo.subarray(0, 999))).toEqual(wantLo);
    (globalThis as { WebAssembly?: unknown }).WebAssembly = {
      ...saved,
      Module: function refused() {
        throw new Error('Refused to compile WebAssembly: unsafe-eval is not allowed');
      },
    };
    const refused = new PrfBatch();
    expect(refused.backend).toBe('js');
    expect(Array.from(refused.fixedSeed(key, 5, 6, ids, 999).lo.subarray(0, 999))).toEqual(wantLo);
  });
});

describe('Watermark.prfMany', () => {
  const key = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff));
  it('equals prf(window, v) token by token in left, min and self context modes and for unigram', () => {
    const cases = [
      { scheme: { name: 'gumbel' as const }, context: { width: 1, mode: 'left' as const } },
      { scheme: { name: 'synthid' as const, layers: 30 }, context: { width: 3, mode: 'left' as const } },
      { scheme: { name: 'gumbel' as const }, context: { width: 3, mode: 'min' as const } },
      { scheme: { name: 'synthid' as const, layers: 12 }, context: { width: 2, mode: 'self' as const } },
      { scheme: { name: 'unigram' as const, gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' as const } },
    ];
    for (const c of cases) {
      const wm = new Watermark(parseSpec({ version: 1, ...c, keyFingerprint: key.fingerprint }), key);
      const seed = { hi: 0, lo: 0 };
      expect(wm.windowSeed([9, 8, 7, 6], 4, seed)).toBe(true);
      const ids = Int32Array.from({ length: 3001 }, () => Math.floor(rng() * 200_000));
      const got = wm.prfMany(seed, ids, ids.length);
      for (let i = 0; i < ids.length; i++) {
        const x = wm.prf(seed, ids[i]!);
        if ((x.lo | 0) !== got.lo[i] || (x.hi | 0) !== got.hi[i]) expect.fail(`${c.scheme.name}/${c.context.mode}: token ${ids[i]}`);
      }
    }
  });
});

describe('SynthID final race by exponent levels (LazyRace.byExponent)', () => {
  it('draws the first strict argmin of E_v/p_v, skipping most tokens', () => {
    const lazy = new LazyRace();
    let evaluated = 0;
    let total = 0;
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rng() * 3000);
      const ids = Int32Array.from({ length: n }, () => Math.floor(rng() * 1e6));
      const p = new Float64Array(n);
      const spread = [1, 20, 700, 1100][t % 4]!; // up to subnormal probabilities
      for (let i = 0; i < n; i++) p[i] = rng() < 0.03 ? 0 : Math.exp(-spread * rng());
      const [hi, lo] = [u32(), u32()];
      let best = Infinity;
      let want = -1;
      for (let i = 0; i < n; i++) {
        const key = tokenExp(hi, lo, ids[i]!) / p[i]!;
        if (key < best) {
          best = key;
          want = ids[i]!;
        }
      }
      expect(lazy.byExponent(ids, p, new Int32Array(p.buffer), n, hi, lo)).toBe(want);
      evaluated += lazy.evaluated;
      total += n;
    }
    expect(evaluated / total).toBeLessThan(0.2);
  });
});

describe('engine SynthID reweighting in WebAssembly (engines/embed/common.ts)', () => {
  // The engines' _update_scores as the samplers computed it before the kernel: branchy, unclamped.
  function reference(probs: Float64Array, depth: number, bit: (i: number, l: number) => number): Float64Array {
    const p = Float64Array.from(probs);
    for (let l = 0; l < depth; l++) {
      let mass = 0;
      for (let i = 0; i < p.length; i++) if (bit(i, l)) mass += p[i]!;
      for (let i = 0; i < p.length; i++) p[i]! *= 1 + bit(i, l) - mass;
    }
    return p;
  }
  const identical = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

  it('tournamentReweightWords and tournamentReweight (packed bits) give the same floats as the branchy loops', async () => {
    const { tournamentReweight, tournamentReweightWords } = await import('../../src/engines/embed/common.js');
    for (const [n, depth] of [[1, 32], [40, 30], [3000, 32], [2500, 33], [777, 64], [500, 1]] as const) {
      const probs = Float64Array.from({ length: n }, () => Math.exp(-12 * rng()));
      const z = probs.reduce((a, x) => a + x, 0);
      for (let i = 0; i < n; i++) probs[i] = probs[i]! / z;
      const g = Uint8Array.from({ length: n * depth }, () => (rng() < 0.5 ? 1 : 0));
      const lo = new Int32Array(n), hi = new Int32Array(n);
      for (let i = 0; i < n; i++) for (let l = 0; l < depth; l++) if (g[i * depth + l]) l < 32 ? (lo[i] |= 1 << l) : (hi[i] |= 1 << (l - 32));
      const want = reference(probs, depth, (i, l) => g[i * depth + l]!);
      expect(identical(tournamentReweight(probs, depth, g, { lo, hi }), want), `packed n=${n} depth=${depth}`).toBe(true);
      expect(identical(tournamentReweight(probs, depth, g), want), `bytes n=${n} depth=${depth}`).toBe(true);
      if (depth <= 32) {
        const words = Uint32Array.from(lo, (x) => x >>> 0);
        expect(identical(tournamentReweightWords(probs, depth, words), want), `words n=${n} depth=${depth}`).toBe(true);
      }
    }
  });
});
