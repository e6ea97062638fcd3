import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { Watermark } from '@tracemark/watermark';
import { DetectorError, HfTokenizer, scanCorpus, type DocumentResult } from '../src/index.js';
import { hfSpecTokenizerId } from '../bench/hf-models.js';
import { generate, testKey, testSpec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tm-scan-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = testKey('scan-ids');
const tokenizer = hfSpecTokenizerId('qwen3');
const spec = testSpec(key, { tokenizer, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'left' } });
const qwen = new HfTokenizer(tokenizer);
const texts = humanText({ split: 'heldout' }).slice(0, 12).map((d) => d.text.normalize('NFC'));

describe('corpus scan of token-id documents (hf: Qwen3 spec)', () => {
  it('gives the numbers of the same documents as text, on 0 and 2 workers', async () => {
    // human text plus one watermarked id sequence (ids a model emitted, which have no text here)
    const marked = generate(new Watermark(spec, key), { n: 300, seed: 'scan-ids' });
    const ids = texts.map((t) => Array.from(qwen.encode(t).tokens));
    writeFileSync(join(dir, 'text.jsonl'), texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
    writeFileSync(join(dir, 'ids.jsonl'), [...ids.map((x, i) => JSON.stringify({ id: `d${i}`, ids: x })), JSON.stringify({ id: 'm', ids: Array.from(marked) })].join('\n') + '\n');
    const textHere = await collect(join(dir, 'text.jsonl'), 0);
    const textThere = await collect(join(dir, 'text.jsonl'), 2); // hf: text tokenized on worker threads
    expect(textThere.map((d) => d.result.lnP)).toEqual(textHere.map((d) => d.result.lnP));
    const runs = [];
    for (const workers of [0, 2]) {
      const docs: DocumentResult[] = [];
      const s = await scanCorpus({ spec, key }, [join(dir, 'ids.jsonl')], { workers, idField: 'id', ids: {}, batchDocs: 3, onDocument: (d) => void docs.push(d) });
      runs.push({ s, docs });
    }
    const [here, there] = runs;
    expect(there!.s.pooled).toEqual(here!.s.pooled);
    expect(there!.docs.map((d) => d.result.lnP)).toEqual(here!.docs.map((d) => d.result.lnP));
    expect(here!.docs.slice(0, 12).map((d) => [d.id, d.result.tokens, d.result.scored, d.result.lnP])).toEqual(
      textHere.map((d) => [d.id, d.result.tokens, d.result.scored, d.result.lnP]),
    );
    expect(textHere).toHaveLength(12);
    expect(here!.s.documents).toBe(13);
    expect(here!.docs[12]!.result.lnP).toBeLessThan(Math.log(1e-6)); // the model's ids carry the mark
  });

  it('prompt_ids: the prompt\'s windows are not scored', async () => {
    const ids = Array.from(qwen.encode(texts[0]!).tokens);
    writeFileSync(join(dir, 'p.jsonl'), JSON.stringify({ ids, prompt_ids: ids.slice(0, 50) }) + '\n');
    for (const workers of [0, 1]) {
      const docs: DocumentResult[] = [];
      await scanCorpus({ spec, key }, [join(dir, 'p.jsonl')], { workers, ids: {}, onDocument: (d) => void docs.push(d) });
      expect(docs[0]!.result.excluded).toBeGreaterThanOrEqual(45);
    }
  });

  it('an id at or above the vocabulary size stops the scan naming line and field; no output file', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"ids": [1, 2, 3]}\n{"ids": [4, 151669]}\n');
    const out = join(dir, 'out.jsonl');
    let err: unknown;
    try {
      await scanCorpus({ spec, key }, [join(dir, 'bad.jsonl')], { ids: {}, output: out });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DetectorError);
    expect((err as DetectorError).code).toBe('BAD_TOKENS');
    expect((err as Error).message).toBe(`${join(dir, 'bad.jsonl')}:2: field "ids": element 1 (151669) is not below the vocabulary size 151669`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('corpus scan with an hf: directory that has no tokenizer.json', () => {
  it('refuses text naming the missing file, and still scans token ids', async () => {
    const empty = join(dir, 'no-tokenizer');
    mkdirSync(empty);
    const k = testKey('scan-ids-empty');
    const sp = testSpec(k, { tokenizer: `hf:${empty}`, scheme: { name: 'kgw', gamma: 0.25, delta: 2 } });
    writeFileSync(join(dir, 't.jsonl'), '{"text": "some words"}\n');
    writeFileSync(join(dir, 'i.jsonl'), '{"ids": [5, 6, 7, 8]}\n');
    await expect(scanCorpus({ spec: sp, key: k }, [join(dir, 't.jsonl')])).rejects.toThrow(`${join(empty, 'tokenizer.json')} not found`);
    const s = await scanCorpus({ spec: sp, key: k }, [join(dir, 'i.jsonl')], { ids: {} });
    expect([s.documents, s.tokens]).toEqual([1, 4]);
  });
});

async function collect(file: string, workers: number): Promise<DocumentResult[]> {
  const docs: DocumentResult[] = [];
  await scanCorpus({ spec, key }, [file], { workers, idField: 'id', onDocument: (d) => void docs.push(d) });
  return docs;
}
