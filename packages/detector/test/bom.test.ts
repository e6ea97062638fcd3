/**
 * A leading BOM (U+FEFF) is dropped whether the text comes as a string or as UTF-8 bytes:
 * TextDecoder drops it from bytes, and a file read as a string keeps it, so before this
 * rule the same text scored differently in the two forms (issue 17).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Detector, toText } from '../src/index.js';
import { testKey, testSpec } from './helpers.js';

const key = testKey('bom');
const d = new Detector(testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } }), key);
afterAll(() => d.dispose());

const text =
  'The committee met on Tuesday to discuss the budget for the coming year. Several members ' +
  'raised concerns about the cost of the new library, and the chair promised a written answer.';
const withBom = `\uFEFF${text}`;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('a leading BOM', () => {
  it('is dropped from strings and bytes alike by toText', () => {
    expect(toText(withBom)).toBe(text);
    expect(toText(bytes(withBom))).toBe(text);
    expect(bytes(withBom)[0]).toBe(0xef); // the bytes really carry it
  });

  it('detect(string) and detect(bytes) give the same result, equal to the text without it', () => {
    const plain = d.detect(text);
    const fromString = d.detect(withBom);
    const fromBytes = d.detect(bytes(withBom));
    expect(fromString).toEqual(plain);
    expect(fromBytes).toEqual(plain);
    expect(d.tokenize(withBom).tokens).toEqual(d.tokenize(text).tokens);
  });

  it('character offsets index the text after the BOM, for both forms', () => {
    const a = d.marks(withBom);
    const b = d.marks(bytes(withBom));
    expect(a.charOffsets).toEqual(b.charOffsets);
    expect(a.charOffsets![0]).toBe(0);
    expect(a.charOffsets![a.tokens.length]).toBe(text.length);
  });

  it('only a leading one: a U+FEFF inside the text is kept (and scored) in both forms', () => {
    const inner = `${text}\uFEFF more`;
    expect(toText(inner)).toBe(inner);
    expect(toText(bytes(inner))).toBe(inner);
    expect(d.detect(bytes(inner))).toEqual(d.detect(inner));
    expect(d.tokenize(inner).tokens.length).toBeGreaterThan(d.tokenize(`${text} more`).tokens.length);
  });
});
