/**
 * What the query side of the Kneser–Ney model (model.ts) derives once from the trained
 * counts: per context node the back-off weight γ and 1 / Σ counts, the discounts, the
 * unigram distribution P_1 with its floor, the rank order of P_1, and the map between
 * token ids and compact ids.
 */
import type { KnData } from './data.js';

export class KnTables {
  // Per context level ℓ = 0 … n-2 (a node at level ℓ as context of level ℓ+1):
  readonly invTotal: Float64Array[] = [];
  readonly gamma: Float64Array[] = [];
  /** [0, D1, D2, D3+] of each level. */
  readonly disc: Float64Array[];
  /** Compact id → unigram probability P_1. */
  readonly p1: Float64Array;
  /** Rank (P_1 desc, id asc) → compact id, and its inverse. */
  readonly byRank: Uint32Array;
  readonly rankOf: Uint32Array;
  /** Token id → compact id, −1 when unseen or invalid. */
  readonly compactOf: Int32Array;
  /** Valid token ids never seen in training, ascending. */
  readonly unseenIds: Int32Array;
  /** The uniform floor's share of P_1 for every valid token. */
  readonly uniformP: number;

  constructor(data: KnData) {
    const U = data.vocabIds.length;
    this.disc = data.discounts.map((d) => Float64Array.of(0, d[0]!, d[1]!, d[2]!));

    for (let l = 0; l < data.order - 1; l++) {
      const cs = data.childStart[l]!, cnt = data.count[l + 1]!, d = this.disc[l + 1]!;
      const nodes = cs.length - 1;
      const inv = new Float64Array(nodes), gam = new Float64Array(nodes);
      for (let i = 0; i < nodes; i++) {
        let total = 0, n1 = 0, n2 = 0, n3 = 0;
        for (let e = cs[i]!; e < cs[i + 1]!; e++) {
          const c = cnt[e]!;
          total += c;
          if (c === 1) n1++;
          else if (c === 2) n2++;
          else n3++;
        }
        inv[i] = 1 / total;
        gam[i] = (d[1]! * n1 + d[2]! * n2 + d[3]! * n3) / total;
      }
      this.invTotal.push(inv);
      this.gamma.push(gam);
    }

    // Unigram level: discounted continuation counts plus the uniform floor.
    const c0 = data.count[0]!, d0 = this.disc[0]!;
    let total0 = 0, b0 = 0;
    for (let i = 0; i < U; i++) {
      total0 += c0[i]!;
      b0 += d0[Math.min(c0[i]!, 3)]!;
    }
    const validVocab = data.ordinary + (data.eos >= data.ordinary ? 1 : 0);
    this.uniformP = b0 / total0 / validVocab;
    this.p1 = new Float64Array(U);
    for (let i = 0; i < U; i++) this.p1[i] = (c0[i]! - d0[Math.min(c0[i]!, 3)]!) / total0 + this.uniformP;
    const p1 = this.p1;
    this.byRank = Uint32Array.from({ length: U }, (_, i) => i).sort((a, b) => p1[b]! - p1[a]! || a - b);
    this.rankOf = new Uint32Array(U);
    for (let r = 0; r < U; r++) this.rankOf[this.byRank[r]!] = r;

    this.compactOf = new Int32Array(data.vocabSize).fill(-1);
    for (let i = 0; i < U; i++) this.compactOf[data.vocabIds[i]!] = i;
    const unseen: number[] = [];
    for (let id = 0; id < data.vocabSize; id++) {
      if ((id < data.ordinary || id === data.eos) && this.compactOf[id] === -1) unseen.push(id);
    }
    this.unseenIds = Int32Array.from(unseen);
  }
}
