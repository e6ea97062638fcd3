/**
 * From a logits vector to the tokens a step must look at: the tempered, truncated
 * distribution in sparse form (candidates + a bounded "rest"), or densely (every
 * surviving token) for the reference path.
 *
 * Weights are unnormalised: w_v = exp((l_v − M)·(1/T)), M the largest logit. Dense and
 * sparse compute them with the same expression, so a token's weight is bit-identical
 * in both; that is what lets the two paths make identical draws (race.ts).
 *
 * Sparse extraction never calls Math.exp on all V logits (steps 1–2 are buckets.ts, the
 * key arithmetic order-keys.ts):
 *  1. One pass builds a histogram of the logits' float bit patterns (the top 16 bits of
 *     an order-preserving key: sign, exponent, 7 mantissa bits; a bucket spans < 0.8 %
 *     of its values' magnitude) and finds the maximum. It has no data-dependent branch:
 *     collecting tokens in the same pass cost more (mispredictions) than a second pass.
 *  2. A token in bucket b weighs between e^{(lo_b−M)/T} and e^{(hi_b−M)/T}; tokens more
 *     than MAX_DEPTH nats below M weigh < e^{−MAX_DEPTH}. Walking the buckets down from
 *     the top gives, for every cut, an upper bound on the unlisted mass and a lower bound
 *     on the listed mass; the cut with the fewest buckets whose normalised bound is ≤ the
 *     target is chosen. A second pass collects the candidates (order key ≥ the cut
 *     bucket's), comparing only. Only candidates get Math.exp.
 * Top-k: the bucket where the count from the top reaches k holds the k-th token; the
 * tokens of the buckets down to it are sorted (logit desc, id asc) and the first k kept.
 * Top-p: the nucleus is the shortest prefix of that order with mass ≥ p·Z. With Z
 * bracketed by the bucket bounds (widened by the summation rounding bound), it is decided
 * exactly when the prefix length is the same for every Z in the bracket; only the buckets
 * where the prefix sum can cross p·Z are sorted. Otherwise the unlisted mass is summed
 * exactly (one dense pass), and if still undecided the step is computed densely.
 */
import { BucketBounds } from './buckets.js';
import type { ResolvedOptions } from './options.js';
import { bucketOf, checkMax, descKey, forEachBelow, MAX_SORTED_VOCAB, SLACK, throwNaN } from './order-keys.js';
import { sortRange } from './sort.js';

export { forEachBelow, MAX_SORTED_VOCAB };

export interface SparseStats {
  /** Tokens the draw looked at (candidates, after truncation). */
  candidates: number;
  /** Passes over the logits: 2 (histogram, collection), more when top-p needed the exact rest or the dense path. */
  passes: number;
  /** Upper bound on the unlisted probability mass. */
  restMass: number;
  /** The step was computed densely (undecidable top-p nucleus). */
  fellBack: boolean;
}

export class CandidateSet {
  logits: Float32Array = new Float32Array(0);
  V = 0;
  /** Largest logit. */
  M = 0;
  invT = 1;
  /** Number of candidates; ids[0..n) with weights w[0..n). */
  n = 0;
  ids: Int32Array = new Int32Array(256);
  w: Float64Array = new Float64Array(256);
  /** Σ w[0..n), summed in array order; valid once `weighed` (weigh()). */
  total = 0;
  /** False after an untruncated sparse build: w and total wait for weigh() (lazy-race.ts needs neither). */
  weighed = true;
  /** ≤ Σ w[0..n): the bucket bounds' after an untruncated sparse build (kept by weigh()), else total. */
  totalLb = 0;
  /** Upper bound on Σ of the unlisted (finite-logit) tokens' weights; 0 = nothing unlisted. */
  restBound = 0;
  /** The unlisted tokens are exactly the finite ones whose order key is below restKey (0: none). */
  restKey = 0;
  passes = 0;
  fellBack = false;

  #bits: Int32Array = new Int32Array(0);
  readonly #b = new BucketBounds();
  #keys: Float64Array = new Float64Array(256);
  #mass: Float64Array = new Float64Array(256);

  /** The rest's total mass as a probability upper bound: restBound / (totalLb + restBound). */
  restMass(): number {
    return this.restBound > 0 ? this.restBound / (this.totalLb + this.restBound) : 0;
  }

  /** Computes w[0..n) and total if the build left them out (exactly what the build would have). */
  weigh(): void {
    if (this.weighed) return;
    this.#weights();
    this.total = this.#sum();
    this.weighed = true;
  }

  stats(): SparseStats {
    return { candidates: this.n, passes: this.passes, restMass: this.restMass(), fellBack: this.fellBack };
  }

  /** Visits every unlisted token with its exact weight: a dense pass, for rare events only. */
  forEachRest(fn: (id: number, weight: number) => void): void {
    if (this.restBound === 0) return;
    forEachBelow(this.logits, this.restKey, this.M, this.invT, fn);
  }

  // ---------------------------------------------------------------- dense

  /** Reference: every token that survives temperature, top-k and top-p. No rest. */
  buildDense(logits: Float32Array, o: ResolvedOptions): void {
    this.#begin(logits, o);
    const V = logits.length;
    let M = -Infinity;
    for (let v = 0; v < V; v++) {
      const l = logits[v]!;
      if (!(l <= M)) {
        if (l > M) M = l;
        else throwNaN(v);
      }
    }
    checkMax(M);
    this.M = M;
    this.passes++;
    this.#allFinite();
    if (this.#truncates(o)) {
      this.#sortIds(0, this.n);
      if (o.topK > 0 && o.topK < this.n) this.n = o.topK;
      this.#weights();
      if (o.topP < 1) this.n = nucleusCut(this.w, this.n, o.topP * this.#sum());
    } else {
      this.#weights();
    }
    this.total = this.#sum();
    this.totalLb = this.total;
  }

  // --------------------------------------------------------------- sparse

  /**
   * Sparse: candidates such that the unlisted mass, normalised, is ≤ target (0 = list
   * everything). With top-k the candidates are exactly the top-k; with top-p exactly
   * the nucleus (the rest is then truncated away, not approximated).
   */
  buildSparse(logits: Float32Array, o: ResolvedOptions, target: number): void {
    this.#begin(logits, o);
    if (!(target > 0)) {
      this.buildDense(logits, o);
      return;
    }
    const b = this.#b;
    this.M = b.histogram(this.#bits, logits);
    this.passes++;
    b.build(this.#bits, this.M, this.invT);
    b.release(this.#bits);
    if (o.topK > 0 && o.topK < this.V) {
      this.#topK(o.topK);
      this.#weights();
      if (o.topP < 1) this.n = nucleusCut(this.w, this.n, o.topP * this.#sum());
      this.total = this.#sum();
      this.totalLb = this.total;
      return;
    }
    if (o.topP < 1) {
      this.#topP(o.topP, o);
      return;
    }
    const j = b.epsilonCut(target);
    if (j < 0) {
      this.#allFinite();
      this.#weights();
      this.total = this.#sum();
      this.totalLb = this.total;
      return;
    }
    this.#take(j);
    this.restBound = b.sufUb[j + 1]! * SLACK;
    this.restKey = (b.bk[j]! << 16) >>> 0;
    let zlb = 0; // weights on demand (weigh()); the lazy race needs only this bound on their sum
    for (let i = 0; i <= j; i++) zlb += b.bc[i]! * b.blb[i]!;
    [this.totalLb, this.total, this.weighed] = [zlb, NaN, false];
  }

  #begin(logits: Float32Array, o: ResolvedOptions): void {
    if (!(logits instanceof Float32Array)) throw new TypeError('logits must be a Float32Array');
    if (logits.length === 0) throw new RangeError('logits must not be empty');
    if (this.logits !== logits) {
      this.logits = logits;
      this.#bits = new Int32Array(logits.buffer, logits.byteOffset, logits.length);
    }
    this.V = logits.length;
    this.invT = o.invT;
    this.n = 0;
    this.restBound = 0;
    this.restKey = 0;
    this.weighed = true;
    this.fellBack = false;
    this.passes = 0;
    if (this.#truncates(o) && this.V > MAX_SORTED_VOCAB) {
      throw new RangeError(`topK/topP support vocabularies up to ${MAX_SORTED_VOCAB} tokens (got ${this.V})`);
    }
  }

  #truncates(o: ResolvedOptions): boolean {
    return (o.topK > 0 && o.topK < this.V) || o.topP < 1;
  }

  /**
   * Pass 2: candidates ← every token in buckets 0..j, in id order. Membership is by order
   * key, the histogram's own measure (−0 and +0 sit in different buckets).
   */
  #take(j: number): void {
    const key = (this.#b.bk[j]! << 16) >>> 0;
    const bits = this.#bits;
    const V = bits.length;
    const bc = this.#b.bc;
    let cap = 0;
    for (let i = 0; i <= j; i++) cap += bc[i]!;
    if (this.ids.length < cap) this.#grow(cap);
    const ids = this.ids;
    let n = 0;
    for (let v = 0; v < V; v++) {
      const b = bits[v]!;
      if ((b ^ ((b >> 31) | 0x80000000)) >>> 0 >= key) ids[n++] = v;
    }
    this.passes++;
    this.n = n;
  }

  /** Exact top-k candidates, sorted. */
  #topK(k: number): void {
    const { m, bc } = this.#b;
    let cum = 0;
    let j = -1;
    for (let i = 0; i < m; i++) {
      cum += bc[i]!;
      if (cum >= k) {
        j = i;
        break;
      }
    }
    if (j < 0) {
      this.#allFinite();
    } else {
      this.#take(j);
    }
    this.#sortIds(0, this.n);
    if (this.n > k) this.n = k;
  }

  /** Top-p without top-k: the exact nucleus (see the file comment). */
  #topP(p: number, o: ResolvedOptions): void {
    const { m, bc, blb, bk, sufUb, sufLb } = this.#b;
    // The shallowest cut whose listed mass C surely reaches p·Z ≥ p·(C + unlisted):
    // unlisted upper bound ≤ (1 − p)/p × listed lower bound, with a factor 2 of margin.
    const ratio = (1 - p) / p / 2;
    let j1 = m - 1;
    let zlb = 0;
    for (let j = 0; j < m; j++) {
      zlb += bc[j]! * blb[j]!;
      if (sufUb[j + 1]! <= ratio * zlb) {
        j1 = j;
        break;
      }
    }
    this.#take(j1);
    const key = (bk[j1]! << 16) >>> 0;
    this.#weights();
    const C = this.#sum();
    const rho = this.V * 2 ** -52;
    let zLo = (C + sufLb[j1 + 1]!) * (1 - rho);
    let zHi = (C + sufUb[j1 + 1]!) * (1 + rho);
    if (this.#nucleus(p * zLo, p * zHi, j1)) return;
    // Undecided: sum the unlisted mass exactly (one dense pass) and try again.
    const { logits: x, M, invT } = this;
    let R = 0;
    forEachBelow(x, key, M, invT, (_, wt) => (R += wt));
    this.passes++;
    this.#take(j1);
    this.#weights();
    zLo = (C + R) * (1 - rho);
    zHi = (C + R) * (1 + rho);
    if (this.#nucleus(p * zLo, p * zHi, j1)) return;
    const passes = this.passes;
    this.buildDense(x, o);
    this.passes += passes;
    this.fellBack = true;
  }

  /**
   * Given candidates = buckets 0..j1 with weights, decide the nucleus for every threshold
   * t ∈ [tLo, tHi]: the shortest prefix of the (logit desc, id asc) order with mass ≥ t.
   * Sorts only the buckets where the prefix sum can cross. False if undecided.
   */
  #nucleus(tLo: number, tHi: number, j1: number): boolean {
    const { n, ids, w, logits: x } = this;
    if (this.#mass.length < j1 + 1) this.#mass = new Float64Array(2 * (j1 + 1));
    const mass = this.#mass;
    mass.fill(0, 0, j1 + 1);
    const li = this.#b.listIndex;
    for (let i = 0; i < n; i++) mass[li[bucketOf(x[ids[i]!]!)]!]! += w[i]!;
    // Relative error bound of any of these sums against the dense sorted-order sums.
    const d = (n + 2) * 2 ** -51;
    let cum = 0;
    let ja = -1;
    let jb = -1;
    let before = 0;
    for (let j = 0; j <= j1; j++) {
      const next = cum + mass[j]!;
      if (ja < 0 && next * (1 + d) >= tLo) {
        ja = j;
        before = cum;
      }
      if (next * (1 - d) >= tHi) {
        jb = j;
        break;
      }
      cum = next;
    }
    if (ja < 0 || jb < 0) return false;
    // Front: buckets above ja (all in the nucleus); then the crossing buckets ja..jb, sorted.
    let f = 0;
    const keys = this.#keys; // same capacity as ids
    let k = 0;
    for (let i = 0; i < n; i++) {
      const v = ids[i]!;
      const jj = li[bucketOf(x[v]!)]!;
      if (jj < ja) ids[f++] = v;
      else if (jj <= jb) keys[k++] = descKey(x[v]!, v);
    }
    let s = f;
    sortRange(keys, k);
    let S = before;
    const { M, invT } = this;
    for (let i = 0; i < k; i++) {
      const v = keys[i]! % MAX_SORTED_VOCAB;
      const prev = S;
      S += Math.exp((x[v]! - M) * invT);
      ids[s++] = v;
      if (S * (1 - d) >= tHi) {
        if (!(prev * (1 + d) < tLo)) return false;
        this.n = s;
        this.restBound = 0;
        this.restKey = 0;
        this.#weights();
        this.total = this.#sum();
        this.totalLb = this.total;
        return true;
      }
      if (S * (1 + d) >= tLo) return false;
    }
    return false;
  }

  #allFinite(): void {
    const x = this.logits;
    const V = x.length;
    if (this.ids.length < V) this.#grow(V);
    const ids = this.ids;
    let n = 0;
    for (let i = 0; i < V; i++) if (x[i]! > -Infinity) ids[n++] = i;
    this.passes++;
    this.n = n;
  }

  /** Grows the candidate buffers (capacity doubles); contents are not kept. */
  #grow(min: number): void {
    let cap = this.ids.length;
    while (cap < min) cap *= 2;
    this.ids = new Int32Array(cap);
    this.w = new Float64Array(cap);
    this.#keys = new Float64Array(cap);
  }

  /** Reorders ids[from..to) by (logit desc, id asc). */
  #sortIds(from: number, to: number): void {
    const { ids, logits } = this;
    const keys = this.#keys;
    const m = to - from;
    for (let i = 0; i < m; i++) keys[i] = descKey(logits[ids[from + i]!]!, ids[from + i]!);
    sortRange(keys, m);
    for (let i = 0; i < m; i++) ids[from + i] = keys[i]! % MAX_SORTED_VOCAB;
  }

  #weights(): void {
    const { ids, w, logits, n, M, invT } = this;
    for (let i = 0; i < n; i++) w[i] = Math.exp((logits[ids[i]!]! - M) * invT);
  }

  /** Σ w[0..n) in order (top-p: dense and sparse sum the same sorted prefix). */
  #sum(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.w[i]!;
    return s;
  }
}

/** Smallest j with w[0] + … + w[j−1] ≥ mass; n + 1 when the prefix never reaches it. */
function nucleusCut(w: Float64Array, n: number, mass: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) {
    s += w[j]!;
    if (s >= mass) return j + 1;
  }
  return n + 1;
}
