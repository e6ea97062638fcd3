/**
 * The engine PRF kernels in WebAssembly, bit-identical to the JavaScript readers'
 * arithmetic (test/kernel/engine-kernel.test.ts checks each one against its reference on
 * random inputs and against the engine vectors). JavaScript has no 32×32→64 multiply, so
 * Philox costs four 16-bit products per step there; WASM's i64.mul is one instruction.
 *
 * All pointers are byte offsets into the module's memory; words are u32 little-endian.
 *   philox(c0, c1, c2, c3, k0, k1, out)          out[0..4) = Philox4x32-10(c, k)
 *   philoxMany(src, n, c1, c2, c3, k0, k1, out)  out[4i .. 4i+4) = Philox4x32-10((src[i], c1, c2, c3), (k0, k1)),
 *                                               VLLM_LANES counters per iteration (room for the extra ones past n)
 *   vllmWords(kLo, kHi, pad, n, w, legacy, out)  out[i] = vLLM's word at position i, whose context
 *                                               is pad[i .. i+w) and token pad[i+w] (vllm-prf.ts)
 *   digests(src, n, w, hi, lo)                   (hi[i], lo[i]) = digestContext of src[i .. i+w)
 *   sglang(src, n, h, preA, preB, preCoin, dual, ctx, ha, hb, coin)
 *                                               SGLang's context hash of src[i .. i+h), token src[i+h],
 *                                               hash under key A (and B, and the routing coin, if dual);
 *                                               pre* = the Murmur3 state after the key words
 *   synthid(src, n, c, startLo, startHi, keys, depth, table, mask, deepmind, ctx, g, layers)
 *                                               SynthID's LCG over the context src[i .. i+c) from `start`
 *                                               (ctx[i], i64), then the token src[i+c] and each of the
 *                                               depth i64 keys; g[i] = Σ g-values: HF's table[low & mask]
 *                                               (u8) or synthid-text's 12 shifted LCG rounds, bit 30 (synthid.ts);
 *                                               layers ≠ 0: each g-value also as a byte at layers[i·depth + l]
 *   hfSynthidBits(ids, n, hLo, keys, depth, table, mask, layers, lo, hi)
 *                                               HF SynthID's g-values of candidates ids[i] after a context
 *                                               whose LCG state has low word hLo (keys: depth u32 low words):
 *                                               layers[i·depth + l] (u8), and packed: bit l of hi[i]·2^32 + lo[i]
 *   sbw(pad, n, w, kLo, kHi, mode, seeds, words)  vLLM SBW's seeds and words (sbw-fn.ts)
 */
import { addr4, fmix, murmurMix, philoxLocals, philoxRounds, philoxRoundsInterleaved } from './emit.js';
import { sbwFn } from './sbw-fn.js';
import { assembleModule, FnBuilder, I32, I64 } from './wasm.js';

const STATE_TAG = 0x574d4358; // "WMCX"
const TOKEN_TAG = 0x574d544b; // "WMTK"
const DIGEST_SEED_LO = 0x2545f491;
const DIGEST_SEED_HI = 0x9e3779b9;

function philoxFn(): FnBuilder {
  const f = new FnBuilder('philox', [I32, I32, I32, I32, I32, I32, I32], []);
  const l = philoxLocals(f);
  f.get(0).set(l.x0).get(1).set(l.x1).get(2).set(l.x2).get(3).set(l.x3).get(4).set(l.a).get(5).set(l.b);
  philoxRounds(f, l);
  f.get(6).get(l.x0).storeI32(0);
  f.get(6).get(l.x1).storeI32(4);
  f.get(6).get(l.x2).storeI32(8);
  f.get(6).get(l.x3).storeI32(12);
  return f;
}

/** Philox of many counters that differ in their first word: vLLM's candidate words (a block of 4 per call). */
function philoxManyFn(): FnBuilder {
  const [src, n, c1, c2, c3, k0, k1, out] = [0, 1, 2, 3, 4, 5, 6, 7];
  const f = new FnBuilder('philoxMany', [I32, I32, I32, I32, I32, I32, I32, I32], []);
  const lanes = Array.from({ length: VLLM_LANES }, (_, k) => ({ k, l: philoxLocals(f), at: f.local(I32) }));
  const i = f.local(I32);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  for (const { k, l, at } of lanes) {
    f.get(i).i32(k).i32Add().set(at);
    addr4(f, src, at);
    f.loadI32(0).set(l.x0);
    f.get(c1).set(l.x1).get(c2).set(l.x2).get(c3).set(l.x3).get(k0).set(l.a).get(k1).set(l.b);
  }
  philoxRoundsInterleaved(f, lanes.map((x) => x.l));
  for (const { l, at } of lanes) {
    f.get(out).get(at).i32(4).i32Shl().i32Add().set(at);
    f.get(at).get(l.x0).storeI32(0);
    f.get(at).get(l.x1).storeI32(4);
    f.get(at).get(l.x2).storeI32(8);
    f.get(at).get(l.x3).storeI32(12);
  }
  f.get(i).i32(VLLM_LANES).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

/** Positions vllmWords computes side by side (see philoxRoundsInterleaved): 1 → 2 → 3 lanes measured 27 → 32 → 35M words/s, 4 as 3. */
export const VLLM_LANES = 4;

/**
 * vLLM's words for positions i .. i+VLLM_LANES-1 per iteration; when n is not a multiple
 * of the lanes the last iteration also computes positions past n, so the caller leaves
 * room for VLLM_LANES more words of input and output.
 */
function vllmWordsFn(): FnBuilder {
  const [kLo, kHi, pad, n, w, legacy, out] = [0, 1, 2, 3, 4, 5, 6];
  const f = new FnBuilder('vllmWords', [I32, I32, I32, I32, I32, I32, I32], []);
  const lanes = Array.from({ length: VLLM_LANES }, (_, k) => ({
    k,
    l: philoxLocals(f),
    s: [f.local(I32), f.local(I32), f.local(I32), f.local(I32)] as const,
    at: f.local(I32),
    t: f.local(I32),
    sel: f.local(I32),
  }));
  const ls = lanes.map((x) => x.l);
  const i = f.local(I32), o = f.local(I32);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  // absorb the context, 4 tokens per Philox call; slots past w read the tags 2^32-1-j
  for (const { s } of lanes) f.i32(STATE_TAG).set(s[0]).get(w).set(s[1]).i32(0).set(s[2]).i32(0).set(s[3]);
  f.i32(0).set(o);
  f.block().loop();
  f.get(o).get(w).i32GeU().brIf(1);
  for (const { k, l, s, at } of lanes) {
    f.get(i).i32(k).i32Add().get(o).i32Add().set(at);
    addr4(f, pad, at);
    f.tee(at).loadI32(0).get(s[0]).i32Xor().set(l.x0);
    const xs = [l.x0, l.x1, l.x2, l.x3];
    for (let j = 1; j < 4; j++) {
      f.get(at).loadI32(4 * j).i32(-1 - j).get(o).i32(j).i32Add().get(w).i32LtU().select();
      f.get(s[j]!).i32Xor().set(xs[j]!);
    }
    f.get(kLo).get(o).i32Xor().set(l.a).get(kHi).set(l.b);
  }
  philoxRoundsInterleaved(f, ls);
  for (const { l, s } of lanes) f.get(l.x0).set(s[0]).get(l.x1).set(s[1]).get(l.x2).set(s[2]).get(l.x3).set(s[3]);
  f.get(o).i32(4).i32Add().set(o);
  f.br(0).end().end();
  // the token's word: current layout word t & 3 of Philox((t >> 2, s0, s1, s2), ...), legacy word 0 of Philox((t, ...))
  for (const { k, l, s, at, t } of lanes) {
    f.get(i).i32(k).i32Add().get(w).i32Add().set(at);
    addr4(f, pad, at);
    f.loadI32(0).set(t);
    f.get(t).get(t).i32(2).i32ShrU().get(legacy).select().set(l.x0);
    f.get(s[0]).set(l.x1).get(s[1]).set(l.x2).get(s[2]).set(l.x3);
    f.get(kLo).get(s[3]).i32Xor().set(l.a);
    f.get(kHi).i32(TOKEN_TAG).i32Xor().set(l.b);
  }
  philoxRoundsInterleaved(f, ls);
  for (const { k, l, at, t, sel } of lanes) {
    f.i32(0).get(t).i32(3).i32And().get(legacy).select().set(sel);
    f.get(i).i32(k).i32Add().set(at);
    addr4(f, out, at);
    f.get(l.x3).get(l.x2).get(sel).i32(1).i32And().select();
    f.get(l.x1).get(l.x0).get(sel).i32(1).i32And().select();
    f.get(sel).i32(2).i32And().select();
    f.storeI32(0);
  }
  f.get(i).i32(VLLM_LANES).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

function digestsFn(): FnBuilder {
  const [src, n, w, hiOut, loOut] = [0, 1, 2, 3, 4];
  const f = new FnBuilder('digests', [I32, I32, I32, I32, I32], []);
  const i = f.local(I32), j = f.local(I32), a = f.local(I32), b = f.local(I32), tok = f.local(I32), tmp = f.local(I32), at = f.local(I32);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  f.i32(DIGEST_SEED_LO).set(a).i32(DIGEST_SEED_HI).set(b);
  f.i32(0).set(j);
  f.block().loop();
  f.get(j).get(w).i32GeU().brIf(1);
  f.get(i).get(j).i32Add().set(at);
  addr4(f, src, at);
  f.loadI32(0).set(tok);
  murmurMix(f, a, () => f.get(tok));
  murmurMix(f, b, () => f.get(tok).i32(0x5bd1e995).i32Xor());
  f.get(j).i32(1).i32Add().set(j);
  f.br(0).end().end();
  addr4(f, hiOut, i);
  f.get(b).get(w).i32(2).i32Shl().i32Xor();
  fmix(f, tmp);
  f.storeI32(0);
  addr4(f, loOut, i);
  f.get(a).get(w).i32(2).i32Shl().i32Xor();
  fmix(f, tmp);
  f.storeI32(0);
  f.get(i).i32(1).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

function sglangFn(): FnBuilder {
  const [src, n, h, preA, preB, preCoin, dual, ctxOut, haOut, hbOut, coinOut] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const f = new FnBuilder('sglang', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const i = f.local(I32), j = f.local(I32), c = f.local(I32), at = f.local(I32), tok = f.local(I32), x = f.local(I32), tmp = f.local(I32);
  const keyed = (pre: number, out: number): void => {
    f.get(pre).set(x);
    murmurMix(f, x, () => f.get(c));
    murmurMix(f, x, () => f.get(tok));
    addr4(f, out, i);
    f.get(x).i32(16).i32Xor();
    fmix(f, tmp);
    f.storeI32(0);
  };
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  f.i32(0).set(c).i32(0).set(j);
  f.block().loop();
  f.get(j).get(h).i32GeU().brIf(1);
  f.get(i).get(j).i32Add().set(at);
  addr4(f, src, at);
  f.loadI32(0).set(tok);
  murmurMix(f, c, () => f.get(tok));
  f.get(j).i32(1).i32Add().set(j);
  f.br(0).end().end();
  f.get(c).get(h).i32(2).i32Shl().i32Xor();
  fmix(f, tmp);
  f.set(c);
  addr4(f, ctxOut, i);
  f.get(c).storeI32(0);
  f.get(i).get(h).i32Add().set(at);
  addr4(f, src, at);
  f.loadI32(0).set(tok);
  keyed(preA, haOut);
  f.get(dual).if();
  keyed(preB, hbOut);
  f.get(preCoin).set(x);
  murmurMix(f, x, () => f.get(c));
  addr4(f, coinOut, i);
  f.get(x).i32(20).i32Xor();
  fmix(f, tmp);
  f.storeI32(0);
  f.end();
  f.get(i).i32(1).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

const LCG_A = 6364136223846793005n;

/** h = (h + x) * A + 1 mod 2^64, x pushed by `x`. */
function lcg(f: FnBuilder, h: number, x: () => void): void {
  f.get(h);
  x();
  f.i64Add().i64(LCG_A).i64Mul().i64(1n).i64Add().set(h);
}

function synthidFn(): FnBuilder {
  const [src, n, c, startLo, startHi, keys, depth, table, mask, deepmind, ctxOut, gOut, layersOut] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const f = new FnBuilder('synthid', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const i = f.local(I32), j = f.local(I32), l = f.local(I32), at = f.local(I32), g = f.local(I32), bit = f.local(I32);
  const start = f.local(I64), h = f.local(I64), w = f.local(I64), k = f.local(I64);
  f.get(startLo).i64ExtendI32U().get(startHi).i64ExtendI32U().i64(32n).i64Shl().i64Or().set(start);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  f.get(start).set(h);
  f.i32(0).set(j);
  f.block().loop();
  f.get(j).get(c).i32GeU().brIf(1);
  f.get(i).get(j).i32Add().set(at);
  lcg(f, h, () => {
    addr4(f, src, at);
    f.loadI32(0).i64ExtendI32S();
  });
  f.get(j).i32(1).i32Add().set(j);
  f.br(0).end().end();
  f.get(ctxOut).get(i).i32(3).i32Shl().i32Add().get(h).storeI64(0);
  f.get(h).set(w);
  f.get(i).get(c).i32Add().set(at);
  lcg(f, w, () => {
    addr4(f, src, at);
    f.loadI32(0).i64ExtendI32S();
  });
  f.i32(0).set(g).i32(0).set(l);
  f.block().loop();
  f.get(l).get(depth).i32GeU().brIf(1);
  f.get(w).set(k);
  lcg(f, k, () => f.get(keys).get(l).i32(3).i32Shl().i32Add().loadI64(0));
  f.get(deepmind).if();
  for (let r = 0; r < 12; r++) {
    lcg(f, k, () => f.i64(1n));
    f.get(k).i64(5n).i64ShrS().set(k);
  }
  f.get(k).i32WrapI64().i32(30).i32ShrU().i32(1).i32And().set(bit);
  f.else();
  f.get(table).get(k).i32WrapI64().get(mask).i32And().i32Add().loadU8(0).set(bit);
  f.end();
  f.get(g).get(bit).i32Add().set(g);
  // each layer's g-value too, when asked (the engine statistic's weighted mean needs them)
  f.get(layersOut).if();
  f.get(layersOut).get(i).get(depth).i32Mul().i32Add().get(l).i32Add().get(bit).storeI8(0);
  f.end();
  f.get(l).i32(1).i32Add().set(l);
  f.br(0).end().end();
  addr4(f, gOut, i);
  f.get(g).storeI32(0);
  f.get(i).i32(1).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

// Low word of the LCG multiplier: HF's g = table[h_l mod size] needs only the low 32 bits (embed/synthid.ts).
const SYNTHID_A_LO = 0x4c957f2d;

function hfSynthidBitsFn(): FnBuilder {
  const [ids, n, hLo, keys, depth, table, mask, layers, lo, hi] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const f = new FnBuilder('hfSynthidBits', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const i = f.local(I32), l = f.local(I32), ht = f.local(I32), bit = f.local(I32), a = f.local(I32), b = f.local(I32), out = f.local(I32);
  f.get(layers).set(out);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  // ht = (hLo + id)·A + 1; bit_l = table[((ht + key_l)·A + 1) & mask]
  addr4(f, ids, i);
  f.loadI32(0).get(hLo).i32Add().i32(SYNTHID_A_LO).i32Mul().i32(1).i32Add().set(ht);
  f.i32(0).set(a).i32(0).set(b).i32(0).set(l);
  f.block().loop();
  f.get(l).get(depth).i32GeU().brIf(1);
  f.get(table);
  addr4(f, keys, l);
  f.loadI32(0).get(ht).i32Add().i32(SYNTHID_A_LO).i32Mul().i32(1).i32Add().get(mask).i32And().i32Add().loadU8(0).set(bit);
  f.get(out).get(bit).storeI8(0);
  f.get(out).i32(1).i32Add().set(out);
  // bit l of the packed words (i32 shifts take l mod 32)
  f.get(bit).get(l).i32Shl().get(a).i32Or().get(a).get(l).i32(32).i32LtU().select().set(a);
  f.get(b).get(b).get(bit).get(l).i32Shl().i32Or().get(l).i32(32).i32LtU().select().set(b);
  f.get(l).i32(1).i32Add().set(l);
  f.br(0).end().end();
  addr4(f, lo, i);
  f.get(a).storeI32(0);
  addr4(f, hi, i);
  f.get(b).storeI32(0);
  f.get(i).i32(1).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

export interface EngineKernelExports {
  hfSynthidBits(ids: number, n: number, hLo: number, keys: number, depth: number, table: number, mask: number, layers: number, lo: number, hi: number): void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  philox(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: number): void;
  philoxMany(src: number, n: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: number): void;
  vllmWords(kLo: number, kHi: number, pad: number, n: number, w: number, legacy: number, out: number): void;
  digests(src: number, n: number, w: number, hi: number, lo: number): void;
  sglang(src: number, n: number, h: number, preA: number, preB: number, preCoin: number, dual: number, ctx: number, ha: number, hb: number, coin: number): void;
  sbw(pad: number, n: number, w: number, kLo: number, kHi: number, mode: number, seeds: number, words: number): void;
  synthid(src: number, n: number, c: number, startLo: number, startHi: number, keys: number, depth: number, table: number, mask: number, deepmind: number, ctx: number, g: number, layers: number): void;
}

/** A fresh instance (synchronous compile: the module is a few kB). */
export function instantiateEngineKernel(): EngineKernelExports {
  const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => unknown; Instance: new (m: unknown, i: object) => { exports: unknown } } }).WebAssembly;
  const bytes = assembleModule([philoxFn(), philoxManyFn(), vllmWordsFn(), digestsFn(), sglangFn(), synthidFn(), hfSynthidBitsFn(), sbwFn()], 4);
  return new WA.Instance(new WA.Module(bytes), {}).exports as EngineKernelExports;
}
