/**
 * The context nodes of the next token in the n-gram trie (data.ts): for j = 1 … m the
 * node of the last j tokens of `eos` + prefix, found by binary search among children.
 */
import type { KnData } from './data.js';

export class ContextNodes {
  /** ctx[j-1] = node (at level j-1) of the last j tokens, after find(). */
  readonly ctx: Int32Array;
  readonly #data: KnData;
  readonly #compactOf: Int32Array;

  constructor(data: KnData, compactOf: Int32Array) {
    this.#data = data;
    this.#compactOf = compactOf;
    this.ctx = new Int32Array(data.order);
  }

  /**
   * Nodes of the contexts of the next token: ctx[j-1] = node (at level j-1) of the last
   * j tokens of `eos` + prefix. Returns m, the number found (longer ones do not exist).
   */
  find(prefix: ArrayLike<number>, len: number): number {
    const d = this.#data;
    const maxJ = Math.min(d.order - 1, len + 1);
    let m = 0;
    for (let j = 1; j <= maxJ; j++) {
      // Walk from the first token of the j-token context down to the last one.
      let node = this.#compactAt(prefix, len, j);
      if (node < 0) break;
      for (let l = 1; l < j && node >= 0; l++) {
        const c = this.#compactAt(prefix, len, j - l);
        node = c < 0 ? -1 : this.child(l - 1, node, c);
      }
      if (node < 0) break;
      this.ctx[j - 1] = node;
      m = j;
    }
    return m;
  }

  /** Compact id of the token `back` positions before the end of eos + prefix (back ≥ 1). */
  #compactAt(prefix: ArrayLike<number>, len: number, back: number): number {
    const i = len - back;
    const id = i >= 0 ? prefix[i]! : this.#data.eos;
    return this.#compactOf[id] ?? -1;
  }

  /** Child of `node` (at level l) whose last token is compact id c, or −1. */
  child(l: number, node: number, c: number): number {
    const cs = this.#data.childStart[l]!, tok = this.#data.token[l + 1]!;
    let lo = cs[node]!, hi = cs[node + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tok[mid]! < c) lo = mid + 1;
      else hi = mid;
    }
    return lo < cs[node + 1]! && tok[lo] === c ? lo : -1;
  }
}
