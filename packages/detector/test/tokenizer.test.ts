import { afterAll, describe, expect, it } from 'vitest';
import { get_encoding } from 'tiktoken';
import { humanText } from '@tracemark/corpora';
import { liveEncoders, SPECIAL_TOKENS, Tokenizer } from '../src/index.js';
import { longRuns } from '../src/tokenizer.js';
import { seededRng } from '@tracemark/watermark';

const ref = get_encoding('o200k_base');
afterAll(() => ref.free());
const decode = (t: Uint32Array): string => new TextDecoder().decode(ref.decode(t));

describe('Tokenizer', () => {
  it('equals a whole-text encode_ordinary when long texts are segmented', () => {
    const text = humanText({ split: 'heldout' })
      .slice(0, 40)
      .map((d) => d.text)
      .join('\n\n');
    const tk = new Tokenizer('o200k_base', { segmentChars: 64 }); // force thousands of cuts
    const r = tk.encode(text);
    expect(r.chunkedRuns).toBe(0);
    expect(Buffer.from(r.tokens.buffer, r.tokens.byteOffset, r.tokens.byteLength).equals(Buffer.from(ref.encode_ordinary(text).buffer))).toBe(true);
    tk.dispose();
  });

  it('bounds long runs without whitespace: all text kept, cuts counted', () => {
    const tk = new Tokenizer('o200k_base');
    const text = `start ${'a'.repeat(100_000)} middle ${' '.repeat(5000)}${'😀'.repeat(3000)} end`;
    const r = tk.encode(text);
    expect(r.chunkedRuns).toBe(3);
    expect(decode(r.tokens)).toBe(text); // lossless: nothing dropped at the cuts
    tk.dispose();
  });

  it('finds exactly the long runs (sampling scan vs a character-by-character reference)', () => {
    const reference = (t: string, L: number): number[] => {
      const out: number[] = [];
      let a = 0;
      for (let i = 1; i <= t.length; i++) {
        if (i < t.length && /\s/.test(t[i]!) === /\s/.test(t[a]!)) continue;
        if (i - a > L) out.push(a, i);
        a = i;
      }
      return out;
    };
    const rng = seededRng('runs');
    for (let trial = 0; trial < 300; trial++) {
      let t = '';
      while (t.length < 3000) {
        const len = Math.floor(rng() ** 3 * 120); // mostly short, some runs around L
        t += (rng() < 0.5 ? 'x' : rng() < 0.5 ? ' ' : '\n\u3000').repeat(Math.max(1, len)).slice(0, Math.max(1, len));
      }
      for (const L of [16, 40, 64]) expect(longRuns(t, L)).toEqual(reference(t, L));
    }
  });

  it('knows each encoding\'s special tokens without loading it (table checked against tiktoken)', () => {
    for (const [name, table] of Object.entries(SPECIAL_TOKENS)) {
      const e = get_encoding(name as 'gpt2');
      for (const [str, id] of Object.entries(table)) expect(Array.from(e.encode(str, 'all'))).toEqual([id]);
      for (const str of ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|endofprompt|>']) {
        if (!(str in table)) expect(e.encode(str, 'all').length).toBeGreaterThan(1);
      }
      e.free();
    }
  });

  it('treats special-token strings as text and counts them', () => {
    const tk = new Tokenizer('cl100k_base');
    const r = tk.encode('a <|endoftext|> b <|fim_prefix|>');
    expect(r.specialStrings).toBe(2);
    expect(Array.from(r.tokens)).not.toContain(100257);
    expect([...tk.specialTokenIds]).toContain(100257);
    tk.dispose();
  });

  it('maps tokens to character offsets, also through multi-byte characters', () => {
    const tk = new Tokenizer('o200k_base');
    const text = 'naïve café — 東京 😀 ok';
    const { tokens } = tk.encode(text);
    const off = tk.charOffsets(text, tokens);
    expect(off[0]).toBe(0);
    expect(off[tokens.length]).toBe(text.length);
    for (let i = 0; i < tokens.length; i++) expect(off[i + 1]!).toBeGreaterThanOrEqual(off[i]!);
    let rebuilt = '';
    for (let i = 0; i < tokens.length; i++) rebuilt += text.slice(off[i], off[i + 1]);
    expect(rebuilt).toBe(text);
    tk.dispose();
  });

  it('shares one encoder per encoding and frees it with the last holder', () => {
    const before = liveEncoders();
    const a = new Tokenizer('p50k_base'), b = new Tokenizer('p50k_base');
    expect(liveEncoders()).toBe(before + 1);
    a.dispose();
    expect(liveEncoders()).toBe(before + 1);
    b.dispose();
    expect(liveEncoders()).toBe(before);
    expect(() => b.encode('x')).toThrow(/after dispose/);
  });

  it('rejects oversized texts and bad options with typed errors', () => {
    expect(() => new Tokenizer('o200k_base', { maxRunChars: 3 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => new Tokenizer('hf:x/y')).toThrow(expect.objectContaining({ code: 'SPEC_MISMATCH' }));
    const tk = new Tokenizer('o200k_base', { maxTextChars: 100 });
    expect(() => tk.encode('x'.repeat(101))).toThrow(expect.objectContaining({ code: 'TEXT_TOO_LARGE' }));
    tk.dispose();
  });
});
