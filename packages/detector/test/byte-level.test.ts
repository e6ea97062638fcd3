/**
 * The byte-level alphabet against what it must be: a bijection of the 256 bytes onto
 * printable code points, printable Latin-1 bytes standing for themselves, the others
 * numbered from U+0100 in byte order (so space is U+0120 'Ġ' and newline U+010A 'Ċ').
 */
import { describe, expect, it } from 'vitest';
import { byteLevelBytes, byteLevelString } from '../src/index.js';

describe('byte-level alphabet', () => {
  it('writes every byte as one character and reads it back', () => {
    const all = Uint8Array.from({ length: 256 }, (_, b) => b);
    const s = byteLevelString(all);
    expect([...s]).toHaveLength(256);
    expect(new Set(s).size).toBe(256);
    expect(byteLevelBytes(s)).toEqual(all);
  });
  it('keeps printable Latin-1 and moves the rest above U+00FF in byte order', () => {
    expect(byteLevelString(new TextEncoder().encode('Hi!~'))).toBe('Hi!~');
    expect(byteLevelString(Uint8Array.of(32, 10, 0, 127, 173))).toBe('\u0120\u010a\u0100\u0121\u0143');
    expect(byteLevelString(new TextEncoder().encode(' é'))).toBe('Ġ\u00c3\u00a9');
  });
  it('refuses a character outside the alphabet', () => {
    expect(byteLevelBytes('a b')).toBeNull();
    expect(byteLevelBytes('Ġ€')).toBeNull();
  });
});
