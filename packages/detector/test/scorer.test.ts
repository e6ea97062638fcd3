import { describe, expect, it } from 'vitest';
import { Scorer, FLAG_DUPLICATE, FLAG_NO_CONTEXT, FLAG_SCORED, FLAG_EXCLUDED, FLAG_SPECIAL } from '../src/scorer.js';
import { randomTokens, testKey, testSpec } from './helpers.js';

const schemes = [
  { name: 'kgw', gamma: 0.25, delta: 2 },
  { name: 'gumbel' },
  { name: 'synthid', layers: 30 },
  { name: 'synthid', layers: 64 },
  { name: 'unigram', gamma: 0.5, delta: 2 },
] as const;

/** Bitwise equality (NaN equals NaN, −0 ≠ +0): what "bit for bit" means. */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('Scorer engines agree', () => {
  const key = testKey(1);
  for (const scheme of schemes) {
    for (const mode of scheme.name === 'unigram' ? (['left'] as const) : (['left', 'min', 'self'] as const)) {
      for (const width of scheme.name === 'kgw' ? [1, 2, 3, 8] : scheme.name === 'unigram' ? [1] : [1, 3]) {
        it(`${scheme.name}${'layers' in scheme ? scheme.layers : ''} ${mode} h=${width}`, () => {
          const spec = testSpec(key, { scheme, context: { width, mode } });
          const fast = new Scorer(spec, key, 'wasm');
          const ref = new Scorer(spec, key, 'reference');
          // small vocab → many repeated tuples; long enough to span two blocks
          const toks = randomTokens(17_000, `${scheme.name}${mode}${width}`, 60);
          const ex = ref.exclusionSet([randomTokens(50, 'prompt', 60)]);
          for (const opts of [{ dedup: true }, { dedup: false }, { dedup: true, exclude: ex }]) {
            const a = fast.score(toks, { ...opts, perToken: true, tuples: true });
            const b = ref.score(toks, { ...opts, perToken: true, tuples: true });
            expect(a.scored).toBe(b.scored);
            expect(a.duplicates).toBe(b.duplicates);
            expect(a.excluded).toBe(b.excluded);
            expect(a.noContext).toBe(b.noContext);
            expect(a.sum).toBe(b.sum);
            expect(sameBytes(a.flags!, b.flags!)).toBe(true);
            expect(sameBytes(a.scores!, b.scores!)).toBe(true);
            const ta = a.tuples!, tb = b.tuples!;
            expect(ta.count).toBe(tb.count);
            for (const f of ['hi', 'lo', 'token', 'score'] as const) expect(sameBytes(ta[f], tb[f])).toBe(true);
            // the plain path (no per-token output) takes shortcuts: same numbers
            const plain = fast.score(toks, opts);
            expect([plain.scored, plain.sum, plain.duplicates, plain.excluded]).toEqual([b.scored, b.sum, b.duplicates, b.excluded]);
          }
        });
      }
    }
  }
  it('kgw payload positions and colours agree', () => {
    const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 2, mode: 'self' }, payload: { bits: 16, digitBits: 2 } });
    const toks = randomTokens(5000, 'payload', 3000);
    const a = new Scorer(spec, key, 'wasm').score(toks, { payload: true });
    const b = new Scorer(spec, key, 'reference').score(toks, { payload: true });
    expect(a.payloadPos).toEqual(b.payloadPos);
    expect(a.payloadColour).toEqual(b.payloadColour);
    expect(Math.max(...a.payloadPos!)).toBe(7);
  });
});

describe('Scorer flags', () => {
  const key = testKey(2);
  const spec = testSpec(key, { scheme: { name: 'kgw' }, context: { width: 2, mode: 'left' } });
  it('marks no-context, duplicates, special and excluded positions', () => {
    const sc = new Scorer(spec, key);
    sc.setSpecialTokens([999]);
    // 5 6 7 5 6 7 999 8: position 5 repeats the tuple of position 2 (window 5,6 token 7)
    const toks = [5, 6, 7, 5, 6, 7, 999, 8];
    const r = sc.score(toks, { perToken: true });
    expect(Array.from(r.flags!)).toEqual([
      FLAG_NO_CONTEXT, FLAG_NO_CONTEXT, FLAG_SCORED, FLAG_SCORED, FLAG_SCORED, FLAG_DUPLICATE, FLAG_SPECIAL, FLAG_SCORED,
    ]);
    expect(r.scored).toBe(4);
    const ex = sc.exclusionSet([[1, 5, 6]]); // windows (1,5) and (5,6)
    const r2 = sc.score(toks, { perToken: true, exclude: ex });
    expect(r2.flags![2]).toBe(FLAG_EXCLUDED);
    expect(r2.flags![5]).toBe(FLAG_EXCLUDED);
    expect(r2.excluded).toBe(2);
  });
  it('rejects bad token ids and a wrong key', () => {
    const sc = new Scorer(spec, key);
    expect(() => sc.score([1, 2.5])).toThrow(/token 1 is 2.5/);
    expect(() => sc.score([1, -1])).toThrow(expect.objectContaining({ code: 'BAD_TOKENS' }));
    expect(() => new Scorer(spec, testKey(3))).toThrow(expect.objectContaining({ code: 'WRONG_KEY' }));
  });
});
