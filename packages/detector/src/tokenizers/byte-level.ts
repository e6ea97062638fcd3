/**
 * GPT-2's byte-level alphabet: byte-level BPE vocabularies (tokenizer.json with a ByteLevel
 * pre-tokenizer) write each byte as one printable character — the printable Latin-1 bytes
 * as themselves, the other 68 as U+0100 onwards — so that every token is a string.
 */

/** The code point that stands for each byte (index: the byte). */
export const CHAR_OF_BYTE: readonly number[] = (() => {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const out = new Array<number>(256);
  for (const b of printable) out[b] = b;
  let n = 0;
  for (let b = 0; b < 256; b++) if (out[b] === undefined) out[b] = 256 + n++;
  return out;
})();

/** The byte each alphabet code point stands for. */
export const BYTE_OF_CHAR: ReadonlyMap<number, number> = new Map(CHAR_OF_BYTE.map((c, b) => [c, b]));

/** Bytes written in the alphabet (a vocabulary entry). */
export function byteLevelString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCodePoint(CHAR_OF_BYTE[b]!);
  return s;
}

/** A vocabulary entry's bytes, or null when a character is outside the alphabet. */
export function byteLevelBytes(s: string): Uint8Array | null {
  const out: number[] = [];
  for (const ch of s) {
    const b = BYTE_OF_CHAR.get(ch.codePointAt(0)!);
    if (b === undefined) return null;
    out.push(b);
  }
  return Uint8Array.from(out);
}
