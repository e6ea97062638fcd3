/**
 * A tokenizer.json holding a tiktoken encoding's vocabulary (byte-level BPE, the same id for
 * the same bytes, <|endoftext|> as a special token) for tests of the same-vocabulary check.
 * It has no merges, so it does not encode text as tiktoken does: only its id → bytes table is
 * the encoding's, which is all the check compares. Tests change it to make a mismatch.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteLevelString } from '@tracemark/detector';
import { tiktoken, tokenizerInfo } from '../tokenizer.js';

export interface TokenizerJson {
  model: { type: 'BPE'; vocab: Record<string, number>; merges: string[] };
  added_tokens: { id: number; content: string; special: boolean }[];
  [k: string]: unknown;
}

export function tiktokenTokenizerJson(encoding: string): TokenizerJson {
  const enc = tiktoken(encoding);
  const { ordinary, eos } = tokenizerInfo(encoding);
  const vocab: Record<string, number> = {};
  for (let id = 0; id < ordinary; id++) vocab[byteLevelString(enc.decode_single_token_bytes(id))] = id;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    normalizer: null,
    post_processor: null,
    pre_tokenizer: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', vocab, merges: [] },
    added_tokens: [{ id: eos, content: '<|endoftext|>', special: true }],
  };
}

/** Write `tj` as dir/tokenizer.json (creating dir). */
export function writeTokenizerJson(dir: string, tj: TokenizerJson): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tj));
}
