/**
 * `hf:<directory>` tokenizers: a model's own tokenizer.json (and tokenizer_config.json
 * when the directory has one), loaded from local files with the pure-JS
 * @huggingface/tokenizers — the tokenizer code transformers.js itself uses
 * (@tracemark/lm loads the same two files through transformers.js's AutoTokenizer,
 * also local files only). Nothing is ever downloaded.
 *
 * - The id is `hf:` then a path, relative to the working directory or absolute.
 * - `encode` adds no special tokens (no BOS): the ids are those of the text alone,
 *   as a model emits them after its prompt. Unlike the tiktoken path, the model's
 *   added-token strings in the text (e.g. "<|im_end|>") become their special ids, as
 *   the Hugging Face tokenizer does; they are counted in `specialStrings` and the
 *   scorer flags those positions SPECIAL (never scored).
 * - Special ids are the added tokens marked `special` in tokenizer.json; the
 *   vocabulary size is one more than the largest id of the vocabulary or of the
 *   added tokens. `checkIds` refuses any id outside it (BAD_TOKENS, naming id and size).
 * - One parsed tokenizer per directory per thread, shared by every user.
 * - The same bounds as tiktoken: `maxTextChars` caps a document; runs of more than
 *   `maxRunChars` whitespace or non-whitespace characters are encoded in chunks
 *   (counted in `chunkedRuns`), which bounds the per-piece BPE cost.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer as HfCore } from '@huggingface/tokenizers';
import { DetectorError } from '../errors.js';
import type { Encoded, TokenizerOptions } from '../tokenizer.js';
import { longRuns, offsetsFromByteLengths, resolveTokenizerOptions } from '../tokenizer.js';
import { BYTE_OF_CHAR } from './byte-level.js';

export const HF_PREFIX = 'hf:';

export function isHfTokenizerId(id: string): boolean {
  return id.startsWith(HF_PREFIX) && id.length > HF_PREFIX.length;
}

/** The absolute directory an `hf:<path>` id names (not checked). */
export function hfTokenizerDir(id: string): string {
  if (!isHfTokenizerId(id)) throw new DetectorError('SPEC_MISMATCH', `tokenizer "${id}" is not of the form hf:<directory>`);
  return resolve(id.slice(HF_PREFIX.length));
}

/** True when `id` is `hf:<path>` and that path is a directory holding tokenizer.json. */
export function hfTokenizerAvailable(id: string): boolean {
  if (!isHfTokenizerId(id)) return false;
  const dir = hfTokenizerDir(id);
  return existsSync(join(dir, 'tokenizer.json'));
}

interface Loaded {
  core: HfCore;
  dir: string;
  vocabSize: number;
  specials: Map<string, number>;
  /** Per-id UTF-8 byte length of the token's bytes (-1 = not yet computed). */
  byteLen: Int32Array;
  byteLevel: boolean;
  cleanUp: boolean;
  /** One pass over a text finds every special-token string (longest first), or null if none. */
  specialRe: RegExp | null;
  /** Special added tokens: id → content. */
  added: Map<number, string>;
}

const loaded = new Map<string, Loaded>();

function readJson(path: string): Record<string, unknown> {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DetectorError('IO_ERROR', `${path}: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new DetectorError('SPEC_MISMATCH', `${path} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DetectorError('SPEC_MISMATCH', `${path} must hold a JSON object`);
  return v as Record<string, unknown>;
}

function load(dir: string): Loaded {
  const hit = loaded.get(dir);
  if (hit) return hit;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DetectorError(
      'SPEC_MISMATCH',
      `tokenizer directory not found: ${dir} (a spec's hf:<path> is relative to the working directory; nothing is downloaded): run where that path is the model's directory, copy the model's tokenizer.json and tokenizer_config.json to ${dir}, or pass token ids (--ids)`,
    );
  }
  const tjPath = join(dir, 'tokenizer.json');
  if (!existsSync(tjPath)) {
    throw new DetectorError('SPEC_MISMATCH', `${tjPath} not found: an hf: tokenizer directory needs tokenizer.json: copy the model's tokenizer.json there, or pass token ids (--ids)`);
  }
  const tj = readJson(tjPath);
  const cfgPath = join(dir, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? readJson(cfgPath) : {};
  let core: HfCore;
  try {
    core = new HfCore(tj, cfg);
  } catch (e) {
    throw new DetectorError('SPEC_MISMATCH', `cannot load the tokenizer in ${dir}: ${(e as Error).message.split('\n')[0]}`);
  }
  const specials = new Map<string, number>();
  const addedMap = new Map<number, string>();
  let maxId = -1;
  const added = Array.isArray(tj.added_tokens) ? (tj.added_tokens as { id?: unknown; content?: unknown; special?: unknown }[]) : [];
  for (const t of added) {
    if (typeof t.id !== 'number' || typeof t.content !== 'string') continue;
    maxId = Math.max(maxId, t.id);
    if (t.special === true) {
      specials.set(t.content, t.id);
      addedMap.set(t.id, t.content);
    }
  }
  for (const id of core.get_vocab(false).values()) if (id > maxId) maxId = id;
  const dec = JSON.stringify(tj.decoder ?? null);
  const l: Loaded = {
    core,
    dir,
    vocabSize: maxId + 1,
    specials,
    byteLen: new Int32Array(maxId + 1).fill(-1),
    byteLevel: dec.includes('"ByteLevel"'),
    added: addedMap,
    cleanUp: cfg.clean_up_tokenization_spaces !== false, // the library's default when absent
    specialRe: specialPattern([...specials.keys()]),
  };
  loaded.set(dir, l);
  return l;
}

function specialPattern(strs: string[]): RegExp | null {
  const alts = strs.filter((x) => x.length > 0).sort((a, b) => b.length - a.length).map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return alts.length > 0 ? new RegExp(alts.join('|'), 'gu') : null;
}

const utf8 = new TextEncoder();

export interface DecodeOptions {
  /** Drop special tokens from the text (default false: every id is rendered). */
  skipSpecialTokens?: boolean;
  /**
   * Apply the Hugging Face clean-up (" ." → ".", " n't" → "n't", …) that serving stacks apply
   * when tokenizer_config.json sets clean_up_tokenization_spaces (default false: the ids' exact text).
   */
  cleanUpTokenizationSpaces?: boolean;
}

export class HfTokenizer {
  /** The tokenizer id, `hf:<path>` as given. */
  readonly id: string;
  readonly dir: string;
  readonly maxRunChars: number;
  readonly maxTextChars: number;
  #l: Loaded;

  constructor(id: string, opts: TokenizerOptions = {}) {
    const o = resolveTokenizerOptions(opts);
    this.maxRunChars = o.maxRunChars;
    this.maxTextChars = o.maxTextChars;
    this.id = id;
    this.dir = hfTokenizerDir(id);
    this.#l = load(this.dir);
  }

  /** tokenizer_config.json's clean_up_tokenization_spaces (what a serving stack decodes with). */
  get configuredCleanUp(): boolean {
    return this.#l.cleanUp;
  }

  /** Ids 0 … vocabSize − 1 (vocabulary and added tokens). */
  get vocabSize(): number {
    return this.#l.vocabSize;
  }

  get specialTokenIds(): ReadonlySet<number> {
    return new Set(this.#l.specials.values());
  }

  /** Special-token strings and their ids. */
  get specialTokens(): ReadonlyMap<string, number> {
    return this.#l.specials;
  }

  /** The token's string in the vocabulary (byte-level or ▁ form), or undefined. */
  idToToken(id: number): string | undefined {
    return this.#l.core.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.#l.core.token_to_id(token);
  }

  /** The vocabulary (with added tokens) as token string → id. */
  vocab(): Map<string, number> {
    return this.#l.core.get_vocab(true);
  }

  encode(text: string): Encoded {
    if (text.length > this.maxTextChars) {
      throw new DetectorError('TEXT_TOO_LARGE', `text has ${text.length} characters, above the per-document cap of ${this.maxTextChars}`);
    }
    const core = this.#l.core;
    const parts: number[][] = [];
    const enc = (s: string): void => {
      if (s.length > 0) parts.push(core.encode(s, { add_special_tokens: false }).ids);
    };
    const L = this.maxRunChars;
    const runs = longRuns(text, L);
    let pos = 0;
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r]!, b = runs[r + 1]!;
      enc(text.slice(pos, a));
      for (let x = a; x < b; ) {
        let y = Math.min(x + L, b);
        if (y < b && (text.charCodeAt(y) & 0xfc00) === 0xdc00 && (text.charCodeAt(y - 1) & 0xfc00) === 0xd800) y--;
        enc(text.slice(x, y));
        x = y;
      }
      pos = b;
    }
    enc(pos === 0 ? text : text.slice(pos));
    let total = 0;
    for (const p of parts) total += p.length;
    const tokens = new Uint32Array(total);
    let o = 0;
    for (const p of parts) {
      tokens.set(p, o);
      o += p.length;
    }
    return { tokens, chunkedRuns: runs.length / 2, specialStrings: this.#countSpecialStrings(text) };
  }

  #countSpecialStrings(text: string): number {
    const re = this.#l.specialRe;
    if (!re) return 0;
    re.lastIndex = 0;
    let n = 0;
    while (re.exec(text)) n++;
    return n;
  }

  /** Ids → text (the tokenizer's own decoder). Ids are checked against the vocabulary first. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    this.checkIds(ids);
    return this.#l.core.decode(Array.from(ids), {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: opts.cleanUpTokenizationSpaces ?? false,
    });
  }

  /** BAD_TOKENS naming the first id that is not an integer in [0, vocabSize). */
  checkIds(ids: ArrayLike<number>, what = 'token'): void {
    const V = this.#l.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= V) {
        throw new DetectorError('BAD_TOKENS', `${what} ${i} is ${t}, not an id of ${this.id} (vocabulary size ${V}: ids 0..${V - 1})`);
      }
    }
  }

  /** UTF-8 byte length of each token's bytes (byte-level BPE, or ▁ / <0xNN> byte-fallback vocabularies). */
  tokenByteLengths(tokens: ArrayLike<number>): Int32Array {
    const l = this.#l;
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      let len = t < l.byteLen.length ? l.byteLen[t]! : 0;
      if (len < 0) {
        len = byteLength(l, t);
        l.byteLen[t] = len;
      }
      out[i] = len;
    }
    return out;
  }

  /** UTF-16 offsets of token boundaries, as Tokenizer.charOffsets (tokens from `encode`). */
  charOffsets(text: string, tokens: ArrayLike<number>): Int32Array {
    return offsetsFromByteLengths(text, this.tokenByteLengths(tokens));
  }

  /** Nothing to free (the parsed tokenizer is shared and garbage-collected). */
  dispose(): void {}
}

function byteLength(l: Loaded, id: number): number {
  const s = l.core.id_to_token(id);
  if (s === undefined) return 0;
  // a special token produced by `encode` stands for its own string in the text
  const special = l.added.get(id);
  if (special !== undefined) return utf8.encode(special).length;
  if (l.byteLevel) {
    let n = 0;
    for (const ch of s) n += BYTE_OF_CHAR.has(ch.codePointAt(0)!) ? 1 : utf8.encode(ch).length;
    return n;
  }
  if (/^<0x[0-9A-Fa-f]{2}>$/.test(s)) return 1;
  return utf8.encode(s.replaceAll('\u2581', ' ')).length;
}
