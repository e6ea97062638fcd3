/**
 * Steps 1–2 of the sparse extraction (candidates.ts): the histogram of the logits' order
 * keys and, walked down from the top bucket, every non-empty bucket within MAX_DEPTH nats
 * of the maximum with bounds on its tokens' weights and suffix sums of those bounds. A
 * cut after bucket j then has an upper bound on the unlisted mass (sufUb[j + 1]) and a
 * lower bound on the listed one, without a single Math.exp per token.
 */
import { sortRange } from './sort.js';
import {
  checkMax,
  EXP_NEG_DEPTH,
  keyValue,
  LOWER,
  NBUCKET,
  NEG_INF_BUCKET,
  ordKey,
  POS_INF_BUCKET,
  SLACK,
  bitsOf,
  throwNaN,
} from './order-keys.js';

/** Up to this many tokens the bucket list is built from the tokens rather than by walking the histogram. */
const SMALL_VOCAB = 4096;

export class BucketBounds {
  // Non-empty buckets within MAX_DEPTH of the top, descending: key, count, weight bounds.
  m = 0;
  bk: Int32Array = new Int32Array(256);
  bc: Float64Array = new Float64Array(256);
  bub: Float64Array = new Float64Array(256);
  blb: Float64Array = new Float64Array(257);
  /** sufUb[j] bounds the weight of every token in buckets j.. (and beyond the depth). */
  sufUb: Float64Array = new Float64Array(257);
  sufLb: Float64Array = new Float64Array(257);
  /** Bucket → its index in bk (valid for the listed buckets only). */
  readonly listIndex = new Int32Array(NBUCKET);

  readonly #hist = new Int32Array(NBUCKET);
  /** The histogram is all zeros (cleared token by token after a small vocabulary's step). */
  #histClean = true;
  /** Scratch of the small-vocabulary path. */
  #keys: Float64Array = new Float64Array(256);

  /** Pass 1: histogram of the order keys' top 16 bits; returns the largest logit M. */
  histogram(bits: Int32Array, logits: Float32Array): number {
    const V = bits.length;
    const hist = this.#hist;
    if (!this.#histClean) hist.fill(0);
    this.#histClean = false; // before anything can throw
    let maxKey = 0;
    for (let i = 0; i < V; i++) {
      const b = bits[i]!;
      const k = (b ^ ((b >> 31) | 0x80000000)) >>> 0;
      hist[k >>> 16]!++;
      if (k > maxKey) maxKey = k;
    }
    for (let k = 0; k < NEG_INF_BUCKET; k++) if (hist[k] !== 0) throwBad(logits);
    for (let k = POS_INF_BUCKET; k < NBUCKET; k++) if (hist[k] !== 0) throwBad(logits);
    const M = keyValue(maxKey);
    checkMax(M);
    return M;
  }

  /** After the histogram is read: for small vocabularies, zeroing the touched buckets beats a 256 KB fill. */
  release(bits: Int32Array): void {
    if (bits.length * 4 > NBUCKET) return;
    const hist = this.#hist;
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      hist[((b ^ ((b >> 31) | 0x80000000)) >>> 0) >>> 16] = 0;
    }
    this.#histClean = true;
  }

  /**
   * The non-empty buckets within MAX_DEPTH of M (descending), with weight bounds and
   * suffix sums. Inside an exponent group (128 buckets of equal width Δ) a bucket's upper
   * bound is the next higher one's times e^{−Δ/T}, so Math.exp runs once per group; a
   * bucket's lower bound is its upper bound times the same factor (its width is < Δ).
   */
  build(bits: Int32Array, M: number, invT: number): void {
    const hist = this.#hist;
    const V = bits.length;
    const top = ordKey(bitsOf(M)) >>> 16;
    let m = 0;
    let listed = 0;
    if (V <= SMALL_VOCAB) {
      m = this.#bucketsFromTokens(bits, top, M, invT);
      for (let j = 0; j < m; j++) listed += this.bc[j]!;
    } else {
      let group = -1;
      let ub = 0;
      let r = 0;
      // Locals, not this.bk[…] in the loop: measured 2× faster (V8 reloads the fields on every store).
      let bk = this.bk, bc = this.bc, bub = this.bub, blb = this.blb;
      for (let b = top; b > NEG_INF_BUCKET; b--) {
        if (b >>> 7 !== group) {
          group = b >>> 7;
          const hi = keyValue(((b << 16) | 0xffff) >>> 0);
          ub = Math.exp((hi - M) * invT) * SLACK;
          // Δ: the distance between two adjacent bucket edges inside this group (exact:
          // two floats of one binade), measured on the group's top two buckets.
          const gTop = ((group << 7) | 0x7f) << 16;
          const step = Math.abs(keyValue((gTop | 0xffff) >>> 0) - keyValue(((gTop - 0x10000) | 0xffff) >>> 0));
          r = Math.exp(-step * invT);
        } else {
          ub *= r;
        }
        if (ub < EXP_NEG_DEPTH) break;
        const c = hist[b]!;
        if (c === 0) continue;
        if (m === bk.length) {
          this.#growList();
          (bk = this.bk), (bc = this.bc), (bub = this.bub), (blb = this.blb);
        }
        bk[m] = b;
        bc[m] = c;
        bub[m] = ub;
        blb[m] = ub * r * LOWER;
        listed += c;
        m++;
      }
    }
    const { bk, bc, bub, blb, sufUb, sufLb, listIndex } = this;
    for (let j = 0; j < m; j++) listIndex[bk[j]!] = j;
    this.m = m;
    // Everything below the listed buckets (deeper than MAX_DEPTH, or −∞) weighs < e^{−MAX_DEPTH}.
    sufUb[m] = (V - listed) * EXP_NEG_DEPTH;
    sufLb[m] = 0;
    for (let j = m - 1; j >= 0; j--) {
      sufUb[j] = sufUb[j + 1]! + bc[j]! * bub[j]!;
      sufLb[j] = sufLb[j + 1]! + bc[j]! * blb[j]!;
    }
  }

  /** Smallest j (buckets 0..j listed) whose unlisted bound is ≤ target × listed lower bound; −1 if none. */
  epsilonCut(target: number): number {
    const { m, bc, blb, sufUb } = this;
    let zlb = 0;
    for (let j = 0; j < m; j++) {
      zlb += bc[j]! * blb[j]!;
      if (sufUb[j + 1]! * SLACK <= target * zlb) return j;
    }
    return -1;
  }

  /** Small vocabularies: the distinct buckets of the tokens themselves, sorted (cheaper than walking 65536). */
  #bucketsFromTokens(bits: Int32Array, top: number, M: number, invT: number): number {
    const hist = this.#hist;
    if (this.#keys.length < bits.length) {
      let cap = this.#keys.length;
      while (cap < bits.length) cap *= 2;
      this.#keys = new Float64Array(cap);
    }
    const keys = this.#keys;
    let k = 0;
    for (let i = 0; i < bits.length; i++) {
      const b = (ordKey(bits[i]!) >>> 16);
      if (b > NEG_INF_BUCKET && b <= top) keys[k++] = NBUCKET - b; // ascending = descending bucket
    }
    sortRange(keys, k);
    let m = 0;
    let prev = -1;
    for (let i = 0; i < k; i++) {
      const b = NBUCKET - keys[i]!;
      if (b === prev) continue;
      prev = b;
      const ub = Math.exp((keyValue(((b << 16) | 0xffff) >>> 0) - M) * invT) * SLACK;
      if (ub < EXP_NEG_DEPTH) break;
      if (m === this.bk.length) this.#growList();
      const { bk, bc, bub, blb } = this;
      bk[m] = b;
      bc[m] = hist[b]!;
      bub[m] = ub;
      blb[m] = Math.exp((keyValue((b << 16) >>> 0) - M) * invT) * LOWER;
      m++;
    }
    return m;
  }

  #growList(): void {
    const cap = this.bk.length * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, extra: number): T => {
      const b = new (a.constructor as new (n: number) => T)(cap + extra);
      b.set(a);
      return b;
    };
    this.bk = grow(this.bk, 0);
    this.bc = grow(this.bc, 0);
    this.bub = grow(this.bub, 0);
    this.blb = grow(this.blb, 1);
    this.sufUb = grow(this.sufUb, 1);
    this.sufLb = grow(this.sufLb, 1);
  }
}

/** A NaN or +∞ sits in the histogram: name the first offending logit. */
function throwBad(x: Float32Array): never {
  for (let i = 0; i < x.length; i++) {
    const l = x[i]!;
    if (l !== l) throwNaN(i);
    if (l === Infinity) checkMax(l);
  }
  throw new RangeError('logits contain NaN');
}
