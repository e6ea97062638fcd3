/**
 * Code emitters shared by the engine kernels (engine-kernel.ts): Philox4x32-10 on i32
 * locals with native 32×32→64 products, and the Murmur3 word mix and finaliser on i32.
 * Each emitter mirrors a JavaScript reference operation for operation: philox.ts
 * (philox4x32), murmur3.ts (murmur3Words) and fmix32.ts.
 */
import { FnBuilder, I32, I64 } from './wasm.js';

const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The four counter words and two key words of one Philox call, as i32 locals. */
export interface PhiloxLocals {
  x0: number;
  x1: number;
  x2: number;
  x3: number;
  a: number;
  b: number;
  p0: number;
  p1: number;
}

export function philoxLocals(f: FnBuilder): PhiloxLocals {
  return {
    x0: f.local(I32),
    x1: f.local(I32),
    x2: f.local(I32),
    x3: f.local(I32),
    a: f.local(I32),
    b: f.local(I32),
    p0: f.local(I64),
    p1: f.local(I64),
  };
}

/** Ten Philox rounds on (x0..x3) under key (a, b), in place; a and b are consumed. */
export function philoxRounds(f: FnBuilder, l: PhiloxLocals): void {
  philoxRoundsInterleaved(f, [l]);
}

/**
 * Ten Philox rounds on several independent counters at once, statement by statement in
 * turn: one Philox is a chain of dependent multiplies (its latency, not the multiplier's
 * throughput, bounds it), so interleaving independent chains lets the CPU overlap them.
 */
export function philoxRoundsInterleaved(f: FnBuilder, lanes: readonly PhiloxLocals[]): void {
  for (let r = 0; r < 10; r++) {
    for (const { x0, p0 } of lanes) f.get(x0).i64ExtendI32U().i64(M0).i64Mul().set(p0);
    for (const { x2, p1 } of lanes) f.get(x2).i64ExtendI32U().i64(M1).i64Mul().set(p1);
    // x0 = hi(M1·x2) ^ x1 ^ a; x2 = hi(M0·x0) ^ x3 ^ b; x1 = lo(M1·x2); x3 = lo(M0·x0)
    for (const { x0, x1, a, p1 } of lanes) f.get(p1).i64(32n).i64ShrU().i32WrapI64().get(x1).i32Xor().get(a).i32Xor().set(x0);
    for (const { x2, x3, b, p0 } of lanes) f.get(p0).i64(32n).i64ShrU().i32WrapI64().get(x3).i32Xor().get(b).i32Xor().set(x2);
    for (const { x1, x3, p0, p1 } of lanes) f.get(p1).i32WrapI64().set(x1).get(p0).i32WrapI64().set(x3);
    if (r < 9) for (const { a, b } of lanes) f.get(a).i32(W0).i32Add().set(a).get(b).i32(W1).i32Add().set(b);
  }
}

/** h = mix(h, w): the Murmur3 x86_32 body step; `word` pushes the word. */
export function murmurMix(f: FnBuilder, h: number, word: () => void): void {
  word();
  f.i32(0xcc9e2d51).i32Mul().i32(15).i32Rotl().i32(0x1b873593).i32Mul();
  f.get(h).i32Xor().i32(13).i32Rotl().i32(5).i32Mul().i32(0xe6546b64).i32Add().set(h);
}

/** Replaces the i32 on top of the stack with fmix32 of it (uses local t). */
export function fmix(f: FnBuilder, t: number): void {
  f.tee(t).get(t).i32(16).i32ShrU().i32Xor().i32(0x85ebca6b).i32Mul();
  f.tee(t).get(t).i32(13).i32ShrU().i32Xor().i32(0xc2b2ae35).i32Mul();
  f.tee(t).get(t).i32(16).i32ShrU().i32Xor();
}

/** Push base + (i << 2). */
export function addr4(f: FnBuilder, base: number, i: number): void {
  f.get(base).get(i).i32(2).i32Shl().i32Add();
}
