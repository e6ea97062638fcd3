/**
 * SynthID's tournament (sampling/tournament.ts) as WebAssembly, operation for operation:
 * the same f64 products and sums in the same order, so the same floats (WebAssembly
 * f64 arithmetic is IEEE-754 round-to-nearest, as JavaScript's, and fuses nothing).
 * It reads the g-values where the batched PRF (prf-module.ts) wrote them, so a SynthID
 * step makes one pass of hashing and `layers` passes of multiply-adds without leaving
 * the module. Each layer's sum is one serial chain of additions (the law fixes their
 * order), which bounds the speed: about one addition latency per token and layer.
 *
 *   tournament(p, lo, hi, n, layers, F, clamp)
 *     p: n f64 in place; lo/hi: the words holding the g-values (g_l = bit l of hi·2^32 + lo);
 *     F: 16 bytes of scratch for the two layer factors; clamp ≠ 0: F[0] = 0 once G ≥ 1
 *     (tracemark's law), clamp = 0: F[0] = 1 − G always (the engines' _update_scores).
 * The engines sum the marked tokens' p (skipping the others); adding q·0 = +0 instead
 * leaves every partial sum unchanged, so the same kernel reproduces them.
 */
import { FnBuilder, F64, I32 } from './wasm.js';
import { addrOf, forLoop } from './sip-emit.js';

export function buildTournament(): FnBuilder {
  const f = new FnBuilder('tournament', [I32, I32, I32, I32, I32, I32, I32], []);
  const [p, lo, hi, n, layers, F, clamp] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32), l = f.local(I32), g = f.local(I32), sh = f.local(I32), gN = f.local(I32), shN = f.local(I32);
  const pi = f.local(I32);
  const G = f.local(F64), next = f.local(F64), q = f.local(F64);
  /** Push (word[i] >>> shift) & 1 for the word array at local `arr`. */
  const bit = (arr: number, shift: number): void => {
    addrOf(f, arr, i, 2);
    f.loadI32().get(shift).i32ShrU().i32(1).i32And();
  };
  /** Push F[g_l(token i)]. */
  const factor = (): void => {
    f.get(F);
    bit(g, sh);
    f.i32(3).i32Shl().i32Add().loadF64();
  };
  // G = Σ p[i]·(lo[i] & 1), in order
  f.f64(0).set(G);
  forLoop(f, i, n, () => {
    f.get(G);
    addrOf(f, p, i, 3);
    f.loadF64();
    addrOf(f, lo, i, 2);
    f.loadI32().i32(1).i32And().f64ConvertI32U().f64Mul().f64Add().set(G);
  });
  forLoop(f, l, layers, () => {
    // F[1] = 2 − G; F[0] = G < 1 || !clamp ? 1 − G : 0, in memory: a factor is loaded by its bit, no branch
    f.get(F).f64(2).get(G).f64Sub().storeF64(8);
    f.get(F).f64(1).get(G).f64Sub().f64(0).get(G).f64(1).f64Lt().get(clamp).i32Eqz().op(0x72).select().storeF64(0); // 0x72 = i32.or
    // this layer's word and shift, and the next layer's
    f.get(lo).get(hi).get(l).i32(32).i32LtU().select().set(g);
    f.get(l).i32(31).i32And().set(sh);
    f.get(lo).get(hi).get(l).i32(1).i32Add().i32(32).i32LtU().select().set(gN);
    f.get(l).i32(1).i32Add().i32(31).i32And().set(shN);
    f.f64(0).set(next);
    f.get(l).i32(1).i32Add().get(layers).i32LtU().if();
    forLoop(f, i, n, () => {
      // q = p[i]·F[bit]; p[i] = q; next += q·nextBit
      addrOf(f, p, i, 3);
      f.tee(pi).loadF64();
      factor();
      f.f64Mul().set(q);
      f.get(pi).get(q).storeF64();
      f.get(next).get(q);
      bit(gN, shN);
      f.f64ConvertI32U().f64Mul().f64Add().set(next);
    });
    f.else();
    forLoop(f, i, n, () => {
      addrOf(f, p, i, 3);
      f.tee(pi).get(pi).loadF64();
      factor();
      f.f64Mul().storeF64();
    });
    f.end();
    f.get(next).set(G);
  });
  return f;
}
