/**
 * Is a model's own tokenizer (`hf:<dir>`, its tokenizer.json) the same vocabulary as a tiktoken
 * encoding? A spec names its tokenizer by id, so a model exported with tiktoken's vocabulary
 * written as tokenizer.json (e.g. o200k_base for Hugging Face tokenizers) has another id than a
 * spec made for the tiktoken encoding, although both give every text the same ids. Scoring only
 * needs the same ids to stand for the same bytes, so that is what is checked, once per pair and
 * process (the check reads every id: ~0.5 s for o200k_base):
 *  - every special token of the tokenizer.json is a string tiktoken encodes as that one id
 *    (e.g. <|endoftext|>), and
 *  - every other id below tiktoken's count of ordinary ids is in the tokenizer.json with
 *    exactly tiktoken's bytes, and the tokenizer.json has no ordinary id beyond them.
 * How a text splits into tokens (the pre-tokenizer, merges) is not compared: the tests score
 * token ids, which the model produced or was given; they never re-encode text with the model's
 * tokenizer.
 */
import { byteLevelBytes, firstLine, HfTokenizer } from '@tracemark/detector';
import { tiktoken, tokenizerInfo } from './tokenizer.js';

export type VocabularyCheck = { same: true } | { same: false; reason: string };

const cache = new Map<string, VocabularyCheck>();

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (b: Uint8Array): string => JSON.stringify(new TextDecoder().decode(b));

function check(hfId: string, encoding: string): VocabularyCheck {
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(hfId);
  } catch (e) {
    return { same: false, reason: firstLine(e) };
  }
  const enc = tiktoken(encoding);
  const { ordinary } = tokenizerInfo(encoding);
  const specials = hf.specialTokenIds;
  for (let id = 0; id < Math.max(ordinary, hf.vocabSize); id++) {
    const s = hf.idToToken(id);
    if (s !== undefined && specials.has(id)) {
      const ids = enc.encode(s, 'all');
      if (ids.length !== 1 || ids[0] !== id) return { same: false, reason: `special token ${JSON.stringify(s)} is id ${id} there, ${ids.length === 1 ? `id ${ids[0]}` : 'no single id'} in ${encoding}` };
    } else if (id < ordinary) {
      if (s === undefined) return { same: false, reason: `id ${id} is missing from ${hf.dir}/tokenizer.json` };
      const mine = byteLevelBytes(s);
      const theirs = enc.decode_single_token_bytes(id);
      if (mine === null || !equalBytes(mine, theirs)) return { same: false, reason: `id ${id} is ${JSON.stringify(s)} there, ${show(theirs)} in ${encoding}` };
    } else if (s !== undefined) {
      return { same: false, reason: `id ${id} (${JSON.stringify(s)}) is an ordinary token there, beyond ${encoding}'s ${ordinary} ordinary ids` };
    }
  }
  return { same: true };
}

/**
 * Whether the `hf:<dir>` tokenizer has the tiktoken `encoding`'s vocabulary (same id → same
 * bytes), with the first difference as the reason when not. Checked once per pair, then cached.
 */
export function hfMatchesTiktoken(hfId: string, encoding: string): VocabularyCheck {
  const k = `${hfId}\u0000${encoding}`;
  let r = cache.get(k);
  if (!r) {
    r = check(hfId, encoding);
    cache.set(k, r);
  }
  return r;
}
