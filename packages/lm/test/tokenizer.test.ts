import { describe, expect, it } from 'vitest';
import { decode, encode, StopMatcher, StreamDecoder, tokenizerInfo } from '@tracemark/lm';

describe('tokenizer', () => {
  it('knows each encoding’s ordinary range and end-of-text token', () => {
    expect(tokenizerInfo('o200k_base')).toEqual({ name: 'o200k_base', ordinary: 199998, eos: 199999, vocabSize: 200000 });
    expect(tokenizerInfo('cl100k_base').eos).toBe(100257);
    expect(() => tokenizerInfo('bert')).toThrow(/"bert" is not a tiktoken encoding/);
  });

  it('decodes incrementally without ever splitting a multi-byte character', () => {
    const text = 'naïve café — 日本語のテキスト 🙂🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, done.';
    const tokens = encode('o200k_base', text);
    // Some tokens must end inside a character for this test to mean anything.
    const partial = Array.from(tokens).filter((t) => new TextDecoder().decode(decodeBytes(t)).includes('\uFFFD'));
    expect(partial.length).toBeGreaterThan(0);
    const d = new StreamDecoder('o200k_base');
    let out = '';
    for (const t of tokens) {
      const piece = d.push(t);
      expect(piece).not.toContain('\uFFFD');
      out += piece;
    }
    out += d.flush();
    expect(out).toBe(text);
    expect(decode('o200k_base', tokens)).toBe(text);
  });
});

function decodeBytes(t: number): Uint8Array {
  return new TextEncoder().encode(decode('o200k_base', [t]));
}

describe('StopMatcher', () => {
  it('cuts before the first stop string and never releases part of one', () => {
    const m = new StopMatcher(['\n\n', 'END']);
    const out = ['Hello', ' E', 'N', 'ding', ' stuff\n', 'x', 'E', 'ND', ' more'].map((p) => m.push(p));
    expect(out).toEqual(['Hello', ' ', '', 'ENding', ' stuff', '\nx', '', '', '']);
    expect(m.stopped).toBe(true);
    expect(m.flush()).toBe('');
  });

  it('releases held text at the end when no stop string completes', () => {
    const m = new StopMatcher(['###']);
    expect(m.push('a #')).toBe('a ');
    expect(m.push('#')).toBe('');
    expect(m.flush()).toBe('##');
    expect(new StopMatcher([]).push('anything')).toBe('anything');
  });
});
