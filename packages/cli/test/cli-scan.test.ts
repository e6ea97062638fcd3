/**
 * `tracemark scan` through the program, in-process: a corpus directory (text paragraphs, JSONL,
 * .jsonl.gz) with a few watermarked documents among human ones; the pooled verdict;
 * and the resumable scan: stopped twice (--limit) and resumed, it ends with exactly the
 * numbers — pooled, Fisher, totals, most-marked list, per-document output — of a single
 * run and of the detector's scanCorpus (--workers), whether the resumed parts ran on
 * workers or not.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { generateTextSync, referenceModel } from '@tracemark/lm';
import { Embedder, Watermark } from '@tracemark/watermark';
import { ScanOutputSchema, type ScanOutput } from '../src/schemas.js';
import { runInProcess } from './helpers/cli.js';
import { makeFixture, type Fixture } from './helpers/fixtures.js';

let fx: Fixture;
let dir: string;
let corpus: string;
let humanOnly: string;

beforeAll(() => {
  fx = makeFixture({ seed: 'scan-test' });
  dir = mkdtempSync(join(tmpdir(), 'tracemark-scan-'));
  corpus = join(dir, 'corpus');
  humanOnly = join(dir, 'human');
  mkdirSync(join(corpus, 'sub'), { recursive: true });
  mkdirSync(humanOnly);
  const human = humanText({ split: 'calibration' })
    .slice(0, 36)
    .map((d) => d.text.replace(/\n\s*\n/g, '\n').slice(0, 1200));
  const model = referenceModel();
  const embedder = new Embedder(new Watermark(fx.spec, fx.key));
  const marked = Array.from({ length: 6 }, (_, i) => generateTextSync({ model, watermark: embedder, prompt: 'The report said that', maxTokens: 90, seed: `scan-${i}` }).text);
  writeFileSync(join(corpus, 'a-human.txt'), human.slice(0, 12).join('\n\n') + '\n');
  const mixed = [...human.slice(12, 20).map((t, i) => ({ id: `h${i}`, text: t })), ...marked.map((t, i) => ({ id: `wm-${i}`, text: t })), { id: 'empty', text: '' }];
  writeFileSync(join(corpus, 'b-mixed.jsonl'), mixed.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(corpus, 'sub', 'c-more.jsonl.gz'), gzipSync(human.slice(20, 30).map((t, i) => JSON.stringify({ id: `g${i}`, text: t })).join('\n') + '\n'));
  writeFileSync(join(corpus, 'ignored.bin'), 'not a corpus file');
  writeFileSync(join(humanOnly, 'h.jsonl'), human.slice(20, 36).map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(fx.dir, { recursive: true, force: true });
});

const base = (): string[] => ['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--id-field', 'id'];
const parse = (stdout: string): ScanOutput => ScanOutputSchema.parse(JSON.parse(stdout));
/** Everything but where the numbers came from. */
const numbers = (o: ScanOutput) => {
  const { checkpoint: _c, resumedFrom: _r, output: _o, ...rest } = o;
  return rest;
};

describe('scan', () => {
  let single: ScanOutput;

  beforeAll(async () => {
    const r = await runInProcess([...base(), corpus, '--output', join(dir, 'single.jsonl'), '--json'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    single = parse(r.stdout);
  });

  it('finds the watermarked documents in a corpus directory and pools them', () => {
    expect(single.files).toBe(3); // .txt, .jsonl, .jsonl.gz; ignored.bin is not a corpus file
    expect(single.documents).toBe(12 + 14 + 10);
    expect(single.emptyDocuments).toBe(1);
    expect(single.verdict).toBe('detected');
    expect(single.pooled.dedup).toBe('global');
    expect(single.pooled.log10P).toBeLessThan(-7);
    expect(single.mostMarked.slice(0, 6).map((d) => d.id).sort()).toEqual(['wm-0', 'wm-1', 'wm-2', 'wm-3', 'wm-4', 'wm-5']);
    expect(readFileSync(join(dir, 'single.jsonl'), 'utf8').trim().split('\n')).toHaveLength(36);
  });

  it('does not flag human text', async () => {
    const r = await runInProcess([...base(), humanOnly, '--json']);
    expect(r.code).toBe(0);
    const o = parse(r.stdout);
    expect(o.verdict).toBe('not-detected');
    expect(o.pooled.log10P).toBeGreaterThan(-5);
  });

  it('resumes from a checkpoint (one part on workers) to exactly the numbers of a single run (and of scanCorpus on workers)', async () => {
    const ck = join(dir, 'ck.json');
    const out = join(dir, 'resumed.jsonl');
    const args = [...base(), corpus, '--checkpoint', ck, '--checkpoint-every', '4', '--output', out, '--json'];
    const r1 = await runInProcess([...args, '--limit', '7']);
    expect(r1.code).toBe(3);
    const p1 = parse(r1.stdout);
    expect(p1.complete).toBe(false);
    expect(p1.documentsDone).toBe(7);
    const r2 = await runInProcess([...args, '--resume', '--limit', '16', '--workers', '2']); // checkpointed scans run on workers too
    expect(r2.code).toBe(3);
    expect(parse(r2.stdout)).toMatchObject({ complete: false, resumedFrom: 7, documentsDone: 23 });
    const [r3, workers] = await Promise.all([runInProcess([...args, '--resume']), runInProcess([...base(), corpus, '--workers', '2', '--json'], { timeoutMs: 60_000 })]);
    expect(r3.stderr).toBe('');
    expect(r3.code).toBe(0);
    const done = parse(r3.stdout);
    expect(done).toMatchObject({ complete: true, resumedFrom: 23, documentsDone: 37 });
    expect(numbers(done)).toEqual(numbers(single));
    expect(numbers(parse(workers.stdout))).toEqual(numbers(single));
    // The per-document output is the same bytes as scanCorpus's.
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(dir, 'single.jsonl'), 'utf8'));
    // Resuming a finished scan just reports it again.
    const r4 = await runInProcess([...args, '--resume']);
    expect(numbers(parse(r4.stdout))).toEqual(numbers(single));
  });

  it('reports bad input with one line and exit 2', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"text":"a fine line of text"}\n{"text": oops}\n');
    const ck = join(dir, 'ck2.json');
    await runInProcess([...base(), humanOnly, '--checkpoint', ck, '--limit', '2']);
    const [malformed, missing, exists, other, flags] = await Promise.all([
      runInProcess([...base(), bad]),
      runInProcess([...base(), join(dir, 'nope.jsonl')]),
      runInProcess([...base(), humanOnly, '--checkpoint', ck]),
      runInProcess([...base(), corpus, '--checkpoint', ck, '--resume']),
      runInProcess([...base(), humanOnly, '--limit', '3']),
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(new RegExp(`^tracemark: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: not valid JSON .*\\n$`));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tracemark: corpus file not found: ${join(dir, 'nope.jsonl')}\n`);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists: pass --resume/);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/checkpoint was made for other input files/);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toBe('tracemark: --resume and --limit need --checkpoint <file>\n');
  });
});
