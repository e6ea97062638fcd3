import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readDocuments, type RawDocument, type ReaderOptions } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tm-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, content: string | Buffer, opts: ReaderOptions = {}): Promise<RawDocument[]> {
  const f = join(dir, name);
  writeFileSync(f, content);
  const out: RawDocument[] = [];
  for await (const d of readDocuments(f, opts)) out.push(d);
  return out;
}

describe('readDocuments', () => {
  it('splits text into paragraphs (BOM dropped, CRLF and whitespace-only lines handled)', async () => {
    const docs = await read('p.txt', '\uFEFFfirst line\r\nsecond line\r\n \r\n\r\nthird\n\n\n', {});
    expect(docs.map((d) => [d.line, d.text])).toEqual([
      [1, 'first line\nsecond line'],
      [5, 'third'],
    ]);
  });
  it('reads a whole file as one document in file mode', async () => {
    const docs = await read('f.txt', 'a\n\nb\n', { textMode: 'file' });
    expect(docs).toEqual([{ source: join(dir, 'f.txt'), line: 1, text: 'a\n\nb\n' }]);
  });
  it('reads gzip JSONL with a custom field, and without a trailing newline', async () => {
    const docs = await read('x.jsonl.gz', gzipSync('{"body":"one","k":1}\n{"body":"two","k":2}'), { field: 'body', idField: 'k' });
    expect(docs.map((d) => [d.line, d.id, d.text])).toEqual([
      [1, '1', 'one'],
      [2, '2', 'two'],
    ]);
  });
  it('reports a multi-byte character split across stream chunks correctly (no false UTF-8 error)', async () => {
    const text = 'é'.repeat(1_500_000); // 3 MB: spans several 1 MiB read chunks
    const docs = await read('big.txt', text);
    expect(docs[0]!.text.length).toBe(1_500_000);
  });
  it('refuses corrupt gzip and oversized paragraphs with typed errors', async () => {
    await expect(read('bad.jsonl.gz', Buffer.from('not gzip at all'))).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/corrupt gzip/) });
    await expect(read('long.txt', 'x\n'.repeat(100), { maxDocBytes: 50 })).rejects.toMatchObject({ code: 'TEXT_TOO_LARGE' });
    await expect(read('arr.jsonl', '[1,2]\n')).rejects.toMatchObject({ code: 'MALFORMED_JSONL', message: expect.stringMatching(/arr\.jsonl:1: not a JSON object/) });
  });
});
describe('readDocuments, file mode', () => {
  it('names the line of invalid UTF-8', async () => {
    await expect(read('bin2.txt', Buffer.concat([Buffer.from('ok\nok\n'), Buffer.from([0xff]), Buffer.from('\n')]), { textMode: 'file' })).rejects.toMatchObject({
      code: 'INVALID_UTF8',
      message: expect.stringMatching(/bin2\.txt:3: not valid UTF-8/),
    });
  });
});
