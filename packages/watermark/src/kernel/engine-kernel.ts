/**
 * JavaScript entry points of the engine kernels (engine-module.ts): one instance per
 * thread, texts streamed through its memory in blocks of 32k positions so a long text
 * never grows it past a few MB (plus HF SynthID's sampling table, 64 kB by default). Calls
 * are synchronous, so one text at a time uses the memory. WebAssembly is required (Node 20
 * and every current browser have it); there is no JavaScript fallback.
 */
import { instantiateEngineKernel, VLLM_LANES, type EngineKernelExports } from './engine-module.js';

/** Positions per kernel call. */
const BLOCK = 1 << 15;

interface KernelState {
  k: EngineKernelExports;
  i32: Int32Array;
  u32: Uint32Array;
}
let state: KernelState | undefined;
/** The SynthID sampling table whose bytes are in memory at TABLE_AT, if no other kernel call has run since. */
let stagedTable: Uint32Array | null = null;

/** The instance with at least `bytes` of memory, and views of it. */
function kernel(bytes: number): KernelState {
  stagedTable = null; // every caller may overwrite any of the memory
  if (!state) {
    const k = instantiateEngineKernel();
    state = { k, i32: new Int32Array(k.memory.buffer), u32: new Uint32Array(k.memory.buffer) };
  }
  const have = state.k.memory.buffer.byteLength;
  if (bytes > have) {
    state.k.memory.grow(Math.ceil((bytes - have) / 65536));
    state.i32 = new Int32Array(state.k.memory.buffer);
    state.u32 = new Uint32Array(state.k.memory.buffer);
  }
  return state;
}

/**
 * Copies src[from .. to) into the kernel's i32 memory at word offset `at`, reading `pad`
 * at indices < 0 (values reduced mod 2^32, as the readers' `>>> 0` and `| 0` do).
 */
function stage(s: KernelState, at: number, src: ArrayLike<number>, from: number, to: number, pad: number): void {
  let j = at;
  let i = from;
  for (; i < to && i < 0; i++) s.i32[j++] = pad;
  if (ArrayBuffer.isView(src)) {
    // typed-array set converts each element as an Int32Array store does: ToInt32, i.e. mod 2^32
    s.i32.set((src as unknown as Int32Array).subarray(i, to), j);
    return;
  }
  for (; i < to; i++) s.i32[j++] = src[i]! | 0;
}

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1). */
export function philoxWasm(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out = new Uint32Array(4)): Uint32Array {
  const s = kernel(16);
  s.k.philox(c0 | 0, c1 | 0, c2 | 0, c3 | 0, k0 | 0, k1 | 0, 0);
  out.set(s.u32.subarray(0, 4));
  return out;
}

/**
 * Philox4x32-10 of the counters (src[i], c1, c2, c3) under key (k0, k1) for i < n:
 * out[4i .. 4i+4) (vLLM's candidate words: one call per block of 4 token ids).
 */
export function philoxManyWasm(src: ArrayLike<number>, n: number, c1: number, c2: number, c3: number, k0: number, k1: number, out = new Uint32Array(4 * n)): Uint32Array {
  const m0 = Math.min(BLOCK, n);
  const outAt = (m0 + VLLM_LANES) * 4;
  const s = kernel(outAt + (m0 + VLLM_LANES) * 16);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    stage(s, 0, src, i0, i0 + m, 0);
    s.k.philoxMany(0, m, c1 | 0, c2 | 0, c3 | 0, k0 | 0, k1 | 0, outAt);
    out.set(s.u32.subarray(outAt >> 2, (outAt >> 2) + 4 * m), 4 * i0);
  }
  return out;
}

/**
 * vLLM's PRF word of every position of a text (philox or philox_legacy layout): the
 * context of position i is tokens[i-w .. i), -1 before the first token.
 */
export function vllmWordsWasm(key: { lo: number; hi: number }, tokens: ArrayLike<number>, w: number, legacy: boolean, out = new Uint32Array(tokens.length)): Uint32Array {
  const n = tokens.length;
  // the kernel computes VLLM_LANES positions per step: room for the extra ones past the block
  const padWords = BLOCK + w + 4 + VLLM_LANES;
  const s = kernel((padWords + BLOCK + VLLM_LANES) * 4);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    stage(s, 0, tokens, i0 - w, i0 + m, -1);
    s.k.vllmWords(key.lo | 0, key.hi | 0, 0, m, w, legacy ? 1 : 0, padWords * 4);
    out.set(s.u32.subarray(padWords, padWords + m), i0);
  }
  return out;
}

/**
 * The readers' context digest (reader/digest.ts digestContext) of the window
 * src[offset+i-w .. offset+i) for i in [0, n), indices < 0 reading `pad`.
 */
export function contextDigestsWasm(src: ArrayLike<number>, offset: number, n: number, w: number, pad: number, hi: Int32Array, lo: Int32Array): void {
  const inWords = BLOCK + w + 4;
  const s = kernel((inWords + 2 * BLOCK) * 4);
  const hiAt = inWords, loAt = inWords + BLOCK;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    stage(s, 0, src, offset + i0 - w, offset + i0 + m, pad);
    s.k.digests(0, m, w, hiAt * 4, loAt * 4);
    hi.set(s.i32.subarray(hiAt, hiAt + m), i0);
    lo.set(s.i32.subarray(loAt, loAt + m), i0);
  }
}

export interface SglangKernelKeys {
  /** Murmur3 state after key A's two words, after key B's, and after A's and B's four words (routing coin). */
  readonly preA: number;
  readonly preB: number;
  readonly preCoin: number;
  readonly dual: boolean;
}

export interface SglangHashes {
  readonly contextHash: Uint32Array;
  readonly hashA: Uint32Array;
  readonly hashB: Uint32Array;
  readonly coin: Uint32Array;
}

/**
 * SGLang's hashes for positions offset+i, i in [0, n), of `full` (prompt + completion):
 * the context is the h tokens before the position (offset − h ≥ 0: full windows only).
 * Writes into out at index outAt + i.
 */
export function sglangHashesWasm(full: ArrayLike<number>, offset: number, n: number, h: number, keys: SglangKernelKeys, out: SglangHashes, outAt: number): void {
  if (offset - h < 0) throw new RangeError('sglangHashesWasm: every window must be inside the text');
  const inWords = BLOCK + h + 4;
  const s = kernel((inWords + 4 * BLOCK) * 4);
  const at = [inWords, inWords + BLOCK, inWords + 2 * BLOCK, inWords + 3 * BLOCK] as const;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    stage(s, 0, full, offset + i0 - h, offset + i0 + m, 0);
    s.k.sglang(0, m, h, keys.preA | 0, keys.preB | 0, keys.preCoin | 0, keys.dual ? 1 : 0, at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4);
    const o = outAt + i0;
    out.contextHash.set(s.u32.subarray(at[0], at[0] + m), o);
    out.hashA.set(s.u32.subarray(at[1], at[1] + m), o);
    if (keys.dual) {
      out.hashB.set(s.u32.subarray(at[2], at[2] + m), o);
      out.coin.set(s.u32.subarray(at[3], at[3] + m), o);
    }
  }
}

export interface SynthidKernelParams {
  /** LCG start (1 for HF, the IV for synthid-text) and the keys, as u32 words. */
  readonly start: { readonly hi: number; readonly lo: number };
  readonly keysHi: Uint32Array;
  readonly keysLo: Uint32Array;
  /** HF's sampling table (0/1 per entry, power-of-two size); null for synthid-text. */
  readonly table: Uint32Array | null;
}

/** Word offset of the SynthID table (after up to 64 i64 keys). */
const TABLE_AT = 128;

/**
 * SynthID's readings of every position of a text: the LCG state after the c tokens
 * before position i (zeros before the first token) into (ctxHi[i], ctxLo[i]), the number
 * of g-values equal to 1 over the keys into g[i], and with `layers` each g-value at
 * layers[i * depth + l].
 */
export function synthidWasm(p: SynthidKernelParams, tokens: ArrayLike<number>, c: number, ctxHi: Int32Array, ctxLo: Int32Array, g: Float64Array, layers?: Uint8Array): void {
  const n = tokens.length;
  const depth = p.keysHi.length;
  const tableBytes = p.table ? p.table.length : 0;
  const keysAt = 0; // words
  const tableAt = TABLE_AT; // words; the table is bytes from here
  const srcAt = tableAt + Math.ceil(tableBytes / 8) * 2;
  const staged = stagedTable;
  const ctxAt = srcAt + ((BLOCK + c + 5) & ~1);
  const gAt = ctxAt + 2 * BLOCK;
  const layersAt = gAt + BLOCK; // words; BLOCK * depth bytes from here when asked
  const s = kernel((layersAt + (layers ? Math.ceil((BLOCK * depth) / 4) : 0)) * 4);
  for (let l = 0; l < depth; l++) {
    s.u32[keysAt + 2 * l] = p.keysLo[l]!;
    s.u32[keysAt + 2 * l + 1] = p.keysHi[l]!;
  }
  if (p.table && staged !== p.table) {
    // one table serves every text of a spec: copied once, until another kernel call reuses the memory
    new Uint8Array(s.k.memory.buffer, tableAt * 4, tableBytes).set(p.table);
  }
  stagedTable = p.table;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    stage(s, srcAt, tokens, i0 - c, i0 + m, 0);
    const mask = p.table ? p.table.length - 1 : 0;
    s.k.synthid(srcAt * 4, m, c, p.start.lo | 0, p.start.hi | 0, keysAt * 4, depth, tableAt * 4, mask, p.table ? 0 : 1, ctxAt * 4, gAt * 4, layers ? layersAt * 4 : 0);
    if (layers) layers.set(new Uint8Array(s.k.memory.buffer, layersAt * 4, m * depth), i0 * depth);
    for (let i = 0; i < m; i++) {
      ctxLo[i0 + i] = s.i32[ctxAt + 2 * i]!;
      ctxHi[i0 + i] = s.i32[ctxAt + 2 * i + 1]!;
      g[i0 + i] = s.i32[gAt + i]!;
    }
  }
}

/**
 * HF SynthID's g-values of the candidates `ids` after a context whose LCG state has low
 * word hLo (embed/synthid.ts synthidReadPrepared): layers[i·depth + l], and the same bits
 * packed into lo/hi (bit l of hi[i]·2^32 + lo[i]). keysLo: the keys' low words; the table
 * (0/1 entries, power-of-two size) is staged once, as synthidWasm does.
 */
export function hfSynthidBitsWasm(ids: Int32Array, hLo: number, keysLo: Int32Array, table: Uint32Array, layers: Uint8Array, lo: Int32Array, hi: Int32Array): void {
  const n = ids.length;
  const depth = keysLo.length;
  const tableAt = TABLE_AT; // words; the table is bytes from here
  const idsAt = tableAt + Math.ceil(table.length / 8) * 2;
  const loAt = idsAt + BLOCK;
  const hiAt = loAt + BLOCK;
  const layersAt = hiAt + BLOCK; // BLOCK · depth bytes
  const staged = stagedTable;
  const s = kernel((layersAt + Math.ceil((BLOCK * depth) / 4)) * 4);
  for (let l = 0; l < depth; l++) s.i32[l] = keysLo[l]!;
  if (staged !== table) new Uint8Array(s.k.memory.buffer, tableAt * 4, table.length).set(table);
  stagedTable = table;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    s.i32.set(ids.subarray(i0, i0 + m), idsAt);
    s.k.hfSynthidBits(idsAt * 4, m, hLo | 0, 0, depth, tableAt * 4, table.length - 1, layersAt * 4, loAt * 4, hiAt * 4);
    layers.set(new Uint8Array(s.k.memory.buffer, layersAt * 4, m * depth), i0 * depth);
    lo.set(s.i32.subarray(loAt, loAt + m), i0);
    hi.set(s.i32.subarray(hiAt, hiAt + m), i0);
  }
}

/** SBW seeding: selfhash, or lefthash summing hashed ids (its detector) or raw ids (its generator). */
export type SbwKernelMode = 'selfhash' | 'lefthash-detector' | 'lefthash-generator';

/**
 * vLLM SBW's seed (seedHi[i], seedLo[i]) and Philox word of every position of a text: the
 * context of position i is tokens[i-w .. i), -1 before the first token.
 */
export function sbwWasm(key: { lo: number; hi: number }, tokens: ArrayLike<number>, w: number, mode: SbwKernelMode, seedHi: Uint32Array, seedLo: Uint32Array, words: Uint32Array): void {
  const n = tokens.length;
  const padWords = (BLOCK + w + 5) & ~1;
  const seedsAt = padWords, wordsAt = padWords + 2 * BLOCK;
  const s = kernel((wordsAt + BLOCK) * 4);
  const m0 = mode === 'selfhash' ? 0 : mode === 'lefthash-detector' ? 1 : 2;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = Math.min(BLOCK, n - i0);
    stage(s, 0, tokens, i0 - w, i0 + m, -1);
    s.k.sbw(0, m, w, key.lo | 0, key.hi | 0, m0, seedsAt * 4, wordsAt * 4);
    for (let i = 0; i < m; i++) {
      seedLo[i0 + i] = s.u32[seedsAt + 2 * i]!;
      seedHi[i0 + i] = s.u32[seedsAt + 2 * i + 1]!;
    }
    words.set(s.u32.subarray(wordsAt, wordsAt + m), i0);
  }
}
