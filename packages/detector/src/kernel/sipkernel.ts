/**
 * SipHash-2-4 batch kernels in WebAssembly, bit-identical to the watermark
 * package's JavaScript SipHash (docs/SPEC.md §PRF; test/kernel.test.ts checks
 * them against it on random inputs).
 *
 * 64-bit values live in memory little-endian, so a seed (hi, lo) is the i64
 * hi·2^32 + lo and the u32 view sees lo at index 2k, hi at 2k+1.
 *
 * Exports (all pointers are byte offsets into the module's memory):
 *   prf(key, seeds, toks, n, out)        out[i] = SipHash(key, LE64(seeds[i]) ‖ LE32(toks[i]))
 *   hashTokens(key, toks, n, out)        out[i] = SipHash(key, LE32(toks[i]))
 *   winLeft(key, toks, n, h, out)        out[j] = SipHash(key, LE32(toks[j]) ‖ … ‖ LE32(toks[j+h-1])), j ≤ n-h
 *   winMin(src, n, h, out)               out[j] = min_u64(src[j .. j+h-1]), j ≤ n-h
 *   min2(a, b, n, out)                   out[i] = min_u64(a[i], b[i])
 */
import {
  addrOf as addr,
  assembleModule,
  FnBuilder,
  forLoop,
  I32,
  I64,
  loadSipKey as loadKey,
  sipAbsorb as absorb,
  sipFinish as finish,
  sipInit as init,
  sipLocals,
} from '@tracemark/watermark';

// The SipHash rounds are emitted by @tracemark/watermark's kernel/sip-emit.ts, the same
// code as the embedder's batched PRF (one SipHash kernel for embedder and detector).

function buildPrf(): FnBuilder {
  const f = new FnBuilder('prf', [I32, I32, I32, I32, I32], []);
  const [keyPtr, seeds, toks, n, out] = [0, 1, 2, 3, 4];
  const { k0, k1 } = loadKey(f, keyPtr);
  const v = sipLocals(f);
  const i = f.local(I32), m = f.local(I64), x = f.local(I64);
  forLoop(f, i, n, () => {
    init(f, v, k0, k1);
    addr(f, seeds, i, 3);
    f.loadI64().set(m);
    absorb(f, v, m);
    addr(f, toks, i, 2);
    f.loadI64U32().i64(12n << 56n).i64Or().set(m);
    absorb(f, v, m);
    finish(f, v);
    f.set(x);
    addr(f, out, i, 3);
    f.get(x).storeI64();
  });
  return f;
}

function buildHashTokens(): FnBuilder {
  const f = new FnBuilder('hashTokens', [I32, I32, I32, I32], []);
  const [keyPtr, toks, n, out] = [0, 1, 2, 3];
  const { k0, k1 } = loadKey(f, keyPtr);
  const v = sipLocals(f);
  const i = f.local(I32), m = f.local(I64), x = f.local(I64);
  forLoop(f, i, n, () => {
    init(f, v, k0, k1);
    addr(f, toks, i, 2);
    f.loadI64U32().i64(4n << 56n).i64Or().set(m);
    absorb(f, v, m);
    finish(f, v);
    f.set(x);
    addr(f, out, i, 3);
    f.get(x).storeI64();
  });
  return f;
}

function buildWinLeft(): FnBuilder {
  const f = new FnBuilder('winLeft', [I32, I32, I32, I32, I32], []);
  const [keyPtr, toks, n, h, out] = [0, 1, 2, 3, 4];
  const { k0, k1 } = loadKey(f, keyPtr);
  const v = sipLocals(f);
  const j = f.local(I32), b = f.local(I32), pairs = f.local(I32), count = f.local(I32), p = f.local(I32);
  const m = f.local(I64), lenWord = f.local(I64), x = f.local(I64);
  // if (n < h) return; count = n - h + 1
  f.get(n).get(h).i32LtU().if().op(0x0f).end(); // 0x0f = return
  f.get(n).get(h).i32Sub().i32(1).i32Add().set(count);
  f.get(h).i32(1).op(0x76).set(pairs); // i32.shr_u: h >> 1
  // the final word carries the message length (4h bytes) in its top byte
  f.get(h).i32(2).i32Shl().i64ExtendI32U().i64(56n).i64Shl().set(lenWord);
  forLoop(f, j, count, () => {
    init(f, v, k0, k1);
    addr(f, toks, j, 2);
    f.set(p);
    forLoop(f, b, pairs, () => {
      f.get(p).loadI64().set(m);
      absorb(f, v, m);
      f.get(p).i32(8).i32Add().set(p);
    });
    // odd h: the last token fills the low half of the final word
    f.get(h).i32(1).op(0x71).if(); // i32.and
    f.get(p).loadI64U32().get(lenWord).i64Or().set(m);
    f.else();
    f.get(lenWord).set(m);
    f.end();
    absorb(f, v, m);
    finish(f, v);
    f.set(x);
    addr(f, out, j, 3);
    f.get(x).storeI64();
  });
  return f;
}

function buildWinMin(): FnBuilder {
  const f = new FnBuilder('winMin', [I32, I32, I32, I32], []);
  const [src, n, h, out] = [0, 1, 2, 3];
  const j = f.local(I32), t = f.local(I32), count = f.local(I32), p = f.local(I32);
  const m = f.local(I64), x = f.local(I64);
  f.get(n).get(h).i32LtU().if().op(0x0f).end();
  f.get(n).get(h).i32Sub().i32(1).i32Add().set(count);
  forLoop(f, j, count, () => {
    addr(f, src, j, 3);
    f.tee(p).loadI64().set(m);
    f.i32(1).set(t);
    f.block().loop();
    f.get(t).get(h).i32GeU().brIf(1);
    f.get(p).get(t).i32(3).i32Shl().i32Add().loadI64().set(x);
    // m = x <u m ? x : m
    f.get(x).get(m).get(x).get(m).i64LtU().select().set(m);
    f.get(t).i32(1).i32Add().set(t);
    f.br(0).end().end();
    addr(f, out, j, 3);
    f.get(m).storeI64();
  });
  return f;
}

function buildMin2(): FnBuilder {
  const f = new FnBuilder('min2', [I32, I32, I32, I32], []);
  const [a, b, n, out] = [0, 1, 2, 3];
  const i = f.local(I32), x = f.local(I64), y = f.local(I64);
  forLoop(f, i, n, () => {
    addr(f, a, i, 3);
    f.loadI64().set(x);
    addr(f, b, i, 3);
    f.loadI64().set(y);
    addr(f, out, i, 3);
    f.get(x).get(y).get(x).get(y).i64LtU().select().storeI64();
  });
  return f;
}

/** The slice of the WebAssembly API used here (typed locally: the ES2022 lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export interface SipExports {
  memory: WasmMemory;
  prf(key: number, seeds: number, toks: number, n: number, out: number): void;
  hashTokens(key: number, toks: number, n: number, out: number): void;
  winLeft(key: number, toks: number, n: number, h: number, out: number): void;
  winMin(src: number, n: number, h: number, out: number): void;
  min2(a: number, b: number, n: number, out: number): void;
}

let compiled: object | undefined;

/** The compiled module (assembled and compiled once per thread, ~2 KB). */
export function sipModule(): object {
  if (!wasmApi) throw new Error('WebAssembly is not available in this runtime');
  compiled ??= new wasmApi.Module(
    assembleModule([buildPrf(), buildHashTokens(), buildWinLeft(), buildWinMin(), buildMin2()], 1),
  );
  return compiled;
}

/** A fresh instance with its own memory (each Scorer owns one, so scorers never share buffers). */
export function instantiateSip(): SipExports {
  const inst = new wasmApi!.Instance(sipModule(), {});
  return inst.exports as SipExports;
}
