/**
 * Text → token ids with tiktoken (WASM), bounded so that no input can stall a scan.
 *
 * - `encode_ordinary`: a user text containing "<|endoftext|>" is ordinary text
 *   (those characters are tokenized, never turned into the special token). Such
 *   strings are counted and reported (`specialStrings`).
 * - One tiktoken encoder per encoding per thread, shared by all Tokenizers and
 *   reference-counted: the WASM memory is freed when the last user disposes
 *   (`pinnedEncoder` holds one reference for good: the LM package uses it).
 * - BPE is quadratic in the length of one regex piece ("a" × 100 000 takes
 *   seconds). Pieces never cross a whitespace/non-whitespace boundary by more
 *   than one character, so cutting every run of non-whitespace (or of
 *   whitespace) longer than `maxRunChars` into chunks of that size bounds the
 *   cost to O(length × maxRunChars). Tokens at such a cut may differ from a
 *   whole-text encoding; all text is still encoded and scored; each cut run is
 *   counted in `chunkedRuns`. Ordinary prose has no such runs and is unaffected.
 * - Long texts are encoded in segments of ~`segmentChars`, cut only right before
 *   " x" (a space then an ASCII letter, after a non-space), where every tiktoken
 *   pattern starts a new piece: the result equals the whole-text encoding
 *   (tested), and the WASM heap — which never shrinks — stays small.
 * - A hard cap (`maxTextChars`, default 50 000 000 UTF-16 units ≈ 50 MB) rejects
 *   larger documents with TEXT_TOO_LARGE instead of exhausting memory.
 */
import { get_encoding, type Tiktoken, type TiktokenEncoding } from 'tiktoken';
import { TIKTOKEN_ENCODINGS } from '@tracemark/watermark';
import { DetectorError } from './errors.js';

export type EncodingName = (typeof TIKTOKEN_ENCODINGS)[number];

export interface TokenizerOptions {
  /** Longest run of whitespace or non-whitespace encoded in one piece (default 256). */
  maxRunChars?: number;
  /** Largest text accepted, in UTF-16 code units (default 50 000 000). */
  maxTextChars?: number;
  /** Target segment length for long texts (default 65 536). */
  segmentChars?: number;
}

export interface Encoded {
  tokens: Uint32Array;
  /** Runs longer than maxRunChars that were cut into chunks (tokens at the cuts may differ). */
  chunkedRuns: number;
  /** Occurrences of the encoding's special-token strings, tokenized as ordinary text. */
  specialStrings: number;
}

export const DEFAULT_MAX_RUN_CHARS = 256;
export const DEFAULT_MAX_TEXT_CHARS = 50_000_000;
const DEFAULT_SEGMENT_CHARS = 65_536;
/**
 * The special tokens of each encoding (tiktoken's published tables; a test
 * checks them against the encoder). Known without loading the encoder, so
 * pre-tokenized detection never pays the ~0.3 s encoder load.
 */
export const SPECIAL_TOKENS: Readonly<Record<EncodingName, Readonly<Record<string, number>>>> = {
  o200k_base: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 },
  cl100k_base: {
    '<|endoftext|>': 100257,
    '<|fim_prefix|>': 100258,
    '<|fim_middle|>': 100259,
    '<|fim_suffix|>': 100260,
    '<|endofprompt|>': 100276,
  },
  p50k_base: { '<|endoftext|>': 50256 },
  r50k_base: { '<|endoftext|>': 50256 },
  gpt2: { '<|endoftext|>': 50256 },
};

interface Shared {
  enc: Tiktoken;
  refs: number;
  specials: Map<string, number>;
  /** UTF-8 byte length per token id (0 = not yet looked up). */
  byteLen: Int32Array;
}
const shared = new Map<string, Shared>();

function acquire(name: EncodingName): Shared {
  let s = shared.get(name);
  if (!s) {
    const enc = get_encoding(name as TiktokenEncoding);
    const specials = new Map<string, number>(Object.entries(SPECIAL_TOKENS[name]));
    s = { enc, refs: 0, specials, byteLen: new Int32Array(0) };
    shared.set(name, s);
  }
  s.refs++;
  return s;
}

function release(name: string): void {
  const s = shared.get(name);
  if (!s) return;
  if (--s.refs <= 0) {
    s.enc.free();
    shared.delete(name);
  }
}

const pinned = new Map<string, Shared>();

/**
 * The thread's encoder for a caller with no dispose point (the reference LM, the
 * generation loop, detokenizers): it takes one reference for the life of the thread,
 * so it shares the encoder with every Tokenizer and is never freed.
 */
export function pinnedEncoder(name: EncodingName): Tiktoken {
  let s = pinned.get(name);
  if (!s) {
    s = acquire(name);
    pinned.set(name, s);
  }
  return s.enc;
}

/** Number of encoders currently held in this thread (for tests and leak checks). */
export function liveEncoders(): number {
  return shared.size;
}

export function isTiktokenEncoding(name: string): name is EncodingName {
  return (TIKTOKEN_ENCODINGS as readonly string[]).includes(name);
}

/** Unicode White_Space (what tiktoken's \s matches). */
function isWs(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    (c > 127 &&
      (c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000))
  );
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Options with defaults applied; BAD_OPTION for values out of range. */
export function resolveTokenizerOptions(opts: TokenizerOptions = {}): Required<TokenizerOptions> {
  return {
    maxRunChars: intOption('maxRunChars', opts.maxRunChars ?? DEFAULT_MAX_RUN_CHARS, 16, 1 << 20),
    maxTextChars: intOption('maxTextChars', opts.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS, 1, 2 ** 30),
    segmentChars: intOption('segmentChars', opts.segmentChars ?? DEFAULT_SEGMENT_CHARS, 64, 2 ** 30),
  };
}

export class Tokenizer {
  readonly encoding: EncodingName;
  readonly maxRunChars: number;
  readonly maxTextChars: number;
  readonly segmentChars: number;
  #s: Shared | undefined;

  constructor(encoding: string, opts: TokenizerOptions = {}) {
    if (!isTiktokenEncoding(encoding)) {
      throw new DetectorError(
        'SPEC_MISMATCH',
        `tokenizer "${encoding}" is not a tiktoken encoding (hf:<directory> tokenizers: createTokenizer)`,
      );
    }
    const o = resolveTokenizerOptions(opts);
    this.maxRunChars = o.maxRunChars;
    this.maxTextChars = o.maxTextChars;
    this.segmentChars = o.segmentChars;
    this.encoding = encoding;
    this.#s = acquire(encoding);
  }

  #shared(): Shared {
    if (!this.#s) throw new Error('Tokenizer used after dispose()');
    return this.#s;
  }

  /** Special-token ids of this encoding (never produced by `encode`; flagged in pre-tokenized input). */
  get specialTokenIds(): ReadonlySet<number> {
    return new Set(this.#shared().specials.values());
  }

  encode(text: string): Encoded {
    const s = this.#shared();
    if (text.length > this.maxTextChars) {
      throw new DetectorError(
        'TEXT_TOO_LARGE',
        `text has ${text.length} characters, above the per-document cap of ${this.maxTextChars}`,
      );
    }
    const enc = s.enc;
    const parts: Uint32Array[] = [];
    let total = 0;
    const push = (a: Uint32Array): void => {
      if (a.length > 0) {
        parts.push(a);
        total += a.length;
      }
    };
    const L = this.maxRunChars, S = this.segmentChars;
    // ordinary text [from, to): whole, or in segments cut where tokenization cannot change
    const encodeSpan = (from: number, to: number): void => {
      while (to - from > S) {
        const cut = safeCut(text, from + S, to);
        if (cut < 0) break;
        push(enc.encode_ordinary(text.slice(from, cut)));
        from = cut;
      }
      if (to > from) push(enc.encode_ordinary(from === 0 && to === text.length ? text : text.slice(from, to)));
    };
    const runs = longRuns(text, L);
    let pos = 0;
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r]!, b = runs[r + 1]!;
      encodeSpan(pos, a);
      for (let x = a; x < b; ) {
        let y = Math.min(x + L, b);
        // never split a surrogate pair
        if (y < b && (text.charCodeAt(y) & 0xfc00) === 0xdc00 && (text.charCodeAt(y - 1) & 0xfc00) === 0xd800) y--;
        push(enc.encode_ordinary(text.slice(x, y)));
        x = y;
      }
      pos = b;
    }
    encodeSpan(pos, text.length);
    let tokens: Uint32Array;
    if (parts.length === 1) tokens = parts[0]!;
    else {
      tokens = new Uint32Array(total);
      let o = 0;
      for (const p of parts) {
        tokens.set(p, o);
        o += p.length;
      }
    }
    return { tokens, chunkedRuns: runs.length / 2, specialStrings: countSpecialStrings(text, s.specials) };
  }

  /** UTF-8 byte length of each token (tokens must come from `encode`). */
  tokenByteLengths(tokens: ArrayLike<number>): Int32Array {
    const s = this.#shared();
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t >= s.byteLen.length) {
        const grown = new Int32Array(Math.max(t + 1, s.byteLen.length * 2, 1024));
        grown.set(s.byteLen);
        s.byteLen = grown;
      }
      let len = s.byteLen[t]!;
      if (len === 0) {
        len = s.enc.decode_single_token_bytes(t).length;
        s.byteLen[t] = len;
      }
      out[i] = len;
    }
    return out;
  }

  /**
   * UTF-16 offsets of token boundaries: token k covers text[off[k], off[k+1]).
   * A boundary inside a multi-byte character is moved to that character's start,
   * so a token holding only part of a character may have an empty span.
   */
  charOffsets(text: string, tokens: ArrayLike<number>): Int32Array {
    return offsetsFromByteLengths(text, this.tokenByteLengths(tokens));
  }

  /** Release this tokenizer's hold on the shared encoder (freed with the last holder). */
  dispose(): void {
    if (this.#s) {
      this.#s = undefined;
      release(this.encoding);
    }
  }
}

/**
 * UTF-16 offsets of token boundaries from the tokens' UTF-8 byte lengths: token k
 * covers text[off[k], off[k+1]). A boundary inside a multi-byte character is moved
 * to that character's start, so a token holding only part of a character may have
 * an empty span.
 */
export function offsetsFromByteLengths(text: string, lens: Int32Array): Int32Array {
  const n = lens.length;
  const off = new Int32Array(n + 1);
  let byte = 0; // UTF-8 offset of text[ci]
  let ci = 0;
  let target = 0;
  for (let k = 0; k <= n; k++) {
    // advance ci while the next character starts at or before `target`
    while (ci < text.length) {
      const c = text.charCodeAt(ci);
      let w: number, units: number;
      if (c < 0x80) (w = 1), (units = 1);
      else if (c < 0x800) (w = 2), (units = 1);
      else if ((c & 0xfc00) === 0xd800 && ci + 1 < text.length && (text.charCodeAt(ci + 1) & 0xfc00) === 0xdc00)
        (w = 4), (units = 2);
      else (w = 3), (units = 1); // BMP, or a lone surrogate (encoded as U+FFFD)
      if (byte + w > target) break;
      byte += w;
      ci += units;
    }
    off[k] = ci;
    if (k < n) target += lens[k]!;
  }
  return off;
}

/**
 * Maximal runs of whitespace or of non-whitespace longer than L, as a flat list
 * [start, end, start, end, …]. Reads ~1 character in 20 of ordinary text: a run
 * longer than L ≥ 2S contains two consecutive multiples of S = ⌊L/2⌋, so only
 * pairs of sample points S apart that agree in class need a closer look.
 */
export function longRuns(text: string, L: number): number[] {
  const n = text.length, S = Math.max(1, L >> 1);
  const out: number[] = [];
  let p = 0;
  while (p + S < n) {
    const ws = isWs(text.charCodeAt(p));
    if (isWs(text.charCodeAt(p + S)) !== ws) {
      p += S;
      continue;
    }
    let q = p + 1;
    while (q < p + S && isWs(text.charCodeAt(q)) === ws) q++;
    if (q < p + S) {
      p += S;
      continue;
    }
    // [p, p+S] is one run: find its ends
    let a = p, b = p + S + 1;
    while (a > 0 && isWs(text.charCodeAt(a - 1)) === ws) a--;
    while (b < n && isWs(text.charCodeAt(b)) === ws) b++;
    if (b - a > L) out.push(a, b);
    p = Math.ceil(b / S) * S;
  }
  return out;
}

/** First i in [from, to − 1) with text[i] = " ", text[i−1] not whitespace, text[i+1] an ASCII letter; −1 if none. */
function safeCut(text: string, from: number, to: number): number {
  for (let i = text.indexOf(' ', from); i >= 0 && i + 1 < to; i = text.indexOf(' ', i + 1)) {
    if (!isWs(text.charCodeAt(i - 1)) && isAsciiLetter(text.charCodeAt(i + 1))) return i;
  }
  return -1;
}

function countSpecialStrings(text: string, specials: Map<string, number>): number {
  if (text.indexOf('<|') < 0) return 0;
  let n = 0;
  for (const str of specials.keys()) {
    for (let i = text.indexOf(str); i >= 0; i = text.indexOf(str, i + str.length)) n++;
  }
  return n;
}

export function intOption(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DetectorError('BAD_OPTION', `${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}
