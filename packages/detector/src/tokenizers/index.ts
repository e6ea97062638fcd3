/**
 * Every tokenizer the detector can encode text with: tiktoken encodings by name,
 * and `hf:<directory>` tokenizers (see hf.ts). Both answer the same interface.
 */
import { DetectorError } from '../errors.js';
import { isTiktokenEncoding, Tokenizer, type Encoded, type EncodingName, type TokenizerOptions } from '../tokenizer.js';
import { HfTokenizer, hfTokenizerAvailable, isHfTokenizerId } from './hf.js';

export { HfTokenizer, hfTokenizerAvailable, hfTokenizerDir, isHfTokenizerId, HF_PREFIX, type DecodeOptions } from './hf.js';

export interface TextTokenizer {
  encode(text: string): Encoded;
  tokenByteLengths(tokens: ArrayLike<number>): Int32Array;
  charOffsets(text: string, tokens: ArrayLike<number>): Int32Array;
  readonly specialTokenIds: ReadonlySet<number>;
  dispose(): void;
}

/**
 * Ids 0 … n − 1 of each tiktoken encoding (ordinary and special tokens; the largest
 * id is n − 1 and none above it decodes — checked by a test against the encoder).
 */
export const TIKTOKEN_VOCAB_SIZE: Readonly<Record<EncodingName, number>> = {
  o200k_base: 200019,
  cl100k_base: 100277,
  p50k_base: 50281,
  r50k_base: 50257,
  gpt2: 50257,
};

/**
 * The vocabulary size of a spec's tokenizer when it is known here: tiktoken encodings,
 * and `hf:<directory>` ids whose directory holds tokenizer.json (loaded, shared); else undefined.
 */
export function vocabSizeOf(id: string): number | undefined {
  if (isTiktokenEncoding(id)) return TIKTOKEN_VOCAB_SIZE[id];
  if (hfTokenizerAvailable(id)) return new HfTokenizer(id).vocabSize;
  return undefined;
}

/** A tokenizer for a spec's tokenizer id: a tiktoken encoding name or `hf:<directory>`. */
export function createTokenizer(id: string, opts: TokenizerOptions = {}): Tokenizer | HfTokenizer {
  if (isTiktokenEncoding(id)) return new Tokenizer(id, opts);
  if (isHfTokenizerId(id)) return new HfTokenizer(id, opts);
  throw new DetectorError('SPEC_MISMATCH', `tokenizer "${id}" is neither a tiktoken encoding nor hf:<directory>`);
}
