/**
 * Every tokenizer the detector can encode text with: tiktoken encodings by name,
 * and `hf:<directory>` tokenizers (see hf.ts). Both answer the same interface.
 */
import { DetectorError } from '../errors.js';
import { isTiktokenEncoding, Tokenizer, type Encoded, type TokenizerOptions } from '../tokenizer.js';
import { HfTokenizer, isHfTokenizerId } from './hf.js';

export { HfTokenizer, hfTokenizerAvailable, hfTokenizerDir, isHfTokenizerId, HF_PREFIX, type DecodeOptions } from './hf.js';

export interface TextTokenizer {
  encode(text: string): Encoded;
  tokenByteLengths(tokens: ArrayLike<number>): Int32Array;
  charOffsets(text: string, tokens: ArrayLike<number>): Int32Array;
  readonly specialTokenIds: ReadonlySet<number>;
  dispose(): void;
}

/** A tokenizer for a spec's tokenizer id: a tiktoken encoding name or `hf:<directory>`. */
export function createTokenizer(id: string, opts: TokenizerOptions = {}): Tokenizer | HfTokenizer {
  if (isTiktokenEncoding(id)) return new Tokenizer(id, opts);
  if (isHfTokenizerId(id)) return new HfTokenizer(id, opts);
  throw new DetectorError('SPEC_MISMATCH', `tokenizer "${id}" is neither a tiktoken encoding nor hf:<directory>`);
}
