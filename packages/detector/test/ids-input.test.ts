import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { afterAll, describe, expect, it } from 'vitest';
import { DetectorError, parseIdsRecord, readDocuments, SPECIAL_TOKENS, TIKTOKEN_VOCAB_SIZE, vocabSizeOf, type RawDocument } from '../src/index.js';
import { hfSpecTokenizerId } from '../bench/hf-models.js';

const dir = mkdtempSync(join(tmpdir(), 'tm-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(lines: string[], vocabSize?: number): Promise<RawDocument[]> {
  const f = join(dir, `f${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(f, lines.join('\n') + '\n');
  const out: RawDocument[] = [];
  for await (const d of readDocuments(f, { ids: vocabSize === undefined ? {} : { vocabSize }, idField: 'id' })) out.push(d);
  return out;
}

async function error(lines: string[], vocabSize?: number): Promise<DetectorError> {
  try {
    await read(lines, vocabSize);
  } catch (e) {
    return e as DetectorError;
  }
  throw new Error('no error');
}

describe('token-id JSONL input', () => {
  it('reads ids and prompt ids as Uint32Arrays, with line numbers and ids', async () => {
    const docs = await read(['{"id": "a", "ids": [1, 2, 3]}', '', '{"ids": [0], "prompt_ids": [7, 8]}', '{"ids": [4294967295], "prompt_ids": null}']);
    expect(docs.map((d) => d.line)).toEqual([1, 3, 4]);
    expect(docs[0]!.id).toBe('a');
    expect(Array.from(docs[0]!.ids!)).toEqual([1, 2, 3]);
    expect(docs[0]!.promptIds).toBeUndefined();
    expect(Array.from(docs[1]!.promptIds!)).toEqual([7, 8]);
    expect(docs[2]!.ids![0]).toBe(4294967295);
    expect(docs.every((d) => d.text === '')).toBe(true);
  });

  it('one BAD_TOKENS line naming file:line, field and element for each kind of bad id', async () => {
    const cases: [string, RegExp][] = [
      ['{"ids": [1, 2.5]}', /:2: field "ids": element 1 \(2\.5\) not an integer$/],
      ['{"ids": [1, -3]}', /:2: field "ids": element 1 \(-3\) negative$/],
      ['{"ids": [1, "7"]}', /:2: field "ids": element 1 \("7"\) /],
      ['{"ids": "1 2 3"}', /:2: field "ids": not an array of token ids$/],
      ['{"text": "no ids"}', /:2: field "ids" is missing$/],
      ['{"ids": [1], "prompt_ids": [0, -1]}', /:2: field "prompt_ids": element 1 \(-1\) negative$/],
      ['{"ids": [5, 151669]}', /:2: field "ids": element 1 \(151669\) is not below the vocabulary size 151669$/],
    ];
    for (const [line, re] of cases) {
      const e = await error(['{"ids": [1]}', line], 151669);
      expect(e).toBeInstanceOf(DetectorError);
      expect(e.code).toBe('BAD_TOKENS');
      expect(e.message).toMatch(re);
      expect(e.message.split('\n')).toHaveLength(1);
    }
  });

  it('parseIdsRecord takes other field names', () => {
    const r = parseIdsRecord({ toks: [3, 4], p: [1] }, 'x:1', { field: 'toks', promptField: 'p', vocabSize: 5 });
    expect(Array.from(r.ids)).toEqual([3, 4]);
    expect(Array.from(r.promptIds!)).toEqual([1]);
    expect(() => parseIdsRecord({ toks: [5] }, 'x:9', { field: 'toks', vocabSize: 5 })).toThrow('x:9: field "toks": element 0 (5) is not below the vocabulary size 5');
  });

  it('vocabulary sizes: tiktoken tables agree with the encoders, hf: from tokenizer.json, unknown otherwise', () => {
    for (const [name, V] of Object.entries(TIKTOKEN_VOCAB_SIZE)) {
      const enc = get_encoding(name as keyof typeof TIKTOKEN_VOCAB_SIZE);
      const decodes = (t: number): boolean => {
        try {
          enc.decode_single_token_bytes(t);
          return true;
        } catch {
          return false;
        }
      };
      expect(decodes(V - 1)).toBe(true);
      for (let t = V; t < V + 1000; t++) expect(decodes(t)).toBe(false);
      expect(Math.max(...Object.values(SPECIAL_TOKENS[name as keyof typeof SPECIAL_TOKENS]))).toBeLessThan(V);
      // no enc.free(): after a decode error tiktoken's WASM object stays borrowed and free() throws
    }
    expect(vocabSizeOf('o200k_base')).toBe(200019);
    expect(vocabSizeOf(hfSpecTokenizerId('llama3'))).toBe(128256);
    expect(vocabSizeOf('hf:not/here')).toBeUndefined();
  });
});
