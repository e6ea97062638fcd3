/**
 * SipHash-2-4 as WebAssembly code: the emitters behind every SipHash kernel (the
 * embedder's batched PRF, prf-batch.ts, and the detector's scoring kernels). Scalar
 * code keeps the state in four i64 locals; the SIMD emitters keep two hashes per v128
 * (two i64 lanes) and run two such vectors side by side, so four hashes are in flight.
 *
 * Each emitter mirrors the JavaScript SipHash (siphash-fast.ts) operation for operation;
 * test/kernel/prf-batch.test.ts checks the kernels against it and the official vectors.
 */
import { FnBuilder, I32, I64, V128 } from './wasm.js';

/** "somepseudorandomlygeneratedbytes", the initial state constants. */
export const SIP_C0 = 0x736f6d6570736575n;
export const SIP_C1 = 0x646f72616e646f6dn;
export const SIP_C2 = 0x6c7967656e657261n;
export const SIP_C3 = 0x7465646279746573n;

export interface SipLocals {
  v0: number;
  v1: number;
  v2: number;
  v3: number;
}

export function sipLocals(f: FnBuilder, type: typeof I64 | typeof V128 = I64): SipLocals {
  return { v0: f.local(type), v1: f.local(type), v2: f.local(type), v3: f.local(type) };
}

/** v = the initial state for key words k0, k1 (i64 locals). */
export function sipInit(f: FnBuilder, v: SipLocals, k0: number, k1: number): void {
  f.get(k0).i64(SIP_C0).i64Xor().set(v.v0);
  f.get(k1).i64(SIP_C1).i64Xor().set(v.v1);
  f.get(k0).i64(SIP_C2).i64Xor().set(v.v2);
  f.get(k1).i64(SIP_C3).i64Xor().set(v.v3);
}

export function sipRound(f: FnBuilder, v: SipLocals): void {
  const { v0, v1, v2, v3 } = v;
  f.get(v0).get(v1).i64Add().set(v0);
  f.get(v1).i64(13n).i64Rotl().get(v0).i64Xor().set(v1);
  f.get(v0).i64(32n).i64Rotl().set(v0);
  f.get(v2).get(v3).i64Add().set(v2);
  f.get(v3).i64(16n).i64Rotl().get(v2).i64Xor().set(v3);
  f.get(v0).get(v3).i64Add().set(v0);
  f.get(v3).i64(21n).i64Rotl().get(v0).i64Xor().set(v3);
  f.get(v2).get(v1).i64Add().set(v2);
  f.get(v1).i64(17n).i64Rotl().get(v2).i64Xor().set(v1);
  f.get(v2).i64(32n).i64Rotl().set(v2);
}

/** Compression of one 64-bit message word held in local m. */
export function sipAbsorb(f: FnBuilder, v: SipLocals, m: number): void {
  f.get(v.v3).get(m).i64Xor().set(v.v3);
  sipRound(f, v);
  sipRound(f, v);
  f.get(v.v0).get(m).i64Xor().set(v.v0);
}

/** Finalization; leaves the 64-bit hash on the stack. */
export function sipFinish(f: FnBuilder, v: SipLocals): void {
  f.get(v.v2).i64(0xffn).i64Xor().set(v.v2);
  for (let r = 0; r < 4; r++) sipRound(f, v);
  f.get(v.v0).get(v.v1).i64Xor().get(v.v2).i64Xor().get(v.v3).i64Xor();
}

/** Push base + (i << shift). */
export function addrOf(f: FnBuilder, base: number, i: number, shift: number): void {
  f.get(base).get(i).i32(shift).i32Shl().i32Add();
}

/** Load the two key words k0 (bytes 0..7) and k1 (bytes 8..15) at keyPtr into fresh i64 locals. */
export function loadSipKey(f: FnBuilder, keyPtr: number): { k0: number; k1: number } {
  const k0 = f.local(I64), k1 = f.local(I64);
  f.get(keyPtr).loadI64(0).set(k0);
  f.get(keyPtr).loadI64(8).set(k1);
  return { k0, k1 };
}

/** for (i = start; i < n; i += step) body — `i` must be a fresh i32 local (start: a local, or 0). */
export function forLoop(f: FnBuilder, i: number, n: number, body: () => void, step = 1, start?: number): void {
  if (start === undefined) f.i32(0).set(i);
  else f.get(start).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  body();
  f.get(i).i32(step).i32Add().set(i);
  f.br(0).end().end();
}

// ---- SIMD: two hashes per v128 ----

const ROTL32 = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];
const ROTL16 = [6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13];

/** Replace the v128 in local x by its lanes rotated left by r (whole-byte rotations are one shuffle). */
function rotlV(f: FnBuilder, x: number, r: number): void {
  if (r === 32) f.get(x).get(x).shuffle(ROTL32);
  else if (r === 16) f.get(x).get(x).shuffle(ROTL16);
  else f.get(x).i32(r).i64x2Shl().get(x).i32(64 - r).i64x2ShrU().v128Or();
}

/**
 * One SipRound on several lane pairs at once, statement by statement in turn: a round is
 * a chain of dependent operations, so independent chains let the CPU overlap them.
 */
export function sipRoundV(f: FnBuilder, states: readonly SipLocals[]): void {
  const each = (fn: (v: SipLocals) => void): void => states.forEach(fn);
  each(({ v0, v1 }) => f.get(v0).get(v1).i64x2Add().set(v0));
  each(({ v0, v1 }) => { rotlV(f, v1, 13); f.get(v0).v128Xor().set(v1); });
  each(({ v0 }) => { rotlV(f, v0, 32); f.set(v0); });
  each(({ v2, v3 }) => f.get(v2).get(v3).i64x2Add().set(v2));
  each(({ v2, v3 }) => { rotlV(f, v3, 16); f.get(v2).v128Xor().set(v3); });
  each(({ v0, v3 }) => f.get(v0).get(v3).i64x2Add().set(v0));
  each(({ v0, v3 }) => { rotlV(f, v3, 21); f.get(v0).v128Xor().set(v3); });
  each(({ v1, v2 }) => f.get(v2).get(v1).i64x2Add().set(v2));
  each(({ v1, v2 }) => { rotlV(f, v1, 17); f.get(v2).v128Xor().set(v1); });
  each(({ v2 }) => { rotlV(f, v2, 32); f.set(v2); });
}
