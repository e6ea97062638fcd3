import { describe, expect, it } from 'vitest';
import { seededRng } from '@tracemark/watermark';
import { ADD_FULL, ADDED, PRESENT, TupleSet } from '../src/tupleset.js';

describe('TupleSet', () => {
  it('is an exact set of (hi, lo, token) through growth and O(1) clears', () => {
    const s = new TupleSet(16);
    const rng = seededRng('ts');
    const ref = new Set<string>();
    const keys: [number, number, number][] = [];
    for (let i = 0; i < 20_000; i++) {
      // few distinct values per field, so near-collisions (same hi, lo; other token) are common
      const k: [number, number, number] = [Math.floor(rng() * 50) | 0, (Math.floor(rng() * 50) * 0x9e3779b1) | 0, Math.floor(rng() * 40)];
      keys.push(k);
      const want = ref.has(k.join()) ? PRESENT : ADDED;
      ref.add(k.join());
      expect(s.add(...k)).toBe(want);
    }
    expect(s.size).toBe(ref.size);
    for (const k of keys) expect(s.has(...k)).toBe(true);
    expect(s.has(-1, -1, 7)).toBe(false);
    s.clear();
    expect(s.size).toBe(0);
    for (const k of keys.slice(0, 100)) expect(s.has(...k)).toBe(false);
    expect(s.add(...keys[0]!)).toBe(ADDED);
  });

  it('refuses new entries past its budget and never outgrows it', () => {
    const s = TupleSet.forBudget(64 * 1024);
    let added = 0, full = 0;
    for (let i = 0; i < 5000; i++) {
      const r = s.add(i, i * 7, i % 13);
      if (r === ADDED) added++;
      else if (r === ADD_FULL) full++;
    }
    expect(s.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(added).toBe(2048);
    expect(full).toBe(5000 - 2048);
    expect(s.add(0, 0, 0)).toBe(PRESENT); // known entries are still found
  });

  it('addBatch gives the same answers as add in order', () => {
    const rng = seededRng('batch');
    const n = 50_000;
    const hi = Int32Array.from({ length: n }, () => Math.floor(rng() * 300));
    const lo = Int32Array.from({ length: n }, () => Math.floor(rng() * 300));
    const tok = Int32Array.from({ length: n }, () => Math.floor(rng() * 3));
    const a = new TupleSet(16), b = new TupleSet(16);
    const out = new Uint8Array(n);
    a.addBatch(hi, lo, tok, 0, n, out);
    for (let i = 0; i < n; i++) expect(out[i]).toBe(b.add(hi[i]!, lo[i]!, tok[i]!));
    expect(a.size).toBe(b.size);
  });
});
