/**
 * Train an interpolated modified Kneser–Ney model from documents (text, or token
 * ids of the same encoding). Deterministic: the result depends only on the
 * documents, their order, the encoding and the order n.
 */
import { encode, tokenizerInfo } from '../tokenizer.js';
import { buildTrie } from './count.js';
import { modifiedKnDiscounts, type KnData } from './data.js';

export interface KnTrainOptions {
  /** n-gram order, 2 … 6 (default 3). */
  order?: number;
  /** tiktoken encoding (default o200k_base). */
  encoding?: string;
}

export const DEFAULT_ORDER = 3;
export const MAX_ORDER = 6;

export function checkOrder(order: number): number {
  if (!Number.isInteger(order) || order < 2 || order > MAX_ORDER) {
    throw new Error(`n-gram order must be an integer 2..${MAX_ORDER} (got ${order})`);
  }
  return order;
}

/**
 * The training stream: `eos doc1 eos doc2 … eos docN`, read circularly (see
 * count.ts), so every document is preceded by the boundary token the model
 * conditions on at the start of a prefix.
 */
export function trainingStream(docs: Iterable<string | ArrayLike<number>>, encoding: string): Uint32Array {
  const info = tokenizerInfo(encoding);
  const parts: ArrayLike<number>[] = [];
  let total = 0;
  for (const doc of docs) {
    const ids = typeof doc === 'string' ? encode(encoding, doc) : doc;
    if (ids.length === 0) continue;
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= info.ordinary) {
        throw new Error(`training token ${t} is not an ordinary ${encoding} token id`);
      }
    }
    parts.push(ids);
    total += ids.length + 1;
  }
  const stream = new Uint32Array(total);
  let o = 0;
  for (const ids of parts) {
    stream[o++] = info.eos;
    stream.set(ids, o);
    o += ids.length;
  }
  return stream;
}

export function trainKneserNey(docs: Iterable<string | ArrayLike<number>>, opts: KnTrainOptions = {}): KnData {
  const order = checkOrder(opts.order ?? DEFAULT_ORDER);
  const encoding = opts.encoding ?? 'o200k_base';
  const info = tokenizerInfo(encoding);
  const stream = trainingStream(docs, encoding);
  if (stream.length < order + 1) throw new Error(`too little training text: ${stream.length} tokens for an order-${order} model`);

  // Compact ids (rank among the token ids that occur) keep the radix sort's buckets
  // at the size of the observed vocabulary instead of the encoding's ~200k.
  const compactOf = new Int32Array(info.vocabSize).fill(-1);
  for (let i = 0; i < stream.length; i++) compactOf[stream[i]!] = 0;
  let u = 0;
  for (let id = 0; id < compactOf.length; id++) if (compactOf[id] === 0) compactOf[id] = u++;
  const vocabIds = new Uint32Array(u);
  for (let id = 0; id < compactOf.length; id++) if (compactOf[id]! >= 0) vocabIds[compactOf[id]!] = id;
  for (let i = 0; i < stream.length; i++) stream[i] = compactOf[stream[i]!]!;

  const trie = buildTrie(stream, u, order);
  // Kneser–Ney: the highest order keeps raw counts; every lower order is estimated
  // from how many distinct contexts a word follows (its continuation count).
  const count = trie.rawCount.map((raw, l) => (l === order - 1 ? raw : trie.contCount[l]!));
  return {
    encoding,
    order,
    vocabSize: info.vocabSize,
    eos: info.eos,
    ordinary: info.ordinary,
    vocabIds,
    token: [new Uint32Array(0), ...trie.token.slice(1)],
    count,
    childStart: trie.childStart,
    discounts: count.map(modifiedKnDiscounts),
  };
}
