import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get_encoding } from 'tiktoken';
import { Watermark } from '@tracemark/watermark';
import { binomialUpperTailLog, DetectorError, fisherCombineLog, scanCorpus, type DocumentResult, type ScanSummary } from '../src/index.js';
import { generate, randomTokens, testKey, testSpec } from './helpers.js';

const key = testKey('scan');
const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'left' } });
const wm = new Watermark(spec, key);
let dir: string;
const enc = get_encoding('o200k_base');
const decode = (t: Uint32Array): string => new TextDecoder().decode(enc.decode(t)).replace(/\n\s*\n/g, '\n');

function human(i: number, n = 300): string {
  return decode(randomTokens(n, `human${i}`, 100_000));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-scan-'));
  const marked = decode(generate(wm, { n: 200, seed: 'scan-marked' }));
  const lines: string[] = [];
  for (let i = 0; i < 30; i++) {
    // every 5th document is the same watermarked text: corpus-wide dedup must count it once
    lines.push(JSON.stringify({ id: `d${i}`, text: i % 5 === 0 ? marked : human(i) }));
  }
  lines.splice(7, 0, ''); // a blank line is ignored
  lines.push(JSON.stringify({ id: 'empty', text: '' }));
  writeFileSync(join(dir, 'a.jsonl'), lines.join('\n') + '\n');
  const paras = Array.from({ length: 12 }, (_, i) => human(100 + i, 120)).join('\n\n\n');
  writeFileSync(join(dir, 'b.txt.gz'), gzipSync(paras));
});
afterAll(() => {
  enc.free();
  rmSync(dir, { recursive: true, force: true });
});

async function scan(workers: number, extra: Parameters<typeof scanCorpus>[2] = {}): Promise<{ s: ScanSummary; docs: DocumentResult[] }> {
  const docs: DocumentResult[] = [];
  const s = await scanCorpus({ spec, key }, [join(dir, 'a.jsonl'), join(dir, 'b.txt.gz')], {
    workers,
    idField: 'id',
    onDocument: (d) => void docs.push(d),
    ...extra,
  });
  return { s, docs };
}

describe('corpus scan', () => {
  let base: { s: ScanSummary; docs: DocumentResult[] };
  beforeAll(async () => {
    base = await scan(0);
  });

  it('reads JSONL and gzip text paragraphs, with ids and line numbers', () => {
    const { s, docs } = base;
    expect(s.files).toBe(2);
    expect(s.documents).toBe(42);
    expect(s.emptyDocuments).toBe(1);
    expect(docs[0]!.id).toBe('d0');
    expect(docs[0]!.line).toBe(1);
    expect(docs[7]!.line).toBe(9); // after the blank line
    expect(docs[30]!.source).toMatch(/b\.txt\.gz$/);
    expect(docs[31]!.line).toBe(5); // paragraphs are one line each, separated by two blank lines
    expect(docs.map((d) => d.index)).toEqual([...Array.from({ length: 30 }, (_, i) => i), ...Array.from({ length: 12 }, (_, i) => 31 + i)]);
  });

  it('deduplicates across the corpus and combines documents', () => {
    const { s, docs } = base;
    const marked = docs.filter((d) => d.index % 5 === 0 && d.index < 30);
    expect(marked.every((d) => d.result.lnP < Math.log(1e-6))).toBe(true);
    expect(marked[0]!.novel.scored).toBe(marked[0]!.result.scored);
    expect(marked.slice(1).every((d) => d.novel.scored === 0)).toBe(true);
    expect(s.pooled.dedup).toBe('global');
    expect(s.pooled.scored).toBe(docs.reduce((a, d) => a + d.novel.scored, 0));
    expect(s.pooled.scored).toBeLessThan(s.scored);
    expect(s.fisher.documents).toBe(docs.filter((d) => d.novel.scored > 0).length);
    // the pooled test is the exact test on the distinct tuples; Fisher combines the novel-tuple tests
    const score = docs.reduce((a, d) => a + d.novel.score, 0);
    expect(s.pooled.score).toBe(score);
    expect(s.pooled.lnP).toBe(binomialUpperTailLog(score, s.pooled.scored, wm.gammaEff));
    const lnPs = docs.filter((d) => d.novel.scored > 0).map((d) => d.novel.lnP);
    expect(s.fisher.lnP).toBeCloseTo(fisherCombineLog(lnPs), 10);
  });

  it('without corpus-wide dedup the repeated document inflates the evidence', async () => {
    const off = await scan(0, { globalDedup: false });
    expect(off.s.pooled.lnP).toBeLessThan(base.s.pooled.lnP - 20);
  });

  it('gives identical results with 1 and 2 workers, whatever the batching', async () => {
    for (const [workers, batchDocs] of [[1, 256], [2, 1], [2, 3]] as const) {
      const r = await scan(workers, { inFlightPerWorker: 2, batchDocs });
      expect({ ...r.s, workers: 0 }).toEqual({ ...base.s, workers: 0 });
      expect(r.docs).toEqual(base.docs);
    }
  });

  it('checkpointed on workers, stopped and resumed, it ends with the numbers of one single-threaded run', async () => {
    const single = join(dir, 'single.jsonl');
    const whole = await scan(0, { keepTop: 5, output: single });
    const ck = join(dir, 'scan-ck.json');
    const out = join(dir, 'resumed.jsonl');
    const docs: DocumentResult[] = [];
    const run = (workers: number, extra: Parameters<typeof scanCorpus>[2]): Promise<ScanSummary> =>
      scanCorpus({ spec, key }, [join(dir, 'a.jsonl'), join(dir, 'b.txt.gz')], { workers, batchDocs: 3, idField: 'id', keepTop: 5, checkpoint: ck, checkpointEvery: 4, output: out, onDocument: (d) => void docs.push(d), ...extra });
    expect((await run(2, { limit: 11 })).progress).toEqual({ complete: false, resumedFrom: 0, documentsDone: 11 });
    expect((await run(0, { resume: true, limit: 9 })).progress).toEqual({ complete: false, resumedFrom: 11, documentsDone: 20 });
    const aborted = new AbortController();
    aborted.abort();
    expect((await run(1, { resume: true, signal: aborted.signal })).progress).toEqual({ complete: false, resumedFrom: 20, documentsDone: 20 });
    const done = await run(2, { resume: true });
    expect(done.progress).toEqual({ complete: true, resumedFrom: 20, documentsDone: 43 });
    const { progress: _p, workers: _w, ...numbers } = done;
    expect({ ...numbers, workers: 0 }).toEqual(whole.s);
    expect(docs).toEqual(whole.docs);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(single, 'utf8'));
    // a finished checkpoint is reported again without reading; one made for other options is refused
    expect(await run(2, { resume: true })).toEqual({ ...done, progress: { complete: true, resumedFrom: 43, documentsDone: 43 } });
    await expect(run(0, {})).rejects.toThrow(/already exists/);
    await expect(run(0, { resume: true, keepTop: 3 })).rejects.toThrow(/checkpoint was made with other scan options/);
  });

  it('falls back to per-document dedup past the memory budget, and says so', async () => {
    const { s } = await scan(0, { dedupMemoryBytes: 64 * 1024 });
    expect(s.pooled.dedup).toBe('global-partial');
    expect(s.pooled.dedupOverflowAt).toBeGreaterThan(0);
    expect(s.pooled.dedupBytes).toBeLessThanOrEqual(64 * 1024);
    const off = await scan(0, { globalDedup: false });
    expect(off.s.pooled.dedup).toBe('per-document');
    expect(off.s.pooled.scored).toBe(off.s.scored);
  });

  it('writes the output file atomically', async () => {
    const out = join(dir, 'docs.jsonl');
    const { s } = await scan(1, { output: out });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBe(s.documents);
    expect(JSON.parse(lines[0]!).result.scheme).toBe('kgw');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('corpus scan errors', () => {
  const expectError = async (p: Promise<unknown>, code: string, msg: RegExp): Promise<void> => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(DetectorError);
    expect((e as DetectorError).code).toBe(code);
    expect((e as Error).message).toMatch(msg);
    expect((e as Error).message).not.toContain('\n');
  };
  for (const workers of [0, 2]) {
    it(`malformed JSONL: line number, skip option, no partial output (workers=${workers})`, async () => {
      const f = join(dir, `bad${workers}.jsonl`);
      writeFileSync(f, [JSON.stringify({ text: human(1) }), '{"text": "unterminated', JSON.stringify({ body: 'x' }), JSON.stringify({ text: human(2) })].join('\n'));
      const out = join(dir, `out${workers}.jsonl`);
      await expectError(scanCorpus({ spec, key }, [f], { workers, output: out }), 'MALFORMED_JSONL', /bad\d\.jsonl:2: not valid JSON/);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((x) => x.endsWith('.tmp'))).toEqual([]);
      const s = await scanCorpus({ spec, key }, [f], { workers, skipMalformed: true });
      expect(s.skippedLines).toBe(2);
      expect(s.documents).toBe(2);
    });
  }
  it('invalid UTF-8 names the line; oversized documents are refused', async () => {
    const f = join(dir, 'bin.txt');
    writeFileSync(f, Buffer.concat([Buffer.from('good line\n\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]));
    await expectError(scanCorpus({ spec, key }, [f]), 'INVALID_UTF8', /bin\.txt:3: not valid UTF-8/);
    const big = join(dir, 'big.txt');
    writeFileSync(big, 'word '.repeat(1000));
    await expectError(scanCorpus({ spec, key }, [big], { maxDocBytes: 1000 }), 'TEXT_TOO_LARGE', /big\.txt:1/);
    await expectError(scanCorpus({ spec, key }, [big], { workers: 1, detector: { tokenizer: { maxTextChars: 100 } } }), 'TEXT_TOO_LARGE', /big\.txt:1: text has 5000 characters/);
    await expectError(scanCorpus({ spec, key }, [join(dir, 'missing.txt')]), 'IO_ERROR', /missing\.txt/);
    await expectError(scanCorpus({ spec, key: testKey('nope') }, [big], { workers: 1 }), 'WRONG_KEY', /fingerprint/);
  });
});

describe('payload scan', () => {
  it('pools the payload over the corpus', async () => {
    const pk = testKey('payload-scan');
    const pspec = testSpec(pk, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'left' }, payload: { bits: 16, digitBits: 2 } });
    const pwm = new Watermark(pspec, pk);
    const digits = [1, 2, 3, 0, 1, 2, 3, 0];
    const f = join(dir, 'pay.jsonl');
    writeFileSync(f, Array.from({ length: 6 }, (_, i) => JSON.stringify({ text: decode(generate(pwm, { n: 80, seed: `p${i}`, digits })) })).join('\n'));
    const s = await scanCorpus({ spec: pspec, key: pk }, [f], { workers: 0 });
    expect(s.pooled.test).toBe('payload');
    // digits are least significant first: 1,2,3,0,… → 0b00_11_10_01 per byte
    expect(BigInt(s.pooled.payload!.message)).toBe(0b00_11_10_01_00_11_10_01n);
    expect(s.pooled.lnP).toBeLessThan(Math.log(1e-6));
    expect(s.fisher.lnP).toBeLessThan(Math.log(1e-6));
  });
});
