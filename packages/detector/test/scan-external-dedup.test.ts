// The reduce job's core (FirstOccurrences): the first occurrence of each distinct tuple of a
// record stream in arrival order, equal to a JS Set walk — in one pass when the tuples fit
// the budget, and through hash pieces split again when a piece still overflows its set.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRng } from '@tracemark/watermark';
import { FirstOccurrences, type Blocks } from '../src/corpus/external/first-occurrences.js';
import { FileKind, RecordReader, RecordWriter } from '../src/corpus/external/format.js';

const dir = mkdtempSync(join(tmpdir(), 'tm-first-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PLAN = '0123456789abcdef0123456789abcdef';
const W = 8; // hi, lo, token, shard, doc, j, score (2 words)

/** n records over `distinct` tuples (unigram-like: hi and lo often equal), in order (shard, doc, j). */
function records(n: number, distinct: number, seed: string): Int32Array {
  const rng = seededRng(seed);
  const keys = Array.from({ length: distinct }, (_, i) => (i % 3 === 0 ? [7, 7, i] : [Math.floor(rng() * 2 ** 32) | 0, Math.floor(rng() * 2 ** 32) | 0, Math.floor(rng() * 200_000)]));
  const r = new Int32Array(n * W);
  for (let i = 0; i < n; i++) {
    const k = keys[Math.floor(rng() * distinct)]!;
    r.set([k[0]!, k[1]!, k[2]!, Math.floor(i / 10_000), Math.floor(i / 100) % 100, i % 100, i, -i], i * W);
  }
  return r;
}

function blocksOf(r: Int32Array, size = 777): Blocks {
  return function* () {
    const n = r.length / W;
    for (let a = 0; a < n; a += size) yield { buf: r.subarray(a * W, Math.min(n, a + size) * W), n: Math.min(n, a + size) - a };
  };
}

function expected(r: Int32Array): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = 0; i < r.length / W; i++) {
    const k = `${r[i * W]},${r[i * W + 1]},${r[i * W + 2]}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(...r.subarray(i * W + 3, i * W + W));
  }
  return out;
}

function dedup(r: Int32Array, memory: number, name: string): { got: number[]; spilled: number; capacity: number } {
  const first = new FirstOccurrences({ words: W, memory, tmpDir: join(dir, `${name}.tmp`), plan: PLAN, id: 0 });
  const out = new RecordWriter(join(dir, `${name}.bin`), W - 3, 100);
  first.run(blocksOf(r), r.length / W, out);
  out.commit(FileKind.reduced, 0, PLAN);
  const rd = new RecordReader(join(dir, `${name}.bin`), { kind: FileKind.reduced, id: 0, plan: PLAN, words: W - 3 }, 1000);
  const got: number[] = [];
  for (let b = rd.next(); b.n > 0; b = rd.next()) got.push(...b.buf.subarray(0, b.n * (W - 3)));
  rd.close();
  return { got, spilled: first.spilled, capacity: first.capacity };
}

describe('first occurrences', () => {
  it('in one pass when the records fit the set: nothing spilled', () => {
    const r = records(30_000, 5_000, 'a');
    const { got, spilled } = dedup(r, 4 * 2 ** 20, 'fits');
    expect(spilled).toBe(0);
    expect(got).toEqual(expected(r));
  });

  it('through hash pieces, split again when a piece overflows its set (64 KiB: 1024 tuples per set)', () => {
    const r = records(300_000, 150_000, 'b');
    const { got, spilled, capacity } = dedup(r, 64 * 1024, 'split');
    expect(capacity).toBe(1024);
    // 150 000 distinct over 64 pieces overflow 1024 each: pieces of pieces were written
    expect(spilled).toBeGreaterThan(2 * 64);
    expect(got).toEqual(expected(r));
    expect(readdirSync(join(dir, 'split.tmp'))).toEqual([]); // every piece removed once merged
  });

  it('many copies of few tuples: more records than the set holds, yet one tried pass suffices (no split)', () => {
    const r = records(100_000, 300, 'c');
    const { got, spilled } = dedup(r, 64 * 1024, 'copies');
    expect(spilled).toBe(1); // the pass's output, merged into the result
    expect(got).toEqual(expected(r));
  });
});
