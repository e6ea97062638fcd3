/**
 * The evidence pool on its own: each tuple once over all adds, selections and families,
 * Fisher over per-add novel tuples, and a snapshot that continues to exactly the numbers
 * of an uninterrupted pool (JSON round trip included).
 */
import { Watermark } from '@tracemark/watermark';
import { describe, expect, it } from 'vitest';
import { EvidencePool, PoolSnapshotSchema, Scorer, testFromCounts, type PoolTuples } from '../src/index.js';
import { embed, randomTokens, testKey, testSpec } from './helpers.js';

const key = testKey('evidence-pool');
const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 } });
const pspec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 }, payload: { bits: 16, digitBits: 2 } });

function texts(wm: Watermark, n: number): PoolTuples[] {
  const scorer = new Scorer(wm.spec, key);
  return Array.from({ length: n }, (_, i) => {
    // every third text repeats an earlier one: its tuples are not novel
    const tokens = i % 3 === 2 ? embed(wm, { n: 120, seed: i - 1, ...(wm.spec.payload ? { message: 9n } : {}) }) : i % 3 === 0 ? randomTokens(120, `r${i}`, 3000) : embed(wm, { n: 120, seed: i, ...(wm.spec.payload ? { message: 9n } : {}) });
    const r = scorer.score(tokens, { tuples: true, payload: wm.spec.payload !== null });
    return { ...r.tuples!, pos: r.payloadPos, colour: r.payloadColour };
  });
}

describe('evidence pool', () => {
  for (const s of [spec, pspec]) {
    it(`snapshot → JSON → restore continues bit for bit (${s.payload ? 'payload' : 'zero-bit'})`, () => {
      const wm = new Watermark(s, key);
      const ts = texts(wm, 12);
      const opts = { fisher: true, families: 2 };
      const whole = new EvidencePool(wm, opts);
      const adds = ts.map((t, i) => whole.add(t, { family: i % 2 }));
      expect(adds[2]!.novel).toBe(0);
      expect(adds[2]!.duplicates).toBe(ts[2]!.count);
      const first = new EvidencePool(wm, opts);
      ts.slice(0, 5).forEach((t, i) => first.add(t, { family: i % 2 }));
      const snap = PoolSnapshotSchema.parse(JSON.parse(JSON.stringify(first.snapshot())));
      const resumed = new EvidencePool(wm, opts);
      resumed.restore(snap);
      ts.slice(5).forEach((t, i) => expect(resumed.add(t, { family: (i + 5) % 2 })).toEqual(adds[i + 5]));
      expect(resumed.pooled()).toEqual(whole.pooled());
      expect(resumed.fisher()).toEqual(whole.fisher());
      expect([0, 1].map((f) => resumed.familyTest(f))).toEqual([0, 1].map((f) => whole.familyTest(f)));
      // families partition the pool; the pooled test is testFromCounts on the pooled counts
      expect(whole.familyTest(0).scored + whole.familyTest(1).scored).toBe(whole.scored);
      expect(whole.test()).toEqual(testFromCounts(wm, whole.scored, whole.sum, whole.payloadCounts()));
    });
  }

  it('keep drops tuples without remembering them; a bounded set overflows to global-partial', () => {
    const wm = new Watermark(spec, key);
    const [t] = texts(wm, 2);
    const keep = new Uint8Array(t!.count).map((_, j) => j % 2);
    const p = new EvidencePool(wm);
    const a = p.add(t!, { keep });
    expect(a.unselected + a.novel).toBe(t!.count);
    const b = p.add(t!);
    expect(b.novel).toBe(a.unselected); // the unselected half was never remembered
    const small = new EvidencePool(wm, { dedupMemoryBytes: 16 * 1024 }); // 512 entries at most
    for (const x of texts(wm, 12)) small.add(x);
    expect(small.pooled().dedup).toBe('global-partial');
    const restored = new EvidencePool(wm, { dedupMemoryBytes: 16 * 1024 });
    restored.restore(small.snapshot());
    expect(restored.pooled()).toEqual(small.pooled());
  });

  it('refuses a corrupt or mismatched snapshot', () => {
    const wm = new Watermark(spec, key);
    const p = new EvidencePool(wm);
    for (const t of texts(wm, 3)) p.add(t);
    const snap = p.snapshot();
    expect(() => new EvidencePool(wm).restore({ ...snap, scored: snap.scored + 1 }, 'checkpoint')).toThrow('the checkpoint is corrupt (tuple data)');
    const tuples = Buffer.from(snap.tuples, 'base64');
    const twice = Buffer.concat([tuples.subarray(0, 12), tuples.subarray(0, tuples.length - 12)]).toString('base64');
    expect(() => new EvidencePool(wm).restore({ ...snap, tuples: twice })).toThrow('the snapshot is corrupt (repeated tuples)');
    expect(() => new EvidencePool(new Watermark(pspec, key)).restore(snap)).toThrow("the snapshot does not match the spec's payload");
  });
});
