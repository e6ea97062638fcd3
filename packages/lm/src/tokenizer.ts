/**
 * tiktoken encodings, shared per thread with the detector's Tokenizers
 * (@tracemark/detector's pinnedEncoder). The spec names the encoding
 * (`o200k_base` by default); the reference LM, the generation loop and the clone
 * simulator all encode and decode through here.
 */
import type { Tiktoken, TiktokenEncoding } from 'tiktoken';
import { isTiktokenEncoding, pinnedEncoder, type EncodingName } from '@tracemark/detector';
import { TIKTOKEN_ENCODINGS } from '@tracemark/watermark';

export interface TokenizerInfo {
  /** The spec's tokenizer id (a tiktoken encoding name). */
  name: TiktokenEncoding;
  /** Ordinary (mergeable) tokens are the ids 0 .. ordinary-1. */
  ordinary: number;
  /** `<|endoftext|>`: the reference LM's document boundary and end-of-sequence token. */
  eos: number;
  /** 1 + the largest id a model over this encoding can emit (ordinary tokens and eos). */
  vocabSize: number;
}

const infos = new Map<string, TokenizerInfo>();

function checkName(name: string): EncodingName {
  if (!isTiktokenEncoding(name)) {
    throw new Error(`tokenizer ${JSON.stringify(name)} is not a tiktoken encoding (expected one of ${TIKTOKEN_ENCODINGS.join(', ')})`);
  }
  return name;
}

/** The thread's encoder, the same one the detector's Tokenizers use. */
export function tiktoken(name: string): Tiktoken {
  return pinnedEncoder(checkName(name));
}

export function tokenizerInfo(name: string): TokenizerInfo {
  let info = infos.get(name);
  if (!info) {
    const enc = tiktoken(name);
    // Mergeable ranks are contiguous from 0 in every tiktoken encoding; count them
    // rather than probing ids (a failed decode leaves the WASM object unusable).
    const ordinary = enc.token_byte_values().length;
    const eosIds = enc.encode('<|endoftext|>', 'all');
    if (eosIds.length !== 1) throw new Error(`encoding ${name} has no single <|endoftext|> token`);
    const eos = eosIds[0]!;
    info = { name: checkName(name), ordinary, eos, vocabSize: Math.max(ordinary, eos + 1) };
    infos.set(name, info);
  }
  return info;
}

/** Token ids of text, with special-token strings treated as plain text. */
export function encode(name: string, text: string): Uint32Array {
  return tiktoken(name).encode_ordinary(text);
}

/** Decode a complete token sequence (invalid UTF-8 from a cut multi-byte character becomes U+FFFD). */
export function decode(name: string, tokens: ArrayLike<number>): string {
  const arr = tokens instanceof Uint32Array ? tokens : Uint32Array.from(tokens as ArrayLike<number>);
  return new TextDecoder().decode(tiktoken(name).decode(arr));
}

/**
 * Incremental detokenizer. A token can end in the middle of a multi-byte UTF-8
 * character (tiktoken splits rare characters and emoji into byte tokens), so the
 * bytes go through a streaming TextDecoder that holds incomplete sequences back
 * until the next token completes them.
 */
export class StreamDecoder {
  readonly #enc: Tiktoken;
  readonly #decoder = new TextDecoder('utf-8');
  readonly #bytes = new Map<number, Uint8Array>();

  constructor(name: string) {
    this.#enc = tiktoken(name);
  }

  /** Text completed by this token (possibly '' while a character is incomplete). */
  push(token: number): string {
    let b = this.#bytes.get(token);
    if (!b) {
      b = this.#enc.decode_single_token_bytes(token);
      this.#bytes.set(token, b);
    }
    return this.#decoder.decode(b, { stream: true });
  }

  /** Whatever is still held back (an incomplete character decodes to U+FFFD). */
  flush(): string {
    return this.#decoder.decode();
  }
}
