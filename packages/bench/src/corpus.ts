/**
 * Human text for the benchmark, cut into texts of a fixed number of tokens.
 * The documents of one split are joined (blank line between documents) and cut
 * into consecutive, non-overlapping pieces of exactly `tokens` o200k tokens, at
 * token boundaries (character offsets from the detector's tokenizer, so no
 * character is ever split). Deterministic: the same split gives the same pieces.
 */
import { humanText, type Split } from '@tracemark/corpora';
import { Tokenizer } from '@tracemark/detector';
import { decode, encode } from '@tracemark/lm';

export function humanChunks(split: Split, tokens: number, max: number, encoding = 'o200k_base'): string[] {
  if (max <= 0) return [];
  const tk = new Tokenizer(encoding);
  const out: string[] = [];
  try {
    // Join documents in batches (bounded string sizes), cutting whole chunks from each batch.
    let carry = '';
    for (const doc of humanText({ split })) {
      carry = carry.length > 0 ? `${carry}\n\n${doc.text}` : doc.text;
      if (carry.length < 20_000) continue;
      carry = cut(tk, carry, tokens, max, out);
      if (out.length >= max) break;
    }
    if (out.length < max && carry.length > 0) cut(tk, carry, tokens, max, out);
  } finally {
    tk.dispose();
  }
  return out;
}

/** Append whole chunks of `tokens` tokens cut from `text`; return the rest. */
function cut(tk: Tokenizer, text: string, tokens: number, max: number, out: string[]): string {
  const enc = tk.encode(text);
  const off = tk.charOffsets(text, enc.tokens);
  let a = 0;
  while (a + tokens <= enc.tokens.length && out.length < max) {
    // keep one token of margin at the end of a batch: the last token may merge with the next document's text
    if (a + tokens === enc.tokens.length) break;
    out.push(text.slice(off[a]!, off[a + tokens]!));
    a += tokens;
  }
  return text.slice(off[a]!);
}

/** The first `tokens` tokens of a text, cut back to the last whitespace before them. */
export function cutTokens(text: string, tokens: number, encoding = 'o200k_base'): string {
  const t = encode(encoding, text);
  if (t.length <= tokens) return text;
  const head = decode(encoding, t.subarray(0, tokens)).replace(/\uFFFD+$/, '');
  const sp = head.search(/\s\S*$/);
  return sp > 0 ? head.slice(0, sp) : head;
}
