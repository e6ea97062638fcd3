/**
 * A minimal WebAssembly binary writer: just enough to express the detector's SipHash
 * kernels (detector/src/kernel/sipkernel.ts) and the engine PRF kernels next to this
 * file (one memory, i32/i64 locals, loops, loads/stores).
 *
 * Why emit WASM by hand: SipHash on 64-bit words costs ~110 ns per call in plain
 * JavaScript on 32-bit limbs, while tokenization costs ~600 ns per token, so
 * scoring in JS alone would cost ~20–30% of a scan. WASM has native i64
 * arithmetic, which brings a PRF call to ~15 ns. No toolchain is needed: the
 * module is assembled from the readable op helpers below when first used.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
/** The 128-bit SIMD vector type (fixed-width SIMD proposal; Node ≥ 16.4 and current browsers). */
export const V128 = 0x7b;
export const F64 = 0x7c;
type ValType = typeof I32 | typeof I64 | typeof V128 | typeof F64;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(v: bigint, out: number[]): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift on BigInt
    const signBit = (b & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(s: string, out: number[]): void {
  const b = new TextEncoder().encode(s);
  uleb(b.length, out);
  out.push(...b);
}

/** One function body under construction. Locals are numbered after the params. */
export class FnBuilder {
  readonly code: number[] = [];
  readonly localTypes: ValType[] = [];
  constructor(
    readonly exportName: string,
    readonly params: ValType[],
    readonly results: ValType[],
  ) {}

  local(t: ValType): number {
    this.localTypes.push(t);
    return this.params.length + this.localTypes.length - 1;
  }

  get(i: number): this { this.code.push(0x20); uleb(i, this.code); return this; }
  set(i: number): this { this.code.push(0x21); uleb(i, this.code); return this; }
  tee(i: number): this { this.code.push(0x22); uleb(i, this.code); return this; }
  i32(v: number): this { this.code.push(0x41); sleb(BigInt(v | 0), this.code); return this; }
  /** i64 constant from an unsigned or signed 64-bit BigInt. */
  i64(v: bigint): this { this.code.push(0x42); sleb(BigInt.asIntN(64, v), this.code); return this; }
  op(...bytes: number[]): this { this.code.push(...bytes); return this; }

  // memory access (align hints are log2 bytes; unaligned access is legal in WASM)
  loadI64(offset = 0): this { this.code.push(0x29, 3); uleb(offset, this.code); return this; }
  loadI64U32(offset = 0): this { this.code.push(0x35, 2); uleb(offset, this.code); return this; }
  storeI64(offset = 0): this { this.code.push(0x37, 3); uleb(offset, this.code); return this; }
  loadU8(offset = 0): this { this.code.push(0x2d, 0); uleb(offset, this.code); return this; }
  loadI32(offset = 0): this { this.code.push(0x28, 2); uleb(offset, this.code); return this; }
  storeI8(offset = 0): this { this.code.push(0x3a, 0); uleb(offset, this.code); return this; }
  storeI32(offset = 0): this { this.code.push(0x36, 2); uleb(offset, this.code); return this; }

  // i32
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Shl(): this { return this.op(0x74); }
  i32LtU(): this { return this.op(0x49); }
  i32GeU(): this { return this.op(0x4f); }
  i32Eqz(): this { return this.op(0x45); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  i32Xor(): this { return this.op(0x73); }
  i32Or(): this { return this.op(0x72); }
  i32ShrU(): this { return this.op(0x76); }
  i32ShrS(): this { return this.op(0x75); }
  i32Rotl(): this { return this.op(0x77); }
  i32WrapI64(): this { return this.op(0xa7); }
  // i64
  i64Add(): this { return this.op(0x7c); }
  i64Mul(): this { return this.op(0x7e); }
  i64ShrU(): this { return this.op(0x88); }
  i64ShrS(): this { return this.op(0x87); }
  i64ExtendI32S(): this { return this.op(0xac); }
  i64Or(): this { return this.op(0x84); }
  i64Xor(): this { return this.op(0x85); }
  i64Shl(): this { return this.op(0x86); }
  i64Rotl(): this { return this.op(0x89); }
  i64LtU(): this { return this.op(0x54); }
  i64LtS(): this { return this.op(0x53); }
  i64ExtendI32U(): this { return this.op(0xad); }
  select(): this { return this.op(0x1b); }

  // f64 (IEEE-754 binary64, round to nearest: the same results as JavaScript's number ops)
  f64(v: number): this {
    const d = new DataView(new ArrayBuffer(8));
    d.setFloat64(0, v, true); // WebAssembly constants are little-endian
    this.code.push(0x44, ...new Uint8Array(d.buffer));
    return this;
  }
  loadF64(offset = 0): this { this.code.push(0x2b, 3); uleb(offset, this.code); return this; }
  storeF64(offset = 0): this { this.code.push(0x39, 3); uleb(offset, this.code); return this; }
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Lt(): this { return this.op(0x63); }
  f64ConvertI32U(): this { return this.op(0xb8); }

  // SIMD (prefix 0xfd, then the opcode as a LEB128 u32): only what the batched SipHash needs
  simd(opcode: number): this { this.code.push(0xfd); uleb(opcode, this.code); return this; }
  /** v128.load32x2_u: two u32 zero-extended to the two i64 lanes. */
  loadU32x2(offset = 0): this { this.simd(0x06).code.push(3); uleb(offset, this.code); return this; }
  storeV128(offset = 0): this { this.simd(0x0b).code.push(4); uleb(offset, this.code); return this; }
  /** i8x16.shuffle of the two vectors on the stack (lane indices 0–15 first, 16–31 second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('i8x16.shuffle takes 16 lane indices');
    this.simd(0x0d).code.push(...lanes);
    return this;
  }
  i64x2Splat(): this { return this.simd(0x12); }
  v128Or(): this { return this.simd(0x50); }
  v128Xor(): this { return this.simd(0x51); }
  i64x2Shl(): this { return this.simd(0xcb); }
  i64x2ShrU(): this { return this.simd(0xcd); }
  i64x2Add(): this { return this.simd(0xce); }

  // control
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  br(depth: number): this { this.code.push(0x0c); uleb(depth, this.code); return this; }
  brIf(depth: number): this { this.code.push(0x0d); uleb(depth, this.code); return this; }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

/** Assemble a module with one exported memory ("memory", `pages` initial pages) and the given functions. */
export function assembleModule(fns: readonly FnBuilder[], pages: number): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  const types: number[] = [];
  uleb(fns.length, types);
  for (const f of fns) {
    types.push(0x60);
    uleb(f.params.length, types);
    types.push(...f.params);
    uleb(f.results.length, types);
    types.push(...f.results);
  }
  section(1, types, out);

  const funcs: number[] = [];
  uleb(fns.length, funcs);
  fns.forEach((_, i) => uleb(i, funcs));
  section(3, funcs, out);

  const mem: number[] = [1, 0x00];
  uleb(pages, mem);
  section(5, mem, out);

  const exps: number[] = [];
  uleb(fns.length + 1, exps);
  fns.forEach((f, i) => {
    name(f.exportName, exps);
    exps.push(0x00);
    uleb(i, exps);
  });
  name('memory', exps);
  exps.push(0x02, 0x00);
  section(7, exps, out);

  const codes: number[] = [];
  uleb(fns.length, codes);
  for (const f of fns) {
    const body: number[] = [];
    // one local entry per declared local keeps the writer simple
    uleb(f.localTypes.length, body);
    for (const t of f.localTypes) body.push(1, t);
    body.push(...f.code, 0x0b);
    uleb(body.length, codes);
    codes.push(...body);
  }
  section(10, codes, out);
  return Uint8Array.from(out);
}
