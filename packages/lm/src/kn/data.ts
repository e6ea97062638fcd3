/**
 * The trained Kneser–Ney model as plain typed arrays: what the binary cache file
 * stores and what the query code reads. Level ℓ holds the distinct (ℓ+1)-grams
 * in lexicographic order of compact token ids (a trie: node i's children at
 * level ℓ+1 are childStart[ℓ][i] … childStart[ℓ][i+1]-1, sorted by token).
 */
export interface KnData {
  /** tiktoken encoding of the token ids. */
  encoding: string;
  order: number;
  /** Model vocabulary size: 1 + the largest token id it may emit. */
  vocabSize: number;
  /** `<|endoftext|>`: document boundary, implicit start of every prefix, end of generation. */
  eos: number;
  /** Ordinary tokens are 0 … ordinary-1; with eos they are the ids of non-zero probability. */
  ordinary: number;
  /** Compact id → token id, ascending (the tokens seen in training). */
  vocabIds: Uint32Array;
  /** token[ℓ] for ℓ = 1 … n-1 (index 0 is an empty array: level 0 node i is compact id i). */
  token: Uint32Array[];
  /** Kneser–Ney adjusted counts: continuation counts below the top level, raw counts at it. */
  count: Uint32Array[];
  /** childStart[ℓ] for ℓ = 0 … n-2, length nodes(ℓ) + 1. */
  childStart: Uint32Array[];
  /** discounts[ℓ] = [D1, D2, D3+] for the (ℓ+1)-gram level. */
  discounts: number[][];
}

/**
 * Modified Kneser–Ney discounts from the count-of-counts n1..n4 of one level
 * (Chen & Goodman 1998): Y = n1/(n1+2n2), D1 = 1-2Y·n2/n1, D2 = 2-3Y·n3/n2,
 * D3+ = 3-4Y·n4/n3. Tiny training sets can make a count-of-count zero; then the
 * formula is undefined and we fall back to 0.5, 1, 1.5. Each Dc is kept in (0, c).
 */
export function modifiedKnDiscounts(counts: Uint32Array): number[] {
  const n = [0, 0, 0, 0, 0];
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c >= 1 && c <= 4) n[c]!++;
  }
  const [, n1, n2, n3, n4] = n as [number, number, number, number, number];
  const fallback = [0.5, 1, 1.5];
  if (n1 === 0 || n2 === 0 || n3 === 0 || n4 === 0) return fallback;
  const y = n1 / (n1 + 2 * n2);
  const d = [1 - (2 * y * n2) / n1, 2 - (3 * y * n3) / n2, 3 - (4 * y * n4) / n3];
  return d.map((v, i) => (Number.isFinite(v) ? Math.min(Math.max(v, 0.01), i + 1 - 0.01) : fallback[i]!));
}
