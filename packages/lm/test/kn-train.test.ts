import { describe, expect, it } from 'vitest';
import {
  buildTrie,
  decodeKnFile,
  encode,
  encodeKnFile,
  KneserNeyModel,
  modifiedKnDiscounts,
  sortPositions,
  tokenizerInfo,
  trainingStream,
  trainKneserNey,
} from '@tracemark/lm';
import { lcg, ReferenceKn } from './helpers.js';

const TEXTS = [
  'the cat sat on the mat. the cat ate the rat.',
  'a dog sat on the log; the dog saw the cat on the mat.',
  'the rat ran. the cat ran after the rat, and the dog ran after the cat.',
  'on the mat sat the cat, on the log sat the dog.',
];

describe('n-gram counting', () => {
  it('sorts the circular stream positions by their n-grams', () => {
    const rand = lcg(1);
    const stream = Uint32Array.from({ length: 500 }, () => Math.floor(rand() * 7));
    const perm = sortPositions(stream, 7, 3);
    const key = (p: number) => [0, 1, 2].map((i) => stream[(p + i) % 500]!);
    for (let i = 1; i < perm.length; i++) {
      const a = key(perm[i - 1]!), b = key(perm[i]!);
      const cmp = a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
      expect(cmp).toBeLessThanOrEqual(0);
      if (cmp === 0) expect(perm[i - 1]!).toBeLessThan(perm[i]!); // stable
    }
  });

  it('builds a trie whose raw and continuation counts match brute force', () => {
    const rand = lcg(2);
    const V = 6, L = 400, order = 4;
    const stream = Uint32Array.from({ length: L }, () => Math.floor(rand() * V));
    const trie = buildTrie(stream, V, order);
    // Walk the trie, reconstructing every k-gram and checking its counts.
    const raw = new Map<string, number>();
    for (let k = 1; k <= order; k++) {
      for (let p = 0; p < L; p++) {
        const g = Array.from({ length: k }, (_, i) => stream[(p + i) % L]).join(',');
        raw.set(g, (raw.get(g) ?? 0) + 1);
      }
    }
    let nodes = 0;
    const visit = (level: number, node: number, prefix: number[]) => {
      const gram = [...prefix, level === 0 ? node : trie.token[level]![node]!];
      const key = gram.join(',');
      nodes++;
      expect(trie.rawCount[level]![node]).toBe(raw.get(key));
      if (level < order - 1) {
        const lefts = new Set<number>();
        for (let x = 0; x < V; x++) if (raw.has(`${x},${key}`)) lefts.add(x);
        expect(trie.contCount[level]![node]).toBe(lefts.size);
        let prevTok = -1;
        for (let e = trie.childStart[level]![node]!; e < trie.childStart[level]![node + 1]!; e++) {
          expect(trie.token[level + 1]![e]!).toBeGreaterThan(prevTok); // children sorted by token
          prevTok = trie.token[level + 1]![e]!;
          visit(level + 1, e, gram);
        }
      }
    };
    for (let v = 0; v < V; v++) visit(0, v, []);
    expect(nodes).toBe(raw.size);
  });

  it('estimates modified KN discounts from the count-of-counts (Chen & Goodman)', () => {
    // n1 = 4, n2 = 2, n3 = 1, n4 = 1: Y = 4/8, D1 = 1 − 2·0.5·2/4 = 0.5, D2 = 2 − 3·0.5·1/2 = 1.25, D3+ = 3 − 4·0.5·1 = 1.
    expect(modifiedKnDiscounts(Uint32Array.of(1, 1, 1, 1, 2, 2, 3, 4, 9))).toEqual([0.5, 1.25, 1]);
    // A missing count-of-count makes the formula undefined: documented fallback.
    expect(modifiedKnDiscounts(Uint32Array.of(1, 1, 2))).toEqual([0.5, 1, 1.5]);
  });
});

describe('Kneser–Ney model', () => {
  const data = trainKneserNey(TEXTS, { order: 3 });
  const model = new KneserNeyModel(data);
  const info = tokenizerInfo('o200k_base');
  const stream = Array.from(trainingStream(TEXTS, 'o200k_base'));
  const ref = new ReferenceKn(stream, 3, info.eos, info.ordinary + 1);

  it('matches an independent implementation of interpolated modified KN', () => {
    expect(data.discounts).toEqual(ref.discounts);
    const seen = [...new Set(stream)];
    const unseen = [5, 1000, 150_000, info.ordinary - 1];
    for (const prompt of ['', 'the', 'the cat', 'on the mat', 'dog saw', 'zebra the', 'the zebra']) {
      const prefix = Array.from(encode('o200k_base', prompt));
      for (const w of [...seen, ...unseen]) {
        const p = model.prob(prefix, prefix.length, w);
        expect(Math.abs(p - ref.prob(prefix, w)) / p).toBeLessThan(1e-12);
      }
    }
  });

  it('is a probability distribution over the whole vocabulary after any prefix', () => {
    for (const prompt of ['', 'the cat', 'the zebra', 'ran after the']) {
      const prefix = Array.from(encode('o200k_base', prompt));
      const lp = model.logits(prefix, prefix.length);
      expect(lp.length).toBe(info.vocabSize);
      let sum = 0;
      for (const x of lp) sum += Math.exp(x);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5); // float32 logits
      expect(lp[info.ordinary]).toBe(-Infinity); // 199998: not a token of o200k_base
      expect(lp[info.eos]).toBeGreaterThan(-Infinity);
    }
  });

  it('trains deterministically: the same documents give the same bytes', () => {
    const meta = { corpusFingerprint: 'x', params: { a: 1 } };
    const a = encodeKnFile(trainKneserNey(TEXTS, { order: 3 }), meta);
    const b = encodeKnFile(trainKneserNey(TEXTS, { order: 3 }), meta);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const back = decodeKnFile(a);
    expect(back.meta).toEqual(meta);
    expect(back.data.discounts).toEqual(data.discounts);
    expect(back.data.count.map((c) => Array.from(c))).toEqual(data.count.map((c) => Array.from(c)));
  });

  it('rejects bad training input with clear messages', () => {
    expect(() => trainKneserNey(TEXTS, { order: 1 })).toThrow(/order must be an integer 2\.\.6/);
    expect(() => trainKneserNey(TEXTS, { order: 7 })).toThrow(/order must be an integer 2\.\.6/);
    expect(() => trainKneserNey([], { order: 3 })).toThrow(/too little training text/);
    expect(() => trainKneserNey([[1, 2, 199999]], { order: 2 })).toThrow(/not an ordinary o200k_base token id/);
    expect(() => trainKneserNey(TEXTS, { encoding: 'o300k' })).toThrow(/not a tiktoken encoding/);
  });
});
