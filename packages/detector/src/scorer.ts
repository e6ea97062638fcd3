/**
 * The scoring pass: token ids → per-position seeds, flags and scores.
 *
 * For every position i this decides, in this order:
 *   NO_CONTEXT  fewer than h tokens precede i (never watermarked, never scored);
 *   SPECIAL     the token is a special token (control tokens are not sampled text);
 *   EXCLUDED    the window (its seed) occurred inside a text given to the generator
 *               — prompt, system prompt, earlier turns — which the suspect may copy;
 *               for unigram (no window) the token itself must not occur there;
 *   DUPLICATE   the PRF input (token seed, token) was already scored in this text:
 *               identical inputs give identical scores, which breaks independence;
 *   SCORED      otherwise: one PRF call gives the score.
 *
 * Two engines compute the same thing. `reference` calls the Watermark class of
 * @tracemark/watermark position by position. `wasm` (the default) evaluates the
 * same SipHash-2-4 PRFs in batches with the WebAssembly kernels (≈10× faster
 * than SipHash in JS), so that detection costs little next to tokenization.
 * test/scorer.test.ts checks that both agree bit for bit for every scheme,
 * hashing mode and context width.
 */
import {
  assertKeyMatches,
  gMaskHi,
  gMaskLo,
  payloadColourOf,
  popcount32,
  unit53Of,
  Watermark,
  type WatermarkKey,
  type WatermarkSpec,
} from '@tracemark/watermark';
import { DetectorError } from './errors.js';
import {
  BLOCK,
  CSEED,
  CTOK,
  HASH,
  KEY_CTX,
  KEY_POS,
  KEY_SCHEME,
  OUT,
  POS,
  releaseLargeSet,
  scratchTuples,
  shared,
  TOKS,
  WIN,
  writeKey,
  ZERO,
} from './kernel/scratch.js';
import { ADDED, PRESENT, TupleSet } from './tupleset.js';

export const FLAG_SCORED = 0;
export const FLAG_DUPLICATE = 1;
export const FLAG_EXCLUDED = 2;
export const FLAG_NO_CONTEXT = 3;
export const FLAG_SPECIAL = 4;
export type TokenFlag = 0 | 1 | 2 | 3 | 4;
export const FLAG_NAMES = ['scored', 'duplicate', 'excluded', 'no-context', 'special'] as const;

export type Engine = 'wasm' | 'reference';

export interface ScoreOptions {
  /** Score each (window, token) tuple once per text (default true; false only for research). */
  dedup?: boolean;
  /** Windows (or, for unigram, tokens) the generator was given: positions using them are not scored. */
  exclude?: ExclusionSet;
  /** Per-position flags and scores (for marks and localisation). */
  perToken?: boolean;
  /** The scored tuples in order (for corpus-wide deduplication). */
  tuples?: boolean;
  /** KGW payload: digit position and colour of each scored tuple. */
  payload?: boolean;
}

/** Scored PRF inputs in text order. `hi/lo` are the token seed, `token` the token id. */
export interface TupleList {
  count: number;
  hi: Int32Array;
  lo: Int32Array;
  token: Int32Array;
  score: Float64Array;
}

export interface ScoredTokens {
  tokens: number;
  scored: number;
  duplicates: number;
  excluded: number;
  noContext: number;
  special: number;
  /** Σ score over scored positions. */
  sum: number;
  /** perToken: one TokenFlag per position. */
  flags?: Uint8Array;
  /** perToken: score per position (NaN where not scored). */
  scores?: Float64Array;
  tuples?: TupleList;
  /** payload: per scored tuple (in order) its digit position and colour (−1 = none). */
  payloadPos?: Uint8Array;
  payloadColour?: Int8Array;
}

/**
 * Windows given to the generator. Keys are window seeds — or, for unigram,
 * token ids — so the set depends on the key; build it with `Scorer.exclusionSet`.
 */
export class ExclusionSet {
  readonly set = new TupleSet();
  constructor(readonly keyFingerprint: string) {}
  get size(): number {
    return this.set.size;
  }
}

export class Scorer {
  readonly spec: WatermarkSpec;
  readonly wm: Watermark;
  readonly engine: Engine;
  readonly scheme: WatermarkSpec['scheme']['name'];
  readonly h: number;
  readonly mode: WatermarkSpec['context']['mode'];
  #specials: Set<number> = new Set();
  #minSpecial = Infinity;
  /** SipHash subkey limbs (context, scheme, payload-position), written into the kernel per call. */
  readonly #keyWords = new Uint32Array(12);

  constructor(spec: WatermarkSpec, key: WatermarkKey, engine: Engine = 'wasm') {
    assertKeyMatches(key, spec.keyFingerprint, { error: (m) => new DetectorError('WRONG_KEY', m) });
    this.spec = spec;
    this.wm = new Watermark(spec, key);
    this.engine = engine;
    this.scheme = spec.scheme.name;
    this.h = this.wm.contextWidth;
    this.mode = spec.context.mode;
    if (engine === 'wasm') {
      writeKey(this.#keyWords, KEY_CTX, key.subkey('context'));
      writeKey(this.#keyWords, KEY_SCHEME, key.subkey(spec.scheme.name));
      writeKey(this.#keyWords, KEY_POS, key.subkey('payload-position'));
    }
  }

  /** Token ids that are flagged SPECIAL instead of scored. */
  setSpecialTokens(ids: Iterable<number>): void {
    this.#specials = new Set(ids);
    this.#minSpecial = Math.min(Infinity, ...this.#specials);
  }

  /** Add the windows of each text (token ids) to an exclusion set. */
  exclusionSet(texts: Iterable<ArrayLike<number>>, into?: ExclusionSet): ExclusionSet {
    const ex = into ?? new ExclusionSet(this.spec.keyFingerprint);
    if (ex.keyFingerprint !== this.spec.keyFingerprint) {
      throw new DetectorError('WRONG_KEY', 'exclusion set was built with a different key');
    }
    for (const toks of texts) {
      if (this.scheme === 'unigram') {
        for (let i = 0; i < toks.length; i++) ex.set.add(0, 0, toks[i]!);
        continue;
      }
      const w = { hi: 0, lo: 0 };
      // windows fully inside the text: ends h .. length (the last one seeds the first generated token)
      for (let end = this.h; end <= toks.length; end++) {
        this.wm.windowSeed(toks, end, w);
        ex.set.add(w.hi, w.lo, 0);
      }
    }
    return ex;
  }

  score(tokens: ArrayLike<number>, opts: ScoreOptions = {}): ScoredTokens {
    const n = tokens.length;
    validateTokens(tokens);
    if (opts.exclude && opts.exclude.keyFingerprint !== this.spec.keyFingerprint) {
      throw new DetectorError('WRONG_KEY', 'exclusion set was built with a different key');
    }
    const out: ScoredTokens = {
      tokens: n,
      scored: 0,
      duplicates: 0,
      excluded: 0,
      noContext: 0,
      special: 0,
      sum: 0,
    };
    if (opts.perToken) {
      out.flags = new Uint8Array(n);
      out.scores = new Float64Array(n).fill(NaN);
    }
    if (opts.tuples) out.tuples = scratchTuples(n); // filled here, copied out at exact size below
    if (opts.payload) {
      if (!this.spec.payload) throw new DetectorError('NO_PAYLOAD', 'the spec has no payload');
      out.payloadPos = new Uint8Array(n);
      out.payloadColour = new Int8Array(n);
    }
    const dedup = opts.dedup ?? true;
    const set = shared().set;
    set.clear();
    if (dedup) set.reserve(n);
    if (this.engine === 'wasm') this.#scoreWasm(tokens, dedup, opts.exclude, out, set);
    else this.#scoreReference(tokens, dedup, opts.exclude, out, set);
    releaseLargeSet();
    if (out.tuples) {
      // fresh exact-size arrays: callers keep or transfer them, and n-sized ones would mostly be empty
      const t = out.tuples, c = out.scored;
      out.tuples = { count: c, hi: t.hi.slice(0, c), lo: t.lo.slice(0, c), token: t.token.slice(0, c), score: t.score.slice(0, c) };
    }
    if (out.payloadPos) {
      out.payloadPos = out.payloadPos.subarray(0, out.scored);
      out.payloadColour = out.payloadColour!.subarray(0, out.scored);
    }
    return out;
  }

  #record(out: ScoredTokens, i: number, hi: number, lo: number, token: number, s: number): void {
    const c = out.scored++;
    out.sum += s;
    if (out.scores) out.scores[i] = s;
    if (out.tuples) {
      out.tuples.hi[c] = hi;
      out.tuples.lo[c] = lo;
      out.tuples.token[c] = token;
      out.tuples.score[c] = s;
    }
  }

  #flag(out: ScoredTokens, i: number, f: TokenFlag): void {
    if (out.flags) out.flags[i] = f;
    if (f === FLAG_DUPLICATE) out.duplicates++;
    else if (f === FLAG_EXCLUDED) out.excluded++;
    else if (f === FLAG_NO_CONTEXT) out.noContext++;
    else if (f === FLAG_SPECIAL) out.special++;
  }

  #scoreReference(tokens: ArrayLike<number>, dedup: boolean, exclude: ExclusionSet | undefined, out: ScoredTokens, set: TupleSet): void {
    const wm = this.wm;
    const w = { hi: 0, lo: 0 }, s = { hi: 0, lo: 0 };
    const unigram = this.scheme === 'unigram';
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (!wm.windowSeed(tokens, i, w)) {
        this.#flag(out, i, FLAG_NO_CONTEXT);
        continue;
      }
      if (tok >= this.#minSpecial && this.#specials.has(tok)) {
        this.#flag(out, i, FLAG_SPECIAL);
        continue;
      }
      if (exclude && (unigram ? exclude.set.has(0, 0, tok) : exclude.set.has(w.hi, w.lo, 0))) {
        this.#flag(out, i, FLAG_EXCLUDED);
        continue;
      }
      wm.tokenSeed(w, tok, s);
      if (dedup && set.add(s.hi, s.lo, tok) === PRESENT) {
        this.#flag(out, i, FLAG_DUPLICATE);
        continue;
      }
      const c = out.scored;
      if (out.payloadPos) {
        out.payloadPos[c] = wm.payloadPosition(w, tok);
        out.payloadColour![c] = wm.payloadColour(w, tok);
      }
      this.#record(out, i, s.hi | 0, s.lo | 0, tok, wm.score(w, tok));
    }
  }

  #scoreWasm(tokens: ArrayLike<number>, dedup: boolean, exclude: ExclusionSet | undefined, out: ScoredTokens, set: TupleSet): void {
    const sh = shared();
    const K = sh.k, u32 = sh.u32, i32 = sh.i32;
    u32.set(this.#keyWords, KEY_CTX >> 2); // this scorer's keys (the kernel is shared by all scorers of the thread)
    const h = this.h, n = tokens.length;
    const unigram = this.scheme === 'unigram', self = this.mode === 'self', left = this.mode === 'left';
    const T = this.wm.threshold;
    const kgwLike = this.scheme === 'kgw' || unigram;
    const payload = out.payloadPos !== undefined;
    const B = this.wm.payloadDigits, R = this.wm.payloadColours;
    const excl = exclude?.set;
    const minSpecial = this.#minSpecial;
    const cIdx = sh.cIdx, sc = sh.sc;
    const layers = this.spec.scheme.name === 'synthid' ? this.spec.scheme.layers : 0;
    const loMask = gMaskLo(layers), hiMask = gMaskHi(layers);

    for (let s = 0; s < n; s += BLOCK) {
      const e = Math.min(n, s + BLOCK);
      // Window seeds for positions [s, e): copy tokens[base, e) into the kernel and hash.
      const base = Math.max(0, s - h);
      const m = e - base;
      const tokOff = TOKS >> 2;
      if (tokens instanceof Uint32Array) u32.set(tokens.subarray(base, e), tokOff);
      else for (let j = 0; j < m; j++) u32[tokOff + j] = tokens[base + j]!;
      if (!unigram) {
        if (left) K.winLeft(KEY_CTX, TOKS, m, h, WIN);
        else {
          K.hashTokens(KEY_CTX, TOKS, m, HASH);
          K.winMin(HASH, m, h, WIN);
        }
      }
      // Decide each position; compact the positions to score.
      let c = 0;
      const cs = CSEED >> 2, ct = CTOK >> 2, wo = WIN >> 2, ho = HASH >> 2;
      for (let i = s; i < e; i++) {
        if (i < h) {
          this.#flag(out, i, FLAG_NO_CONTEXT);
          continue;
        }
        const tok = tokens[i]!;
        if (tok >= minSpecial && this.#specials.has(tok)) {
          this.#flag(out, i, FLAG_SPECIAL);
          continue;
        }
        let hi = 0, lo = 0;
        if (!unigram) {
          const w = wo + 2 * (i - h - base);
          lo = i32[w]!;
          hi = i32[w + 1]!;
        }
        if (excl !== undefined && (unigram ? excl.has(0, 0, tok) : excl.has(hi, lo, 0))) {
          this.#flag(out, i, FLAG_EXCLUDED);
          continue;
        }
        if (self) {
          // token seed = min(window min-seed, H(token)), unsigned 64-bit comparison
          const t = ho + 2 * (i - base);
          const th = i32[t + 1]!, tl = i32[t]!;
          if (th >>> 0 < hi >>> 0 || (th === hi && tl >>> 0 < lo >>> 0)) {
            hi = th;
            lo = tl;
          }
        }
        if (dedup && set.add(hi, lo, tok) !== ADDED) {
          this.#flag(out, i, FLAG_DUPLICATE);
          continue;
        }
        i32[cs + 2 * c] = lo;
        i32[cs + 2 * c + 1] = hi;
        u32[ct + c] = tok;
        cIdx[c] = i;
        c++;
      }
      if (c === 0) continue;
      K.prf(KEY_SCHEME, CSEED, CTOK, c, OUT);
      const oo = OUT >> 2;
      // scores of the block, one tight loop per scheme (must match Watermark.score)
      const c0 = out.scored;
      if (kgwLike && !out.scores && !out.tuples) {
        // plain detection: only the green count is needed (an integer: summation order is irrelevant)
        let g = 0;
        for (let j = 0; j < c; j++) if (u32[oo + 2 * j + 1]! < T) g++;
        out.sum += g;
      } else {
        if (kgwLike) {
          for (let j = 0; j < c; j++) sc[j] = u32[oo + 2 * j + 1]! < T ? 1 : 0;
        } else if (layers > 0) {
          for (let j = 0; j < c; j++) sc[j] = popcount32(u32[oo + 2 * j]! & loMask) + popcount32(u32[oo + 2 * j + 1]! & hiMask);
        } else {
          // gumbel: −ln(1 − r), r = unit53(x)
          for (let j = 0; j < c; j++) sc[j] = -Math.log1p(-unit53Of(u32[oo + 2 * j + 1]!, u32[oo + 2 * j]!));
        }
        // sequential, in text order: the same rounding as the reference engine
        let sum = out.sum;
        for (let j = 0; j < c; j++) sum += sc[j]!;
        out.sum = sum;
        if (out.scores) for (let j = 0; j < c; j++) out.scores[cIdx[j]!] = sc[j]!;
        if (out.tuples) {
          const t = out.tuples;
          for (let j = 0; j < c; j++) {
            t.lo[c0 + j] = i32[cs + 2 * j]!;
            t.hi[c0 + j] = i32[cs + 2 * j + 1]!;
            t.token[c0 + j] = u32[ct + j]!;
            t.score[c0 + j] = sc[j]!;
          }
        }
      }
      out.scored += c;
      if (payload) {
        K.prf(KEY_POS, CSEED, ZERO, c, POS);
        const po = POS >> 2;
        for (let j = 0; j < c; j++) {
          out.payloadPos![c0 + j] = u32[po + 2 * j]! % B;
          out.payloadColour![c0 + j] = payloadColourOf(u32[oo + 2 * j + 1]!, T, R);
        }
      }
    }
  }
}

/** Token ids must be integers in [0, 2^32): anything else would hash as something it is not. */
export function validateTokens(tokens: ArrayLike<number>): void {
  if (tokens instanceof Uint32Array) return;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) {
      throw new DetectorError('BAD_TOKENS', `token ${i} is ${t}: token ids must be integers in [0, 2^32)`);
    }
  }
}
