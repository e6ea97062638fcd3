/**
 * n-gram counting for the Kneser–Ney model, by sorting instead of hashing.
 *
 * The training stream is treated as a circle: every position p starts one n-gram
 * s[p], s[p+1], …, s[p+n-1] (indices mod L). With documents separated by the
 * end-of-text token, the wrap-around only joins the last document to the first
 * separator, and every k-gram has exactly one left neighbour per occurrence, so
 * continuation counts need no special cases at the edges.
 *
 * One LSD radix sort of the positions by their n-gram (n stable counting-sort
 * passes over compact token ids) orders all n-grams lexicographically. Then the
 * distinct k-grams for every k ≤ n are the runs of equal k-prefixes in that order,
 * which is exactly a trie: level k's nodes are sorted, and each node's children
 * (its (k+1)-gram extensions) form a contiguous range of level k+1.
 */

/** Level ℓ (0-based) of the trie holds the distinct (ℓ+1)-grams. */
export interface NgramTrie {
  /** Number of levels (the model order n). */
  order: number;
  /** Distinct compact token ids; level-0 node i is token i. */
  vocab: number;
  /** token[ℓ][i]: compact id of the last token of node i at level ℓ (level 0 is the identity). */
  token: Uint32Array[];
  /** Raw occurrence count of each node's (ℓ+1)-gram. */
  rawCount: Uint32Array[];
  /** Continuation count N1+(• w1..wℓ+1): number of distinct left neighbours (levels 0 … n-2). */
  contCount: Uint32Array[];
  /** childStart[ℓ][i] … childStart[ℓ][i+1]: node i's children at level ℓ+1 (levels 0 … n-2). */
  childStart: Uint32Array[];
}

/** Sort positions 0..L-1 of a circular stream by their n-grams (stable LSD radix sort). */
export function sortPositions(stream: Uint32Array, vocab: number, order: number): Uint32Array {
  const L = stream.length;
  let perm = new Uint32Array(L);
  let next = new Uint32Array(L);
  for (let i = 0; i < L; i++) perm[i] = i;
  const bucket = new Uint32Array(vocab + 1);
  for (let col = order - 1; col >= 0; col--) {
    bucket.fill(0);
    for (let i = 0; i < L; i++) {
      let q = perm[i]! + col;
      if (q >= L) q -= L;
      bucket[stream[q]! + 1]!++;
    }
    for (let v = 1; v <= vocab; v++) bucket[v]! += bucket[v - 1]!;
    for (let i = 0; i < L; i++) {
      const p = perm[i]!;
      let q = p + col;
      if (q >= L) q -= L;
      next[bucket[stream[q]!]!++] = p;
    }
    [perm, next] = [next, perm];
  }
  return perm;
}

/** Build the n-gram trie with raw and continuation counts from a circular stream of compact ids. */
export function buildTrie(stream: Uint32Array, vocab: number, order: number): NgramTrie {
  const L = stream.length;
  if (L < order) throw new Error(`cannot train an order-${order} model on ${L} tokens`);
  const perm = sortPositions(stream, vocab, order);

  // Pass 1: the first column at which each sorted n-gram differs from the previous one
  // tells at which levels a new node starts; count nodes per level.
  const firstDiff = new Uint8Array(L);
  const nodes = new Array<number>(order).fill(0);
  for (let i = 0; i < L; i++) {
    let d = 0;
    if (i > 0) {
      const a = perm[i - 1]!, b = perm[i]!;
      while (d < order) {
        let qa = a + d, qb = b + d;
        if (qa >= L) qa -= L;
        if (qb >= L) qb -= L;
        if (stream[qa] !== stream[qb]) break;
        d++;
      }
    }
    firstDiff[i] = d;
    for (let k = d; k < order; k++) nodes[k]!++;
  }

  const token: Uint32Array[] = [];
  const rawCount: Uint32Array[] = [];
  const childStart: Uint32Array[] = [];
  const contCount: Uint32Array[] = [];
  for (let k = 0; k < order; k++) {
    token.push(new Uint32Array(nodes[k]!));
    rawCount.push(new Uint32Array(nodes[k]!));
    if (k < order - 1) {
      childStart.push(new Uint32Array(nodes[k]! + 1));
      contCount.push(new Uint32Array(nodes[k]!));
    }
  }
  // posNode[k][p]: the level-k node of the k-gram starting at position p (for continuation counts).
  const posNode: Uint32Array[] = [];
  for (let k = 0; k < order - 1; k++) posNode.push(new Uint32Array(L));
  // Representative position of each node at levels 1..n-1 (its first occurrence in sorted order).
  const rep: Uint32Array[] = [];
  for (let k = 0; k < order; k++) rep.push(k === 0 ? new Uint32Array(0) : new Uint32Array(nodes[k]!));

  // Pass 2: assign node ids level by level along the sorted order.
  const cur = new Int32Array(order).fill(-1);
  for (let i = 0; i < L; i++) {
    const p = perm[i]!;
    for (let k = firstDiff[i]!; k < order; k++) {
      const id = ++cur[k]!;
      let q = p + k;
      if (q >= L) q -= L;
      token[k]![id] = stream[q]!;
      if (k > 0) rep[k]![id] = p;
      if (k < order - 1) childStart[k]![id] = cur[k + 1]! + 1;
    }
    for (let k = 0; k < order; k++) rawCount[k]![cur[k]!]!++;
    for (let k = 0; k < order - 1; k++) posNode[k]![p] = cur[k]!;
  }
  for (let k = 0; k < order - 1; k++) childStart[k]![nodes[k]!] = nodes[k + 1]!;
  if (nodes[0] !== vocab) throw new Error(`internal: ${nodes[0]} unigrams for ${vocab} compact ids`);

  // Continuation counts: each distinct (k+1)-gram x·w1..wk adds one to its suffix w1..wk,
  // the k-gram at the representative position + 1.
  for (let k = 0; k < order - 1; k++) {
    const r = rep[k + 1]!, pn = posNode[k]!, cc = contCount[k]!;
    for (let j = 0; j < r.length; j++) {
      let q = r[j]! + 1;
      if (q >= L) q -= L;
      cc[pn[q]!]!++;
    }
  }
  return { order, vocab, token, rawCount, contCount, childStart };
}
