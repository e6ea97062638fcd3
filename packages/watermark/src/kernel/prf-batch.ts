/**
 * The token PRF over a whole candidate array: what the Gumbel and SynthID samplers need
 * (every candidate's x = SipHash-2-4(k, LE64(seed) ‖ LE32(token)), prf.ts). One call per
 * step instead of one JavaScript SipHash per candidate.
 *
 * Backends, best first: WebAssembly with SIMD (four tokens per iteration), WebAssembly
 * scalar, plain JavaScript (siphash-fast.ts) where WebAssembly is missing or refused
 * (a browser page whose Content-Security-Policy forbids compiling it). All three give
 * the same words (test/kernel/prf-batch.test.ts).
 *
 * Results are views into the backend's memory: valid until the next call on this thread
 * (the samplers consume them within the step). The key is written into the module's
 * memory for the call and zeroed after it.
 */
import { sipSeedToken, type SipKey, type U64 } from '../siphash.js';
import type { Seed } from '../window.js';
import { tournament } from '../sampling/tournament.js';
import { prfModuleBytes } from './prf-module.js';

export type PrfBackend = 'simd' | 'wasm' | 'js';

/** The 64-bit PRF outputs of ids[0..n) as 32-bit words: x_i = hi[i]·2^32 + lo[i] (read with >>> 0). */
export interface PrfWords {
  lo: Int32Array;
  hi: Int32Array;
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type Kernel = (key: number, seed: number, toks: number, n: number, lo: number, hi: number) => void;
interface PrfExports {
  memory: WasmMemory;
  prfSeed: Kernel;
  prfSeeds: Kernel;
  prfSeedSimd?: Kernel;
  tournament(p: number, lo: number, hi: number, n: number, layers: number, factors: number, clamp: number): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const KEY = 0;
const SEED = 16;
const FACTORS = 32;
const DATA = 64;

/** Instantiate the best WebAssembly module this runtime accepts, or null (then: JavaScript). */
function instantiate(simd: boolean): PrfExports | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  for (const withSimd of simd ? [true, false] : [false]) {
    try {
      const inst = new api.Instance(new api.Module(prfModuleBytes(withSimd)), {});
      return inst.exports as PrfExports;
    } catch {
      // no SIMD (older runtimes), or compiling refused (CSP): try the next option
    }
  }
  return null;
}

export class PrfBatch {
  readonly backend: PrfBackend;
  readonly #k: PrfExports | null;
  #cap = 0;
  #u32 = new Uint32Array(0);
  #i32 = new Int32Array(0);
  #lo = new Int32Array(0);
  #hi = new Int32Array(0);
  #seeds = new Uint32Array(0);
  #p = new Float64Array(0);
  #pWords = new Int32Array(0);
  readonly #x: U64 = { hi: 0, lo: 0 };
  readonly #s: Seed = { hi: 0, lo: 0 };

  /** `prefer` caps the backend (tests force 'wasm' or 'js'); the default is the best available. */
  constructor(prefer: PrfBackend = 'simd') {
    this.#k = prefer === 'js' ? null : instantiate(prefer === 'simd');
    this.backend = this.#k === null ? 'js' : this.#k.prfSeedSimd ? 'simd' : 'wasm';
  }

  /** x_i = SipHash(key, LE64(seed) ‖ LE32(ids[i])) for i < n: one seed for every token. */
  fixedSeed(key: SipKey, seedHi: number, seedLo: number, ids: Int32Array, n: number): PrfWords {
    this.#ensure(n);
    const k = this.#k;
    if (k === null) {
      const [lo, hi, x] = [this.#lo, this.#hi, this.#x];
      for (let i = 0; i < n; i++) {
        sipSeedToken(key, seedHi, seedLo, ids[i]!, x);
        lo[i] = x.lo | 0;
        hi[i] = x.hi | 0;
      }
      return { lo, hi };
    }
    const u32 = this.#u32;
    u32[SEED >> 2] = seedLo;
    u32[(SEED >> 2) + 1] = seedHi;
    return this.#call(k.prfSeedSimd ?? k.prfSeed, key, SEED, ids, n);
  }

  /** x_i with a seed per token: seedOf(ids[i], out) gives it (self context mode). */
  perTokenSeed(key: SipKey, ids: Int32Array, n: number, seedOf: (token: number, out: Seed) => Seed): PrfWords {
    this.#ensure(n);
    const k = this.#k;
    const s = this.#s;
    if (k === null) {
      const [lo, hi, x] = [this.#lo, this.#hi, this.#x];
      for (let i = 0; i < n; i++) {
        const v = ids[i]!;
        seedOf(v, s);
        sipSeedToken(key, s.hi, s.lo, v, x);
        lo[i] = x.lo | 0;
        hi[i] = x.hi | 0;
      }
      return { lo, hi };
    }
    const seeds = this.#seeds;
    for (let i = 0; i < n; i++) {
      seedOf(ids[i]!, s);
      seeds[2 * i] = s.lo;
      seeds[2 * i + 1] = s.hi;
    }
    return this.#call(k.prfSeeds, key, this.#seedsOffset(), ids, n);
  }

  /**
   * Room for the n probabilities that tournament() transforms, after a PRF call for the
   * same n: `p` (≥ n slots) and `words`, its buffer as Int32 (each p's high word holds its
   * exponent). Views valid until the next call.
   */
  probs(): { p: Float64Array; words: Int32Array } {
    return { p: this.#p, words: this.#pWords };
  }

  /**
   * SynthID: probs().p[0..n) becomes the tournament winner's law over `layers` layers,
   * g_l(ids[i]) = bit l of the words the last PRF call returned; in WebAssembly
   * (tournament-module.ts) or sampling/tournament.ts, the same floats.
   */
  tournament(n: number, layers: number): void {
    const k = this.#k;
    if (k === null) tournament(this.#p, n, this.#lo, this.#hi, layers);
    else k.tournament(this.#pOffset(), DATA + 4 * this.#cap, DATA + 8 * this.#cap, n, layers, FACTORS, 1);
  }

  /**
   * The engines' SynthID reweighting (engines/embed/common.ts tournamentReweightWords: for
   * each layer p ← p · (1 + g_l − Σ_{g_l(v)=1} p_v), no clamp) in WebAssembly: g_l = bit l
   * of hi[i]·2^32 + lo[i] (hi null: 0). A new array with the same floats, or null on the
   * JavaScript backend (the caller keeps its own loop there).
   */
  reweight(probs: Float64Array, lo: ArrayLike<number>, hi: ArrayLike<number> | null, layers: number): Float64Array | null {
    const k = this.#k;
    if (k === null) return null;
    const n = probs.length;
    this.#ensure(n);
    this.#p.set(probs);
    const [L, H] = [this.#lo, this.#hi];
    for (let i = 0; i < n; i++) L[i] = lo[i]! | 0;
    if (hi) for (let i = 0; i < n; i++) H[i] = hi[i]! | 0;
    else H.fill(0, 0, n);
    k.tournament(this.#pOffset(), DATA + 4 * this.#cap, DATA + 8 * this.#cap, n, layers, FACTORS, 0);
    return this.#p.slice(0, n);
  }

  #call(kernel: Kernel, key: SipKey, seedPtr: number, ids: Int32Array, n: number): PrfWords {
    const u32 = this.#u32;
    u32[0] = key.k0l;
    u32[1] = key.k0h;
    u32[2] = key.k1l;
    u32[3] = key.k1h;
    const cap = this.#cap;
    this.#i32.set(n === ids.length ? ids : ids.subarray(0, n), DATA >> 2);
    kernel(KEY, seedPtr, DATA, n, DATA + 4 * cap, DATA + 8 * cap);
    u32.fill(0, 0, 4);
    return { lo: this.#lo, hi: this.#hi };
  }

  #seedsOffset(): number {
    return DATA + 12 * this.#cap;
  }

  #pOffset(): number {
    return DATA + 20 * this.#cap;
  }

  /** Room for n tokens: toks, lo, hi (4 bytes each), seeds and p (8 bytes each) per token. */
  #ensure(n: number): void {
    if (this.#cap > 0 && n <= this.#cap) return; // (the first call allocates, even for n = 0)
    let cap = Math.max(1024, this.#cap);
    while (cap < n) cap *= 2;
    this.#cap = cap;
    const k = this.#k;
    if (k === null) {
      this.#lo = new Int32Array(cap);
      this.#hi = new Int32Array(cap);
      this.#p = new Float64Array(cap);
      this.#pWords = new Int32Array(this.#p.buffer);
      return;
    }
    const need = DATA + 28 * cap;
    const have = k.memory.buffer.byteLength;
    if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
    const buf = k.memory.buffer;
    this.#u32 = new Uint32Array(buf);
    this.#i32 = new Int32Array(buf);
    this.#lo = new Int32Array(buf, DATA + 4 * cap, cap);
    this.#hi = new Int32Array(buf, DATA + 8 * cap, cap);
    this.#seeds = new Uint32Array(buf, this.#seedsOffset(), 2 * cap);
    this.#p = new Float64Array(buf, this.#pOffset(), cap);
    this.#pWords = new Int32Array(buf, this.#pOffset(), 2 * cap);
  }
}

let shared: PrfBatch | undefined;

/** This thread's batch PRF (one module instance, created on first use). */
export function prfBatch(): PrfBatch {
  shared ??= new PrfBatch();
  return shared;
}
