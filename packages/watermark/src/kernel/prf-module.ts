/**
 * The embedder's batched token PRF as WebAssembly: x_i = SipHash-2-4(k, LE64(seed) ‖
 * LE32(toks[i])) for a whole candidate array (docs/SPEC.md §PRF), written as two u32
 * arrays (lo words, hi words) that the samplers read directly.
 *
 * With one seed for the whole step (left and min context modes, unigram) the first
 * message word is the same for every token, so the state after absorbing it (the
 * "midstate") is computed once per call and each token costs 6 SipRounds instead of 8.
 *
 * Exports (pointers are byte offsets into the module's memory; key: 16 bytes, seed: the
 * LE64 word, seeds: one LE64 word per token):
 *   prfSeed(key, seed, toks, n, lo, hi)       scalar, one seed
 *   prfSeedSimd(key, seed, toks, n, lo, hi)   the same, four tokens per iteration in SIMD
 *                                              (two i64x2 states side by side), scalar tail
 *   prfSeeds(key, seeds, toks, n, lo, hi)     scalar, a seed per token (self mode)
 *   tournament(p, lo, hi, n, layers)          SynthID's layers over those words (tournament-module.ts)
 */
import { addrOf, forLoop, loadSipKey, sipAbsorb, sipFinish, sipInit, sipLocals, sipRoundV, type SipLocals } from './sip-emit.js';
import { buildTournament } from './tournament-module.js';
import { assembleModule, FnBuilder, I32, I64, V128 } from './wasm.js';

/** The second message word's padding: a 12-byte message, length in the top byte. */
const LEN12 = 12n << 56n;

/** Store the i64 on the stack's hash, held in local x, as lo → lo[i], hi → hi[i]. */
function storeWords(f: FnBuilder, x: number, lo: number, hi: number, i: number): void {
  addrOf(f, lo, i, 2);
  f.get(x).i32WrapI64().storeI32();
  addrOf(f, hi, i, 2);
  f.get(x).i64(32n).i64ShrU().i32WrapI64().storeI32();
}

/** The scalar per-token loop from midstate s (i64 locals), tokens [start or 0, n). */
function scalarFromMid(f: FnBuilder, s: SipLocals, toks: number, n: number, lo: number, hi: number, start?: number): void {
  const v = sipLocals(f);
  const i = f.local(I32), m = f.local(I64), x = f.local(I64);
  forLoop(
    f,
    i,
    n,
    () => {
      f.get(s.v0).set(v.v0).get(s.v1).set(v.v1).get(s.v2).set(v.v2).get(s.v3).set(v.v3);
      addrOf(f, toks, i, 2);
      f.loadI64U32().i64(LEN12).i64Or().set(m);
      sipAbsorb(f, v, m);
      sipFinish(f, v);
      f.set(x);
      storeWords(f, x, lo, hi, i);
    },
    1,
    start,
  );
}

/** Midstate locals: init from the key, absorb the seed word. */
function midstate(f: FnBuilder, keyPtr: number, seedPtr: number): SipLocals {
  const { k0, k1 } = loadSipKey(f, keyPtr);
  const s = sipLocals(f);
  const m = f.local(I64);
  sipInit(f, s, k0, k1);
  f.get(seedPtr).loadI64().set(m);
  sipAbsorb(f, s, m);
  return s;
}

function buildPrfSeed(): FnBuilder {
  const f = new FnBuilder('prfSeed', [I32, I32, I32, I32, I32, I32], []);
  const [keyPtr, seedPtr, toks, n, lo, hi] = [0, 1, 2, 3, 4, 5];
  scalarFromMid(f, midstate(f, keyPtr, seedPtr), toks, n, lo, hi);
  return f;
}

/** Lanes 0 and 2 (lo words) / 1 and 3 (hi words) of two i64x2 hashes, as four u32. */
/** Independent SIMD states per iteration (buildPrfSeedSimd). */
export const SIMD_STATES = 2;

const LO_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const HI_WORDS = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];

/**
 * 2·G tokens per iteration: G independent i64x2 states side by side. G = 2 measured
 * fastest (5.6 / 6.5 / 12 ns per hash for G = 2 / 4 / 6 at n = 200k: more states spill
 * registers); G must be even, the words are stored four at a time.
 */
function buildPrfSeedSimd(G = SIMD_STATES): FnBuilder {
  const f = new FnBuilder('prfSeedSimd', [I32, I32, I32, I32, I32, I32], []);
  const [keyPtr, seedPtr, toks, n, lo, hi] = [0, 1, 2, 3, 4, 5];
  const s = midstate(f, keyPtr, seedPtr);
  const S = sipLocals(f, V128);
  for (const k of ['v0', 'v1', 'v2', 'v3'] as const) f.get(s[k]).i64x2Splat().set(S[k]);
  const len12 = f.local(V128), ff = f.local(V128);
  f.i64(LEN12).i64x2Splat().set(len12);
  f.i64(0xffn).i64x2Splat().set(ff);
  const st = Array.from({ length: G }, () => sipLocals(f, V128));
  const m = st.map(() => f.local(V128));
  const i = f.local(I32), nBlock = f.local(I32), p = f.local(I32);
  const step = 2 * G;
  // nBlock = n − n mod 2G: the whole iterations
  f.get(n).get(n).i32(step).op(0x70).i32Sub().set(nBlock); // 0x70 = i32.rem_u
  forLoop(
    f,
    i,
    nBlock,
    () => {
      addrOf(f, toks, i, 2);
      f.set(p);
      st.forEach((_, g) => f.get(p).loadU32x2(8 * g).get(len12).v128Or().set(m[g]!));
      for (const t of st) for (const k of ['v0', 'v1', 'v2', 'v3'] as const) f.get(S[k]).set(t[k]);
      st.forEach((t, g) => f.get(t.v3).get(m[g]!).v128Xor().set(t.v3));
      sipRoundV(f, st);
      sipRoundV(f, st);
      st.forEach((t, g) => f.get(t.v0).get(m[g]!).v128Xor().set(t.v0));
      for (const t of st) f.get(t.v2).get(ff).v128Xor().set(t.v2);
      for (let r = 0; r < 4; r++) sipRoundV(f, st);
      // each state's hashes into its v0: v0 ^ v1 ^ v2 ^ v3
      for (const t of st) f.get(t.v0).get(t.v1).v128Xor().get(t.v2).v128Xor().get(t.v3).v128Xor().set(t.v0);
      for (let g = 0; g < G; g += 2) {
        const a = st[g]!.v0, b = st[g + 1]!.v0;
        f.get(lo).get(i).i32(2).i32Shl().i32Add();
        f.get(a).get(b).shuffle(LO_WORDS).storeV128(16 * (g / 2));
        f.get(hi).get(i).i32(2).i32Shl().i32Add();
        f.get(a).get(b).shuffle(HI_WORDS).storeV128(16 * (g / 2));
      }
    },
    step,
  );
  scalarFromMid(f, s, toks, n, lo, hi, nBlock);
  return f;
}

function buildPrfSeeds(): FnBuilder {
  const f = new FnBuilder('prfSeeds', [I32, I32, I32, I32, I32, I32], []);
  const [keyPtr, seeds, toks, n, lo, hi] = [0, 1, 2, 3, 4, 5];
  const { k0, k1 } = loadSipKey(f, keyPtr);
  const v = sipLocals(f);
  const i = f.local(I32), m = f.local(I64), x = f.local(I64);
  forLoop(f, i, n, () => {
    sipInit(f, v, k0, k1);
    addrOf(f, seeds, i, 3);
    f.loadI64().set(m);
    sipAbsorb(f, v, m);
    addrOf(f, toks, i, 2);
    f.loadI64U32().i64(LEN12).i64Or().set(m);
    sipAbsorb(f, v, m);
    sipFinish(f, v);
    f.set(x);
    storeWords(f, x, lo, hi, i);
  });
  return f;
}

/** The module's bytes: with the SIMD function, or without it (for runtimes without SIMD). */
export function prfModuleBytes(simd: boolean, states = SIMD_STATES): Uint8Array {
  const fns = [buildPrfSeed(), buildPrfSeeds(), buildTournament()];
  if (simd) fns.push(buildPrfSeedSimd(states));
  return assembleModule(fns, 1);
}
