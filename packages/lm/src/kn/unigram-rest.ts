/**
 * The unigram part of a distribution's rest (model.ts): unlisted tokens ∝ P_1^{1/T}. Its
 * mass comes from suffix sums over the unigrams in rank order (cached per temperature);
 * it is sampled exactly, by rejection from those sums or, rarely, by enumeration; and
 * for exact truncation it is walked in descending probability (a RestSource).
 */
import type { Rng } from '@tracemark/watermark';
import type { RestSource } from '../truncate.js';
import type { KnTables } from './tables.js';

export interface TemperedTail {
  /** suffix[r] = Σ_{rank ≥ r} P_1^{1/T} over seen tokens, plus the unseen block's total. */
  suffix: Float64Array;
  /** P_1^{1/T} of one unseen token. */
  unseen: number;
  invT: number;
  /** Compact id → P_1^{1/T}. */
  p1T: Float64Array;
}

export class UnigramRest {
  readonly #byRank: Uint32Array;
  readonly #p1: Float64Array;
  readonly #uniformP: number;
  readonly #unseenIds: Int32Array;
  readonly #vocabIds: Uint32Array;
  /** The model's stamp array: tokens stamped with a distribution's epoch are listed in it. */
  readonly #stamp: Uint32Array;
  readonly #tails = new Map<number, TemperedTail>();

  constructor(t: KnTables, vocabIds: Uint32Array, stamp: Uint32Array) {
    this.#byRank = t.byRank;
    this.#p1 = t.p1;
    this.#uniformP = t.uniformP;
    this.#unseenIds = t.unseenIds;
    this.#vocabIds = vocabIds;
    this.#stamp = stamp;
  }

  /** Suffix sums of P_1^{1/T} in rank order, cached per temperature. */
  tail(temperature: number): TemperedTail {
    let t = this.#tails.get(temperature);
    if (!t) {
      const U = this.#byRank.length, invT = 1 / temperature;
      const unseen = invT === 1 ? this.#uniformP : this.#uniformP ** invT;
      const suffix = new Float64Array(U + 1);
      const p1T = invT === 1 ? this.#p1 : this.#p1.map((p) => p ** invT);
      // Summing from the smallest terms up keeps the tail sums accurate.
      suffix[U] = unseen * this.#unseenIds.length;
      for (let r = U - 1; r >= 0; r--) suffix[r] = suffix[r + 1]! + p1T[this.#byRank[r]!]!;
      t = { suffix, unseen, invT, p1T };
      if (this.#tails.size >= 8) this.#tails.delete(this.#tails.keys().next().value!);
      this.#tails.set(temperature, t);
    }
    return t;
  }

  /** Unlisted tokens in descending probability: ranks ≥ M not stamped this epoch, then unseen ids. */
  restSource(M: number, epoch: number, scale: number, tail: TemperedTail): RestSource {
    const U = this.#byRank.length;
    let r = M, u = 0;
    const skip = () => {
      while (r < U && this.#stamp[this.#byRank[r]!] === epoch) r++;
    };
    const weightAt = (): number => {
      skip();
      if (r < U) return scale * tail.p1T[this.#byRank[r]!]!;
      return u < this.#unseenIds.length ? scale * tail.unseen : 0;
    };
    return {
      peek: weightAt,
      take: () => {
        const wt = weightAt();
        if (r < U) {
          const c = this.#byRank[r++]!;
          this.#stamp[c] = epoch;
          return { id: this.#vocabIds[c]!, w: wt };
        }
        return { id: this.#unseenIds[u++]!, w: wt };
      },
    };
  }

  /**
   * Exact sampler of the rest: rank ≥ M with probability ∝ P_1^{1/T}, excluding the
   * listed ids. Rejection from the precomputed tail (the listed tokens there are a
   * small part of it); after 64 rejections it enumerates, which is equally exact.
   */
  sampler(listed: (c: number) => boolean, M: number, tail: TemperedTail): (rng: Rng) => number {
    return (rng: Rng) => {
      const suffix = tail.suffix, U = this.#byRank.length, nUnseen = this.#unseenIds.length;
      for (let attempt = 0; attempt < 64; attempt++) {
        const y = suffix[M]! * (1 - rng()); // in (0, suffix[M]]
        if (y <= suffix[U]!) {
          // The unseen block (never listed): uniform.
          return this.#unseenIds[Math.min(nUnseen - 1, Math.floor(rng() * nUnseen))]!;
        }
        // Smallest rank r ≥ M with suffix[r+1] < y ≤ suffix[r].
        let lo = M, hi = U - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (suffix[mid + 1]! < y) hi = mid;
          else lo = mid + 1;
        }
        const c = this.#byRank[lo]!;
        if (!listed(c)) return this.#vocabIds[c]!;
      }
      return this.#enumerate(listed, M, tail, rng);
    };
  }

  #enumerate(listed: (c: number) => boolean, M: number, tail: TemperedTail, rng: Rng): number {
    const U = this.#byRank.length;
    let total = tail.suffix[U]!;
    for (let r = M; r < U; r++) {
      const c = this.#byRank[r]!;
      if (!listed(c)) total += tail.p1T[c]!;
    }
    let x = rng() * total;
    for (let r = M; r < U; r++) {
      const c = this.#byRank[r]!;
      if (listed(c)) continue;
      x -= tail.p1T[c]!;
      if (x < 0) return this.#vocabIds[c]!;
    }
    const nUnseen = this.#unseenIds.length;
    if (nUnseen === 0) return this.#vocabIds[this.#byRank[U - 1]!]!;
    return this.#unseenIds[Math.min(nUnseen - 1, Math.floor(rng() * nUnseen))]!;
  }
}
