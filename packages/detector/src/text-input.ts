/** Text input: UTF-8 validation and the BOM rule, and per-token marks as JSON. */
import { DetectorError } from './errors.js';
import type { TextInput, TokenMark, TokenMarks } from './detection-types.js';
import { FLAG_NAMES, type TokenFlag } from './scorer.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a TextInput: bytes must be valid UTF-8; a leading BOM (U+FEFF) is dropped
 * from strings and bytes alike (TextDecoder drops it from bytes; a file read as a
 * string keeps it), so one text has one score whatever form it comes in.
 */
export function toText(input: TextInput): string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  try {
    return utf8.decode(input); // ignoreBOM: false — a leading BOM is dropped
  } catch {
    throw new DetectorError('INVALID_UTF8', 'the input is not valid UTF-8');
  }
}

/** JSON-friendly per-token marks (for display and reports). */
export function marksToJson(m: TokenMarks): TokenMark[] {
  const out: TokenMark[] = [];
  for (let i = 0; i < m.tokens.length; i++) {
    const s = m.scores[i]!;
    const mark: TokenMark = { i, token: m.tokens[i]!, flag: FLAG_NAMES[m.flags[i]! as TokenFlag], score: Number.isNaN(s) ? null : s };
    if (m.charOffsets) {
      mark.start = m.charOffsets[i]!;
      mark.end = m.charOffsets[i + 1]!;
    }
    out.push(mark);
  }
  return out;
}
