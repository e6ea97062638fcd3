/**
 * Contexts' heads and tails for the head distribution (model.ts, temperature 1 without
 * truncation): a context lists only its head — its at most maxHead most frequent
 * continuations, those with adjusted count ≥ κ — and its tail stays in the rest, ∝ α_j,
 * drawn exactly from cached cumulative weights.
 */
import type { Rng } from '@tracemark/watermark';
import { cutByCount } from '../truncate.js';
import type { KnData } from './data.js';

export class ContextHeads {
  readonly #data: KnData;
  readonly #disc: Float64Array[];
  readonly #maxHead: number;
  /** Head thresholds per context level (lazily filled; 0 = not computed yet). */
  readonly #kappa: (Uint32Array | undefined)[] = [];
  /** Cumulative tail weights of recently used contexts (for exact rest draws). */
  readonly #tailCache = new Map<number, Float64Array>();

  constructor(data: KnData, disc: Float64Array[], maxHead: number) {
    this.#data = data;
    this.#disc = disc;
    this.#maxHead = maxHead;
  }

  /**
   * Count threshold κ of a context's head: its continuations with adjusted count ≥ κ,
   * at most maxHead of them (κ = 0: all). Cached per node.
   */
  threshold(j: number, node: number): number {
    const cs = this.#data.childStart[j - 1]!;
    const size = cs[node + 1]! - cs[node]!;
    if (size <= this.#maxHead) return 0;
    let cache = this.#kappa[j - 1];
    if (!cache) cache = this.#kappa[j - 1] = new Uint32Array(cs.length - 1);
    if (cache[node] !== 0) return cache[node]!;
    const counts = Float64Array.from(this.#data.count[j]!.subarray(cs[node]!, cs[node + 1]!));
    // The maxHead-th largest count; if ties at it would overflow the head, raise κ by one.
    const kth = cutByCount(counts, size, this.#maxHead).cut;
    let atLeast = 0;
    const cnt = this.#data.count[j]!;
    for (let e = cs[node]!; e < cs[node + 1]!; e++) if (cnt[e]! >= kth) atLeast++;
    const k = atLeast > this.#maxHead ? kth + 1 : kth;
    cache[node] = k;
    return k;
  }

  /**
   * A continuation of context h_j (at `node`) that is not listed, ∝ α_j. Draws from the
   * cached cumulative weights of the context's tail (continuations below its head
   * threshold κ) and rejects the few listed through another context or the unigrams;
   * after 64 rejections an exact pass over the children finishes the job.
   */
  sampleTail(j: number, node: number, kappa: number, listed: (c: number) => boolean, rng: Rng): number {
    const cs = this.#data.childStart[j - 1]!, tok = this.#data.token[j]!, cnt = this.#data.count[j]!, d = this.#disc[j]!;
    const start = cs[node]!, end = cs[node + 1]!;
    const cum = this.#tailCumulative(j, node, kappa);
    const total = cum[end - start]!;
    for (let attempt = 0; attempt < 64 && total > 0; attempt++) {
      const x = rng() * total;
      // First entry whose cumulative weight passes x (entries of weight 0 are never chosen).
      let lo = 0, hi = end - start - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid + 1]! > x) hi = mid;
        else lo = mid + 1;
      }
      const c = tok[start + lo]!;
      if (!listed(c)) return this.#data.vocabIds[c]!;
    }
    let sum = 0;
    for (let e = start; e < end; e++) if (!listed(tok[e]!)) sum += cnt[e]! - d[Math.min(cnt[e]!, 3)]!;
    let x = rng() * sum;
    let last = -1;
    for (let e = start; e < end; e++) {
      if (listed(tok[e]!)) continue;
      last = tok[e]!;
      x -= cnt[e]! - d[Math.min(cnt[e]!, 3)]!;
      if (x < 0) break;
    }
    if (last < 0) throw new Error('internal: a context rest with positive mass has no unlisted continuation');
    return this.#data.vocabIds[last]!;
  }

  /** cum[i] = Σ α-numerators of the context's children before i that are below its head (κ). Cached. */
  #tailCumulative(j: number, node: number, kappa: number): Float64Array {
    const key = node * 8 + j;
    let cum = this.#tailCache.get(key);
    if (cum) return cum;
    const cs = this.#data.childStart[j - 1]!, cnt = this.#data.count[j]!, d = this.#disc[j]!;
    const start = cs[node]!, end = cs[node + 1]!;
    cum = new Float64Array(end - start + 1);
    for (let e = start; e < end; e++) {
      const k = cnt[e]!;
      cum[e - start + 1] = cum[e - start]! + (k < kappa ? k - d[k < 3 ? k : 3]! : 0);
    }
    if (this.#tailCache.size >= 4096) this.#tailCache.delete(this.#tailCache.keys().next().value!);
    this.#tailCache.set(key, cum);
    return cum;
  }
}
