// The out-of-core scan (corpus/external): plan → map jobs → reduce jobs → finalize gives the
// bytes of the in-memory scanCorpus — summary JSON (minus the fields naming the mode) and the
// per-document output file — for tracemark KGW with a payload, Gumbel, SynthID and an engine
// spec, on Brown-corpus text with repeated documents; also when the corpus is cut into many
// shards and a tiny memory budget forces every partition through pieces on disk; on worker
// threads; and through scanCorpus's memoryBytes / spillDir, whose rule picks the mode.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import type { AnySpec, EngineKey, WatermarkKey } from '@tracemark/watermark';
import { minimumBudget, planScan, runScanLocally, scanCorpus, type ScanSummary } from '../src/index.js';
import { SPECS } from './scan-specs.js';

let dir: string;
let corpus: string;
let texts: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-ext-'));
  const docs = humanText({ split: 'calibration', sources: ['brown'] }).slice(0, 70).map((d) => d.text);
  texts = [...docs.slice(0, 50), docs[3]!, `${docs[10]!.slice(0, 400)} ${docs[60]!}`, '', ...docs.slice(50), docs[7]!];
  corpus = join(dir, 'corpus.jsonl');
  writeFileSync(corpus, texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The summary without the fields that name the mode (workers; dedupBytes: table memory vs bytes on disk). */
function comparable(s: ScanSummary): string {
  const { workers: _w, mode: _m, pooled, ...rest } = s;
  const { dedupBytes: _b, ...p } = pooled;
  return JSON.stringify({ ...rest, pooled: p });
}

let n = 0;
async function inMemory(w: { spec: AnySpec; key: WatermarkKey | EngineKey }): Promise<{ summary: string; output: string; s: ScanSummary }> {
  const output = join(dir, `mem-${n++}.jsonl`);
  const s = await scanCorpus(w, [corpus], { idField: 'id', keepTop: 4, output });
  return { summary: comparable(s), output: readFileSync(output, 'utf8'), s };
}

async function external(w: { spec: AnySpec; key: WatermarkKey | EngineKey }, o: { shardBytes?: number; memoryBytes?: number; workers?: number; partitionBits?: number } = {}): Promise<{ summary: string; output: string; s: ScanSummary; dir: string }> {
  const output = join(dir, `ext-${n}.jsonl`);
  const scanDir = join(dir, `scan-${n++}`);
  const plan = planScan(w.spec, [corpus], { idField: 'id', ...(o.shardBytes !== undefined ? { shardBytes: o.shardBytes } : {}), ...(o.partitionBits !== undefined ? { partitionBits: o.partitionBits } : {}) });
  const s = await runScanLocally(plan, scanDir, w.key, { keepTop: 4, output, workers: o.workers ?? 0, ...(o.memoryBytes !== undefined ? { memoryBytes: o.memoryBytes } : {}) });
  return { summary: comparable(s), output: readFileSync(output, 'utf8'), s, dir: scanDir };
}

describe('out-of-core scan: the bytes of the in-memory scan', () => {
  for (const [label, make] of SPECS) {
    it(label, async () => {
      const w = make();
      const mem = await inMemory(w);
      expect(mem.s.pooled.scored).toBeLessThan(mem.s.scored); // repeats were deduplicated
      const ext = await external(w);
      expect(ext.summary).toBe(mem.summary);
      expect(ext.output).toBe(mem.output);
      expect(ext.s.pooled.dedupEntries).toBe(mem.s.pooled.dedupEntries);
    }, 120_000);
  }
});

describe('out-of-core scan: shards, spills and threads do not change a bit', () => {
  it('many shards (line ranges of the file), a tiny memory budget (every partition spilled in hash pieces), 2 worker threads', async () => {
    const w = SPECS[1]![1](); // gumbel: real-valued scores, so the order of additions shows
    const mem = await inMemory(w);
    const ext = await external(w, { shardBytes: 20_000, memoryBytes: 64 * 1024, partitionBits: 2 });
    expect(JSON.parse(readFileSync(join(ext.dir, 'plan.json'), 'utf8')).shards.length).toBeGreaterThan(8);
    const runs = [0, 1, 2, 3].map((k) => JSON.parse(readFileSync(join(ext.dir, 'reduce', `p${k}.done.json`), 'utf8')).runs as number);
    expect(Math.min(...runs)).toBeGreaterThan(16); // every partition went through pieces on disk
    expect(ext.summary).toBe(mem.summary);
    expect(ext.output).toBe(mem.output);
    const threads = await external(w, { shardBytes: 50_000, workers: 2 });
    expect(threads.s.workers).toBe(2);
    expect(threads.summary).toBe(mem.summary);
    expect(threads.output).toBe(mem.output);
  }, 240_000);
});

describe('scanCorpus with a memory budget', () => {
  it('runs out of core when the corpus may not fit, in memory when it certainly fits, and in a given spill directory; the same bytes', async () => {
    const w = SPECS[0]![1]();
    const mem = await inMemory(w);
    const out = join(dir, 'budget.jsonl');
    // the smallest budget leaves 4 MiB for the set: 32 768 input bytes at most stay in memory
    const small = await scanCorpus(w, [corpus], { idField: 'id', keepTop: 4, output: out, memoryBytes: minimumBudget(0) });
    expect(small.mode?.outOfCore).toBe(true);
    expect(comparable(small)).toBe(mem.summary);
    expect(readFileSync(out, 'utf8')).toBe(mem.output);
    rmSync(out);
    const spill = join(dir, 'spill');
    const given = await scanCorpus(w, [corpus], { idField: 'id', keepTop: 4, output: out, spillDir: spill, workers: 1 });
    expect(given.mode).toEqual({ outOfCore: true, why: 'a spill directory was given' });
    expect(comparable(given)).toBe(mem.summary);
    expect(readFileSync(join(spill, 'plan.json'), 'utf8')).toContain('tracemark-scan-plan'); // kept
    const tiny = join(dir, 'tiny.jsonl');
    writeFileSync(tiny, texts.slice(0, 3).map((text) => JSON.stringify({ text: text.slice(0, 5000) })).join('\n') + '\n');
    const fits = await scanCorpus(w, [tiny], { memoryBytes: minimumBudget(0) });
    expect(fits.mode?.outOfCore).toBe(false);
    expect(fits.pooled.dedup).toBe('global');
    await expect(scanCorpus(w, [corpus], { memoryBytes: minimumBudget(2) - 1, workers: 2 })).rejects.toThrow(/below the \d+ a scan on 2 worker threads needs/);
    await expect(scanCorpus(w, [corpus], { spillDir: join(dir, 'spill2'), checkpoint: join(dir, 'x.ck') })).rejects.toThrow(/resumes from its spill directory/);
  }, 120_000);
});

describe('out-of-core scan: text paragraphs cut into shards, and token ids', () => {
  it('a text file cut after blank lines (CRLF, runs of blank lines, a BOM) and a JSONL of token ids with prompt ids: the in-memory bytes', async () => {
    const w = SPECS[3]![1](); // vllm/gumbel
    const paras = texts.filter((t) => t !== '').slice(0, 40).map((t) => t.replace(/\n\s*\n/g, '\n').slice(0, 1500));
    const txt = join(dir, 'paras.txt');
    // blank lines of every kind between paragraphs; CRLF in part of the file; a BOM at its start
    const seps = ['\n\n', '\n\n\n', '\n \t\n', '\r\n\r\n'];
    writeFileSync(txt, '\uFEFF' + paras.map((p, i) => (i % 4 === 3 ? p.replace(/\n/g, '\r\n') : p) + seps[i % 4]).join(''));
    const both = async (file: string, extra: Parameters<typeof planScan>[2] = {}): Promise<void> => {
      const outMem = join(dir, `m-${n}.jsonl`), outExt = join(dir, `e-${n}.jsonl`), scanDir = join(dir, `scan-${n++}`);
      const mem = await scanCorpus(w, [file], { ...extra, keepTop: 3, output: outMem } as Parameters<typeof scanCorpus>[2]);
      const plan = planScan(w.spec, [file], { shardBytes: 4000, ...extra });
      expect(plan.shards.length).toBeGreaterThan(5);
      const ext = await runScanLocally(plan, scanDir, w.key, { keepTop: 3, output: outExt });
      expect(comparable(ext)).toBe(comparable(mem));
      expect(readFileSync(outExt, 'utf8')).toBe(readFileSync(outMem, 'utf8'));
    };
    await both(txt);
    const d = new (await import('../src/index.js')).Detector(w.spec, w.key);
    const idsFile = join(dir, 'ids.jsonl');
    writeFileSync(idsFile, paras.map((p, i) => {
      const ids = Array.from(d.tokenize(p).tokens);
      return JSON.stringify(i % 3 === 0 ? { ids, prompt_ids: ids.slice(0, 20) } : { ids });
    }).join('\n') + '\n');
    d.dispose();
    await both(idsFile, { ids: {} });
  }, 120_000);
});

describe('out-of-core scan: bad input', () => {
  it('a malformed line fails its map job on a thread with the message scanCorpus gives; nothing is written', async () => {
    const w = SPECS[1]![1]();
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [JSON.stringify({ text: texts[0] }), '{"text": 3}', JSON.stringify({ text: texts[1] })].join('\n') + '\n');
    const mem = await scanCorpus(w, [bad], {}).then(() => '', (e: Error) => e.message);
    expect(mem).toBe(`${bad}:2: field "text" is missing or not a string`);
    const out = join(dir, 'bad.out.jsonl'), scanDir = join(dir, 'scan-bad-input');
    await expect(runScanLocally(planScan(w.spec, [bad]), scanDir, w.key, { workers: 2, output: out })).rejects.toThrow(mem);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(scanDir, 'map', 's0', 'done.json'))).toBe(false);
  }, 60_000);
});

describe('out-of-core scan: output path', () => {
  it('an output file in a missing directory is refused before any job runs', async () => {
    const w = SPECS[1]![1]();
    const scanDir = join(dir, 'scan-no-out');
    await expect(runScanLocally(planScan(w.spec, [corpus]), scanDir, w.key, { output: join(dir, 'nope', 'out.jsonl') })).rejects.toThrow(/nope: does not exist|the directory .*nope does not exist/);
    expect(existsSync(join(scanDir, 'plan.json'))).toBe(false);
  });
});
