/**
 * A Hugging Face tokenizer.json that encodes and decodes exactly like tiktoken's o200k_base
 * (the built-in teacher's tokenizer), so that an ONNX student trained on the teacher's token
 * ids can be loaded by @tracemark/lm's ONNX adapter (which needs the model's own
 * tokenizer.json) and served: its replies decode to the bytes of the o200k ids it emits, and
 * prompts encode to the ids it was trained on.
 *
 * Byte-level BPE: the vocabulary is tiktoken's mergeable ranks written in GPT-2's
 * byte→unicode alphabet; the merges are recovered from the ranks (a token of rank r is the
 * merge of the two parts BPE with ranks < r leaves it in); `ignore_merges` takes a whole
 * pre-token that is in the vocabulary as one token, as tiktoken does. The pre-tokenizer is
 * o200k's regex with the `(?i:…)` contraction group spelled out, which JavaScript's RegExp
 * (Node 20) does not accept.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteLevelString } from '@tracemark/detector';
import { tiktoken, tokenizerInfo } from '@tracemark/lm';

const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?";
export const O200K_PATTERN = [
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTIONS}`,
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTIONS}`,
  '\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');

/** The two parts BPE over ranks < `rank` leaves `bytes` in (tiktoken's merge order: lowest rank first). */
function splitByRanks(bytes: Uint8Array, rank: number, ranks: Map<string, number>): [string, string] {
  let parts = Array.from(bytes, (b) => String.fromCharCode(b));
  for (;;) {
    let best = -1, bestRank = rank;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(parts[i]! + parts[i + 1]!);
      if (r !== undefined && r < bestRank) (best = i), (bestRank = r);
    }
    if (best < 0) break;
    parts = [...parts.slice(0, best), parts[best]! + parts[best + 1]!, ...parts.slice(best + 2)];
  }
  if (parts.length !== 2) throw new Error(`o200k token of rank ${rank} does not split into two lower-ranked parts`);
  return [parts[0]!, parts[1]!];
}

/** Write tokenizer.json and tokenizer_config.json for o200k_base into `dir`; returns the special ids. */
export function writeO200kTokenizer(dir: string): { eos: number; vocabSize: number } {
  const enc = tiktoken('o200k_base');
  const info = tokenizerInfo('o200k_base');
  // token_byte_values() is sorted by bytes, not by rank: read each id's bytes instead.
  const tokenBytes: Uint8Array[] = Array.from({ length: info.ordinary }, (_, id) => enc.decode_single_token_bytes(id));
  const latin1 = (b: ArrayLike<number>): string => String.fromCharCode(...Array.from(b));
  const toUnicode = (s: string): string => byteLevelString(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  const ranks = new Map<string, number>();
  tokenBytes.forEach((b, r) => ranks.set(latin1(b), r));
  const vocab: Record<string, number> = {};
  const merges: string[] = [];
  tokenBytes.forEach((raw, r) => {
    const b = Uint8Array.from(raw);
    vocab[toUnicode(latin1(b))] = r;
    if (b.length > 1) {
      const [x, y] = splitByRanks(b, r, ranks);
      merges.push(`${toUnicode(x)} ${toUnicode(y)}`);
    }
  });
  const special = [{ id: info.eos, content: '<|endoftext|>' }];
  for (const s of special) vocab[s.content] = s.id;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((s) => ({ ...s, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: O200K_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    `${JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: null, model_max_length: 1024, clean_up_tokenization_spaces: false }, null, 1)}\n`,
  );
  return { eos: info.eos, vocabSize: info.vocabSize };
}
