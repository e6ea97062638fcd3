/**
 * Random token substitution on the tokenizer's tokens (o200k_base by default):
 * the text is encoded, each token is replaced independently with probability
 * `rate` by a token drawn uniformly from the ordinary vocabulary, and the result
 * is decoded. Replacement tokens are restricted to those whose bytes are valid
 * UTF-8 on their own, so a replacement never creates a broken character (a
 * replaced half of a split multi-byte character decodes to U+FFFD, as any
 * decoder would: the output is always a well-formed string).
 */
import { decode, encode, tiktoken, tokenizerInfo } from '@tracemark/lm';
import { checkRate, checkText, randInt, type AttackOutcome, type Rng } from './common.js';

export interface TokenSubParams {
  /** Probability that a token is replaced. */
  rate: number;
  /** tiktoken encoding (default o200k_base). */
  encoding?: string;
}

const vocabs = new Map<string, Uint32Array>();

/** Ordinary token ids whose bytes decode as UTF-8 by themselves (cached per encoding). */
export function standaloneTokens(encoding: string): Uint32Array {
  let v = vocabs.get(encoding);
  if (!v) {
    const enc = tiktoken(encoding);
    const { ordinary } = tokenizerInfo(encoding);
    const dec = new TextDecoder('utf-8', { fatal: true });
    const ids: number[] = [];
    for (let i = 0; i < ordinary; i++) {
      try {
        dec.decode(enc.decode_single_token_bytes(i));
        ids.push(i);
      } catch {
        /* a byte fragment of a multi-byte character */
      }
    }
    v = Uint32Array.from(ids);
    vocabs.set(encoding, v);
  }
  return v;
}

export interface TokenSubOutcome extends AttackOutcome {
  /** The token sequence before decoding (for checks). */
  tokens: Uint32Array;
  original: Uint32Array;
}

export function tokenSubstitutionDetailed(text: string, params: TokenSubParams, rng: Rng): TokenSubOutcome {
  checkText('token-sub', text);
  const p = checkRate('token-sub', params?.rate);
  const encoding = params.encoding ?? 'o200k_base';
  const original = encode(encoding, text);
  const tokens = Uint32Array.from(original);
  if (tokens.length === 0) return { text, eligible: 0, changed: 0, tokens, original };
  const vocab = standaloneTokens(encoding);
  let changed = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (!(rng() < p)) continue;
    let t = vocab[randInt(rng, vocab.length)]!;
    if (t === tokens[i]) t = vocab[randInt(rng, vocab.length)]!; // a no-op draw gets one more try
    tokens[i] = t;
    if (t !== original[i]) changed++;
  }
  return { text: decode(encoding, tokens), eligible: tokens.length, changed, tokens, original };
}

export function tokenSubstitution(text: string, params: TokenSubParams, rng: Rng): string {
  return tokenSubstitutionDetailed(text, params, rng).text;
}
