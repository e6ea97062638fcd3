// Partitioned corpus-wide dedup: a scan of real human text (the corpora package) gives the
// same bytes — summary JSON and per-document output file — with 0, 1 and 2 workers, for
// tracemark's KGW (with a payload), Gumbel and SynthID specs and two engine specs; the
// pooled sums are the single-thread additions in document and tuple order (checked against
// an independent recomputation); a run stopped and resumed on workers matches; and the
// partition machinery itself decides as one set would.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { seededRng, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { Detector, scanCorpus, type ScanSummary } from '../src/index.js';
import { PartitionOwner } from '../src/corpus/owner.js';
import { initialSlots, PartitionedDedup, partitionBits } from '../src/corpus/partitions.js';
import { ADDED, PRESENT, TupleSet } from '../src/tupleset.js';
import { engineSpec, tracemarkSpec } from './scan-specs.js';

let dir: string;
let corpus: string;
let texts: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-part-'));
  const docs = humanText({ split: 'calibration', sources: ['brown'] }).slice(0, 70).map((d) => d.text);
  // repeats (whole documents and a shared paragraph) make corpus-wide dedup matter; an empty one is counted
  texts = [...docs.slice(0, 50), docs[3]!, `${docs[10]!.slice(0, 400)} ${docs[60]!}`, '', ...docs.slice(50), docs[7]!];
  corpus = join(dir, 'corpus.jsonl');
  writeFileSync(corpus, texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPECS: [string, () => { spec: AnySpec; key: WatermarkKey | EngineKey }][] = [
  ['kgw with a 16-bit payload', () => tracemarkSpec({ scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 16, digitBits: 2 } }, 'p-kgw')],
  ['gumbel', () => tracemarkSpec({ scheme: { name: 'gumbel' }, context: { width: 2, mode: 'left' } }, 'p-gumbel')],
  ['synthid', () => tracemarkSpec({ scheme: { name: 'synthid', layers: 30 }, context: { width: 2, mode: 'min' } }, 'p-synthid')],
  ['engine vllm/gumbel', () => engineSpec({ scheme: 'vllm/gumbel' }, 'p-vllm')],
  ['engine sglang/gumbel', () => engineSpec({ scheme: 'sglang/gumbel' }, 'p-sglang')],
];

async function run(w: { spec: AnySpec; key: WatermarkKey | EngineKey }, workers: number, name: string, extra: Parameters<typeof scanCorpus>[2] = {}): Promise<{ summary: string; output: string; s: ScanSummary }> {
  const output = join(dir, `${name.replace(/\W+/g, '-')}.out.jsonl`);
  const s = await scanCorpus(w, [corpus], { workers, idField: 'id', batchDocs: 5, keepTop: 4, output, ...extra });
  const { workers: _w, ...rest } = s;
  return { summary: JSON.stringify(rest), output: readFileSync(output, 'utf8'), s };
}

describe('partitioned dedup: the same bytes on 0, 1 and 2 workers', () => {
  for (const [label, make] of SPECS) {
    it(label, async () => {
      const w = make();
      const zero = await run(w, 0, `${label}-0`);
      expect(zero.s.documents).toBe(texts.length - 1);
      expect(zero.s.emptyDocuments).toBe(1);
      // the repeated documents' tuples are counted once
      expect(zero.s.pooled.scored).toBeLessThan(zero.s.scored);
      expect(zero.s.pooled.dedup).toBe('global');
      for (const workers of [1, 2]) {
        const r = await run(w, workers, `${label}-${workers}`);
        expect(r.summary, `summary with ${workers} workers`).toBe(zero.summary);
        expect(r.output, `per-document output with ${workers} workers`).toBe(zero.output);
      }
    }, 240_000);
  }
});

describe('the pooled sums are the single-thread sums', () => {
  it('pooled and per-document novel sums equal an independent left-to-right recomputation (gumbel: real-valued scores)', async () => {
    const w = SPECS[1]![1]();
    const { s, output } = await run(w, 2, 'order');
    // recompute: every document's scored tuples in order, a JS Set of keys, one running sum
    const d = new Detector(w.spec, w.key);
    const seen = new Set<string>();
    let sum = 0, scored = 0;
    const novelSums: number[] = [];
    for (const text of texts) {
      if (text === '') continue;
      const r = d.scorer.score(d.tokenize(text).tokens, { dedup: true, tuples: true });
      const t = r.tuples!;
      let docSum = 0;
      for (let j = 0; j < t.count; j++) {
        const k = `${t.hi[j]},${t.lo[j]},${t.token[j]}`;
        if (seen.has(k)) continue;
        seen.add(k);
        sum += t.score[j]!;
        docSum += t.score[j]!;
        scored++;
      }
      novelSums.push(docSum);
    }
    d.dispose();
    expect(s.pooled.scored).toBe(scored);
    expect(s.pooled.score).toBe(sum);
    expect(Number.isInteger(sum)).toBe(false);
    const lines = output.trim().split('\n').map((l) => JSON.parse(l) as { novel: { score: number } });
    expect(lines.map((l) => l.novel.score)).toEqual(novelSums);
  });

  it('stopped twice on 2 workers (batches read ahead) and resumed, the bytes are those of one run on 0 workers', async () => {
    const w = SPECS[3]![1]();
    const whole = await run(w, 0, 'whole', { checkpoint: join(dir, 'whole.ck') });
    const ck = join(dir, 'parts.ck');
    const first = await run(w, 2, 'parts', { checkpoint: ck, limit: 13 });
    expect(first.s.progress).toEqual({ complete: false, resumedFrom: 0, documentsDone: 13 });
    await run(w, 2, 'parts', { checkpoint: ck, resume: true, limit: 29 });
    const last = await run(w, 1, 'parts', { checkpoint: ck, resume: true });
    expect(last.output).toBe(whole.output);
    const strip = (x: ScanSummary): unknown => ({ ...x, workers: 0, progress: undefined });
    expect(strip(last.s)).toEqual(strip(whole.s));
    expect(JSON.parse(readFileSync(ck, 'utf8')).tuples.length).toBe(JSON.parse(readFileSync(join(dir, 'whole.ck'), 'utf8')).tuples.length);
  });
});

describe('output path', () => {
  it('an output file in a missing directory is refused up front (it used to wait forever on the failed stream)', async () => {
    const w = SPECS[1]![1]();
    await expect(scanCorpus(w, [corpus], { workers: 2, output: join(dir, 'nope', 'out.jsonl') })).rejects.toThrow(/does not exist/);
  });
});

describe('partitions', () => {
  function tuples(n: number, distinct: number): { hi: Int32Array; lo: Int32Array; token: Int32Array } {
    const rng = seededRng('partition-tuples');
    const pool = Array.from({ length: distinct }, () => [Math.floor(rng() * 2 ** 32) | 0, Math.floor(rng() * 2 ** 32) | 0, Math.floor(rng() * 200_000)] as const);
    const pick = Array.from({ length: n }, () => pool[Math.floor(rng() * distinct)]!);
    return { hi: Int32Array.from(pick, (p) => p[0]), lo: Int32Array.from(pick, (p) => p[1]), token: Int32Array.from(pick, (p) => p[2]) };
  }

  it('decide as one set would, whoever owns which partition', () => {
    const t = tuples(20_000, 6_000);
    const one = new TupleSet();
    const expected = Uint8Array.from({ length: 20_000 }, (_, i) => one.add(t.hi[i]!, t.lo[i]!, t.token[i]!));
    const all = new PartitionedDedup({ budgetBytes: 64 * 2 ** 20, expectedTuples: 0 });
    expect(all.partitions).toBe(16);
    const got = new Uint8Array(20_000);
    // in uneven slices, as documents come
    for (let a = 0; a < 20_000; a += 1234) {
      const b = Math.min(20_000, a + 1234);
      const out = new Uint8Array(b - a);
      all.addBatch(t.hi.subarray(a), t.lo.subarray(a), t.token.subarray(a), b - a, out);
      got.set(out, a);
    }
    expect(got).toEqual(expected);
    expect(all.size).toBe(one.size);
    // three owners of disjoint partitions together hold the same tuples
    const owners = [0, 1, 2].map((w) => new PartitionedDedup({ budgetBytes: 64 * 2 ** 20, expectedTuples: 0 }, (p) => p % 3 === w));
    const res = new Uint8Array(20_000);
    for (let i = 0; i < 20_000; i++) {
      const o = owners[all.partitionOf(t.hi[i]!, t.lo[i]!, t.token[i]!) % 3]!;
      const r = new Uint8Array(1);
      o.addBatch(t.hi.subarray(i, i + 1), t.lo.subarray(i, i + 1), t.token.subarray(i, i + 1), 1, r);
      res[i] = r[0]!;
    }
    expect(res).toEqual(expected);
    expect(owners.reduce((a, o) => a + o.size, 0)).toBe(one.size);
    expect(owners.reduce((a, o) => a + o.bytes, 0)).toBe(all.bytes);
    const restored = new PartitionedDedup({ budgetBytes: 64 * 2 ** 20, expectedTuples: 0 });
    expect(restored.restore(Int32Array.from([...owners.flatMap((o) => [...o.entries()])]))).toBe(true);
    expect(restored.size).toBe(one.size);
    expect(restored.restore(all.entries().subarray(0, 3))).toBe(false); // a repeat: corrupt
  });

  it('fewer partitions for small budgets, each within its share', () => {
    expect(partitionBits(512 * 2 ** 20)).toBe(4);
    expect(partitionBits(64 * 1024)).toBe(1);
    expect(partitionBits(1024)).toBe(0);
    expect(new PartitionedDedup({ budgetBytes: 64 * 1024, expectedTuples: 1e9 }).bytes).toBeLessThanOrEqual(64 * 1024);
    // sized for the expected tuples (at most ~40 % full), within the budget
    expect(initialSlots(0)).toBe(2 ** 21);
    expect(initialSlots(1e6)).toBe(2 ** 22);
    expect(new PartitionedDedup({ budgetBytes: 512 * 2 ** 20, expectedTuples: 1e6 }).bytes).toBe(2 ** 22 * 16);
    expect(new PartitionedDedup({ budgetBytes: 32 * 2 ** 20, expectedTuples: 1e9 }).bytes).toBe(32 * 2 ** 20);
  });

  it('an owner applies buckets in document order and its state at D leaves out what documents ≥ D inserted', () => {
    const t = tuples(300, 120);
    const emitted: number[] = [];
    const owner = new PartitionOwner(new PartitionedDedup({ budgetBytes: 2 ** 20, expectedTuples: 0 }), 10, (start) => emitted.push(start));
    // documents 10…15, 50 tuples each, in batches [10, 12) [12, 14) [14, 16)
    const bucket = (start: number, end: number) => {
      const a = (start - 10) * 50, b = (end - 10) * 50;
      return { start, end, offsets: Int32Array.from({ length: end - start + 1 }, (_, i) => i * 50), hi: t.hi.slice(a, b), lo: t.lo.slice(a, b), token: t.token.slice(a, b) };
    };
    owner.receive(bucket(14, 16));
    owner.receive(bucket(12, 14));
    expect(emitted).toEqual([]); // waiting for documents 10 and 11
    owner.receive(bucket(10, 12));
    expect(emitted).toEqual([10, 12, 14]);
    const upTo13 = new Set<string>();
    for (let i = 0; i < 150; i++) upTo13.add(`${t.hi[i]},${t.lo[i]},${t.token[i]}`);
    const s = owner.state(13, true);
    expect(s.entries).toBe(upTo13.size);
    const got = new Set<string>();
    for (let k = 0; k < s.tuples!.length; k += 3) got.add(`${s.tuples![k]},${s.tuples![k + 1]},${s.tuples![k + 2]}`);
    expect(got).toEqual(upTo13);
    expect(ADDED).not.toBe(PRESENT);
  });
});
