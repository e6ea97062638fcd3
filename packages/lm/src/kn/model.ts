/**
 * Query side of the interpolated modified Kneser–Ney model.
 *
 * With h_j the node of the last j tokens (of `eos` + prefix; j = 1 … m, m ≤ n-1
 * the longest context seen in training):
 *   P(w) = α_m(w) + γ_m·(α_{m-1}(w) + γ_{m-1}·(… + γ_1·P_1(w)))
 *   α_j(w) = max(c(h_j w) − D(c), 0) / Σ_x c(h_j x),   γ_j = (D1·N1 + D2·N2 + D3·N3+) / Σ_x c(h_j x)
 *   P_1(w) = α_0(w) + γ_0 / |valid vocabulary|        (uniform floor: every token has P > 0)
 * where c are the adjusted counts (see train.ts) and N_r(h_j) counts the children
 * of h_j with adjusted count r (3+ for N3+).
 *
 * Sparse form. A token that never followed h_1 (the last token) has
 * P(w) = w0·P_1(w) with w0 = γ_m·…·γ_1, because every continuation of a longer
 * context is also one of h_1. Two exact paths use this:
 *  - head (temperature 1, no truncation; the fast one): each context lists only its
 *    most frequent continuations and the top unigrams; the rest is a mixture of
 *    each context's unlisted continuations (∝ α_j, mass known from Σα_j = 1 − γ_j)
 *    and the unigram tail (∝ P_1), sampled exactly part by part.
 *  - full (any temperature, top-k, top-p): every continuation of h_1 is weighed,
 *    so the rest is ∝ P_1 (∝ P_1^{1/T} after temperature), with mass and sampler
 *    from suffix sums over the unigrams sorted by probability; truncation is then
 *    exact (truncate.ts) and a long candidate list is short-listed (listing.ts).
 */
import type { Rng, SamplingOptions, SparseDistribution } from '@tracemark/watermark';
import { resolveSampling, type LanguageModel } from '../types.js';
import { shortList } from '../listing.js';
import { cutByCount, truncate, type RestSource } from '../truncate.js';
import type { KnData } from './data.js';

export interface KnModelOptions {
  /** Model id (default derived from the order and encoding). */
  id?: string;
  /** Unigrams always listed as candidates (default 64). */
  topUnigrams?: number;
  /**
   * At temperature 1 without top-k/top-p, list at most this many continuations per
   * context (its most frequent ones; default 256); the others stay in the exactly
   * sampled rest. Fewer candidates make watermarked steps cheaper; 0 lists all.
   */
  maxHead?: number;
  /**
   * Otherwise (temperature ≠ 1, top-k, top-p) every continuation is weighed exactly,
   * then at most maxListed (default 512) are listed: the smallest set holding
   * 1 − tailFraction (default 0.02) of the listed weight. The others join the exact rest.
   */
  maxListed?: number;
  tailFraction?: number;
}

interface Weights {
  child: Float64Array;
  uni: number;
}

interface TemperedTail {
  /** suffix[r] = Σ_{rank ≥ r} P_1^{1/T} over seen tokens, plus the unseen block's total. */
  suffix: Float64Array;
  /** P_1^{1/T} of one unseen token. */
  unseen: number;
  invT: number;
  /** Compact id → P_1^{1/T}. */
  p1T: Float64Array;
}

export class KneserNeyModel implements LanguageModel {
  readonly id: string;
  readonly tokenizer: string;
  readonly vocabSize: number;
  readonly eos: number;
  readonly order: number;
  readonly data: KnData;
  readonly topUnigrams: number;
  readonly maxHead: number;
  readonly maxListed: number;
  readonly tailFraction: number;

  // Per context level ℓ = 0 … n-2 (a node at level ℓ as context of level ℓ+1):
  readonly #invTotal: Float64Array[] = [];
  readonly #gamma: Float64Array[] = [];
  // [0, D1, D2, D3+] of each level.
  readonly #disc: Float64Array[];
  /** Compact id → unigram probability P_1. */
  readonly #p1: Float64Array;
  /** Rank (P_1 desc, id asc) → compact id, and its inverse. */
  readonly #byRank: Uint32Array;
  readonly #rankOf: Uint32Array;
  /** Token id → compact id, −1 when unseen or invalid. */
  readonly #compactOf: Int32Array;
  /** Valid token ids never seen in training, ascending. */
  readonly #unseenIds: Int32Array;
  readonly #uniformP: number;
  readonly #tails = new Map<number, TemperedTail>();
  /** Head thresholds per context level (lazily filled; 0 = not computed yet). */
  readonly #kappa: (Uint32Array | undefined)[] = [];
  /** Cumulative tail weights of recently used contexts (for exact rest draws). */
  readonly #tailCache = new Map<number, Float64Array>();

  // Scratch for one distribution() call.
  readonly #acc: Float64Array;
  readonly #stamp: Uint32Array;
  #epoch = 0;
  readonly #cand: Uint32Array;
  readonly #ctx: Int32Array;

  constructor(data: KnData, opts: KnModelOptions = {}) {
    this.data = data;
    this.order = data.order;
    this.tokenizer = data.encoding;
    this.vocabSize = data.vocabSize;
    this.eos = data.eos;
    this.id = opts.id ?? `kn${data.order}-${data.encoding}`;
    const U = data.vocabIds.length;
    this.topUnigrams = Math.min(opts.topUnigrams ?? 64, U);
    if (!Number.isInteger(this.topUnigrams) || this.topUnigrams < 0) throw new Error('topUnigrams must be a non-negative integer');
    this.maxHead = opts.maxHead ?? 256;
    this.maxListed = opts.maxListed ?? 512;
    this.tailFraction = opts.tailFraction ?? 0.02;
    if (!Number.isInteger(this.maxListed) || this.maxListed < 1) throw new Error('maxListed must be a positive integer');
    if (!(this.tailFraction >= 0 && this.tailFraction < 1)) throw new Error('tailFraction must be in [0, 1)');
    if (!Number.isInteger(this.maxHead) || this.maxHead < 0) throw new Error('maxHead must be a non-negative integer');
    this.#disc = data.discounts.map((d) => Float64Array.of(0, d[0]!, d[1]!, d[2]!));

    for (let l = 0; l < data.order - 1; l++) {
      const cs = data.childStart[l]!, cnt = data.count[l + 1]!, d = this.#disc[l + 1]!;
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
      this.#invTotal.push(inv);
      this.#gamma.push(gam);
    }

    // Unigram level: discounted continuation counts plus the uniform floor.
    const c0 = data.count[0]!, d0 = this.#disc[0]!;
    let total0 = 0, b0 = 0;
    for (let i = 0; i < U; i++) {
      total0 += c0[i]!;
      b0 += d0[Math.min(c0[i]!, 3)]!;
    }
    const validVocab = data.ordinary + (data.eos >= data.ordinary ? 1 : 0);
    this.#uniformP = b0 / total0 / validVocab;
    this.#p1 = new Float64Array(U);
    for (let i = 0; i < U; i++) this.#p1[i] = (c0[i]! - d0[Math.min(c0[i]!, 3)]!) / total0 + this.#uniformP;
    const p1 = this.#p1;
    this.#byRank = Uint32Array.from({ length: U }, (_, i) => i).sort((a, b) => p1[b]! - p1[a]! || a - b);
    this.#rankOf = new Uint32Array(U);
    for (let r = 0; r < U; r++) this.#rankOf[this.#byRank[r]!] = r;

    this.#compactOf = new Int32Array(data.vocabSize).fill(-1);
    for (let i = 0; i < U; i++) this.#compactOf[data.vocabIds[i]!] = i;
    const unseen: number[] = [];
    for (let id = 0; id < data.vocabSize; id++) {
      if ((id < data.ordinary || id === data.eos) && this.#compactOf[id] === -1) unseen.push(id);
    }
    this.#unseenIds = Int32Array.from(unseen);

    this.#acc = new Float64Array(U);
    this.#stamp = new Uint32Array(U);
    this.#cand = new Uint32Array(U);
    this.#ctx = new Int32Array(data.order);
  }

  /** Is `id` a token this model can emit? */
  isValidToken(id: number): boolean {
    return this.#compactOf[id] !== undefined && (this.#compactOf[id]! >= 0 || this.#isUnseenValid(id));
  }
  #isUnseenValid(id: number): boolean {
    const u = this.#unseenIds;
    let lo = 0, hi = u.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < u.length && u[lo] === id;
  }

  /**
   * Nodes of the contexts of the next token: #ctx[j-1] = node (at level j-1) of the last
   * j tokens of `eos` + prefix. Returns m, the number found (longer ones do not exist).
   */
  #contexts(prefix: ArrayLike<number>, len: number): number {
    const d = this.data;
    const maxJ = Math.min(d.order - 1, len + 1);
    let m = 0;
    for (let j = 1; j <= maxJ; j++) {
      // Walk from the first token of the j-token context down to the last one.
      let node = this.#compactAt(prefix, len, j);
      if (node < 0) break;
      for (let l = 1; l < j && node >= 0; l++) {
        const c = this.#compactAt(prefix, len, j - l);
        node = c < 0 ? -1 : this.#child(l - 1, node, c);
      }
      if (node < 0) break;
      this.#ctx[j - 1] = node;
      m = j;
    }
    return m;
  }

  /** Compact id of the token `back` positions before the end of eos + prefix (back ≥ 1). */
  #compactAt(prefix: ArrayLike<number>, len: number, back: number): number {
    const i = len - back;
    const id = i >= 0 ? prefix[i]! : this.eos;
    return this.#compactOf[id] ?? -1;
  }

  /** Child of `node` (at level l) whose last token is compact id c, or −1. */
  #child(l: number, node: number, c: number): number {
    const cs = this.data.childStart[l]!, tok = this.data.token[l + 1]!;
    let lo = cs[node]!, hi = cs[node + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tok[mid]! < c) lo = mid + 1;
      else hi = mid;
    }
    return lo < cs[node + 1]! && tok[lo] === c ? lo : -1;
  }

  /** P(token | prefix) at temperature 1 (for perplexity and tests). */
  prob(prefix: ArrayLike<number>, prefixLength: number, token: number): number {
    checkPrefix(prefix, prefixLength);
    const c = this.#compactOf[token];
    if (c === undefined) throw new Error(`token ${token} is outside the vocabulary (0..${this.vocabSize - 1})`);
    if (c < 0 && !this.isValidToken(token)) return 0;
    const m = this.#contexts(prefix, prefixLength);
    // A token never seen in training has only the uniform floor, scaled by every back-off weight.
    let p = c >= 0 ? this.#p1[c]! : this.#uniformP;
    for (let j = 1; j <= m; j++) {
      const node = this.#ctx[j - 1]!;
      const e = c >= 0 ? this.#child(j - 1, node, c) : -1;
      let a = 0;
      if (e >= 0) {
        const cnt = this.data.count[j]![e]!;
        a = (cnt - this.#disc[j]![Math.min(cnt, 3)]!) * this.#invTotal[j - 1]![node]!;
      }
      p = a + this.#gamma[j - 1]![node]! * p;
    }
    return p;
  }

  /** Dense natural-log probabilities at temperature 1 (−Infinity for ids the model never emits). */
  logits(prefix: ArrayLike<number>, prefixLength: number): Float32Array {
    checkPrefix(prefix, prefixLength);
    const m = this.#contexts(prefix, prefixLength);
    const w = this.#weights(m);
    const out = new Float32Array(this.vocabSize).fill(-Infinity);
    const logFloor = Math.log(w.uni * this.#uniformP);
    for (const id of this.#unseenIds) out[id] = logFloor;
    const acc = new Float64Array(this.data.vocabIds.length);
    for (let c = 0; c < acc.length; c++) acc[c] = w.uni * this.#p1[c]!;
    for (let j = 1; j <= m; j++) this.#forChildren(j, w.child[j]!, (c, a) => (acc[c]! += a));
    for (let c = 0; c < acc.length; c++) out[this.data.vocabIds[c]!] = Math.log(acc[c]!);
    return out;
  }

  /** Mixture weights: child[j] for α over h_j's children (child[m] = 1), uni for P_1. */
  #weights(m: number): Weights {
    const child = new Float64Array(m + 1);
    let w = 1;
    for (let j = m; j >= 1; j--) {
      child[j] = w;
      w *= this.#gamma[j - 1]![this.#ctx[j - 1]!]!;
    }
    return { child, uni: w };
  }

  /** Calls f(compact id, weight·α_j) for every continuation of context h_j. */
  #forChildren(j: number, weight: number, f: (c: number, a: number) => void): void {
    const node = this.#ctx[j - 1]!;
    const cs = this.data.childStart[j - 1]!, tok = this.data.token[j]!, cnt = this.data.count[j]!, d = this.#disc[j]!;
    const s = weight * this.#invTotal[j - 1]![node]!;
    for (let e = cs[node]!; e < cs[node + 1]!; e++) {
      const k = cnt[e]!;
      f(tok[e]!, (k - d[k < 3 ? k : 3]!) * s);
    }
  }

  distribution(prefix: ArrayLike<number>, prefixLength: number, opts: SamplingOptions): SparseDistribution {
    checkPrefix(prefix, prefixLength);
    const { temperature, topK, topP } = resolveSampling(opts);
    const m = this.#contexts(prefix, prefixLength);
    const w = this.#weights(m);
    if (temperature === 1 && topK === 0 && topP === 1 && this.maxHead > 0) return this.#headDistribution(m, w);
    return this.#fullDistribution(m, w, temperature, topK, topP);
  }

  /**
   * Every continuation of the last token is listed (plus the top unigrams), so the
   * rest is ∝ P_1: exact under any temperature and the basis for exact truncation.
   */
  #fullDistribution(m: number, w: Weights, temperature: number, topK: number, topP: number): SparseDistribution {
    const acc = this.#acc, stamp = this.#stamp, p1 = this.#p1, vocab = this.data.vocabIds, rankOf = this.#rankOf;
    const epoch = this.#nextEpoch();
    const M = this.topUnigrams;
    const invT = 1 / temperature;
    const tail = this.#tail(temperature);
    const p1T = tail.p1T;
    const size = (m >= 1 ? this.data.childStart[0]![this.#ctx[0]! + 1]! - this.data.childStart[0]![this.#ctx[0]!]! : 0) + M;
    const ids = new Int32Array(size);
    const q = new Float64Array(size);
    let n = 0, listed = 0;
    let inTail = 0; // Σ P_1^{1/T} of candidates ranked ≥ M (they are inside tail.suffix[M])
    // Tempered weights are P^{1/T} unscaled: P ≥ ~1e-12 and T ≥ 0.05 keep them far from underflow.
    // exp(log) is about twice as fast as ** and runs once per continuation.
    const temper = (x: number) => (invT === 1 ? x : Math.exp(invT * Math.log(x)));
    if (m >= 1) {
      // Longer contexts first (their continuations are among the last token's), then one
      // pass over the last token's continuations finishes each probability.
      for (let j = 2; j <= m; j++) this.#addLevel(j, w.child[j]!, epoch);
      const node = this.#ctx[0]!;
      const cs = this.data.childStart[0]!, tok = this.data.token[1]!, cnt = this.data.count[1]!, d = this.#disc[1]!;
      const s = w.child[1]! * this.#invTotal[0]![node]!;
      for (let e = cs[node]!; e < cs[node + 1]!; e++) {
        const c = tok[e]!, k = cnt[e]!;
        const p = (stamp[c] === epoch ? acc[c]! : 0) + w.uni * p1[c]! + (k - d[k < 3 ? k : 3]!) * s;
        stamp[c] = epoch;
        const x = temper(p);
        ids[n] = vocab[c]!;
        q[n++] = x;
        listed += x;
        if (rankOf[c]! >= M) inTail += p1T[c]!;
      }
    }
    // … plus the most probable unigrams.
    for (let r = 0; r < M; r++) {
      const c = this.#byRank[r]!;
      if (stamp[c] === epoch) continue;
      stamp[c] = epoch;
      const x = temper(w.uni * p1[c]!);
      ids[n] = vocab[c]!;
      q[n++] = x;
      listed += x;
    }
    const cands = ids.subarray(0, n), weights = q.subarray(0, n);
    const restScale = temper(w.uni);
    const restW = restScale * Math.max(0, tail.suffix[M]! - inTail);
    const list = { maxListed: this.maxListed, tailFraction: this.tailFraction };
    if (topK > 0 || topP < 1) {
      const t = truncate(cands, weights, listed + restW, this.#restSource(M, epoch, restScale, tail), topK, topP);
      return shortList(t.ids, t.probs, { weight: 0 }, list);
    }
    // The candidate ids are kept (not copied) for the rest sampler's membership test.
    const listedTest = this.#listedTest(cands, epoch);
    return shortList(cands, weights, { weight: restW, sample: this.#unigramRestSampler(listedTest, M, tail) }, list);
  }

  /** acc[c] += weight·α_j(c) for every continuation c of h_j, starting from 0 for tokens not yet stamped. */
  #addLevel(j: number, weight: number, epoch: number): void {
    const node = this.#ctx[j - 1]!, acc = this.#acc, stamp = this.#stamp;
    const cs = this.data.childStart[j - 1]!, tok = this.data.token[j]!, cnt = this.data.count[j]!, d = this.#disc[j]!;
    const s = weight * this.#invTotal[j - 1]![node]!;
    for (let e = cs[node]!; e < cs[node + 1]!; e++) {
      const c = tok[e]!, k = cnt[e]!;
      if (stamp[c] !== epoch) {
        stamp[c] = epoch;
        acc[c] = 0;
      }
      acc[c]! += (k - d[k < 3 ? k : 3]!) * s;
    }
  }

  /** Lists the top-M unigrams not yet listed, with value uni·P_1. Returns the new count. */
  #addTopUnigrams(n: number, epoch: number, uni: number): number {
    const acc = this.#acc, stamp = this.#stamp, cand = this.#cand, p1 = this.#p1;
    for (let r = 0; r < this.topUnigrams; r++) {
      const c = this.#byRank[r]!;
      if (stamp[c] !== epoch) {
        stamp[c] = epoch;
        cand[n++] = c;
        acc[c] = uni * p1[c]!;
      }
    }
    return n;
  }

  /**
   * Temperature 1 without truncation: each context lists only its head (its at most
   * maxHead most frequent continuations) and the top unigrams. The rest is then a
   * mixture — each context's unlisted continuations ∝ α_j, and the unigram tail ∝ P_1 —
   * whose parts are known exactly (Σ α_j = 1 − γ_j), so its mass and sampler stay exact.
   */
  #headDistribution(m: number, w: Weights): SparseDistribution {
    const acc = this.#acc, stamp = this.#stamp, cand = this.#cand, p1 = this.#p1;
    const epoch = this.#nextEpoch();
    let n = 0;
    const kappa = new Uint32Array(m + 1);
    for (let j = 1; j <= m; j++) {
      const node = this.#ctx[j - 1]!;
      const cs = this.data.childStart[j - 1]!, tok = this.data.token[j]!, cnt = this.data.count[j]!;
      const k = (kappa[j] = this.#headThreshold(j, node));
      for (let e = cs[node]!; e < cs[node + 1]!; e++) {
        const c = tok[e]!;
        if (cnt[e]! >= k && stamp[c] !== epoch) {
          stamp[c] = epoch;
          cand[n++] = c;
        }
      }
    }
    for (let i = 0; i < n; i++) acc[cand[i]!] = w.uni * p1[cand[i]!]!;
    n = this.#addTopUnigrams(n, epoch, w.uni);

    // Each listed token's α at every level; what is left of each level is rest.
    const restParts = new Float64Array(m + 1);
    for (let j = 1; j <= m; j++) {
      const node = this.#ctx[j - 1]!;
      const cs = this.data.childStart[j - 1]!, tok = this.data.token[j]!, cnt = this.data.count[j]!, d = this.#disc[j]!;
      const inv = this.#invTotal[j - 1]![node]!, s = w.child[j]! * inv;
      let covered = 0;
      for (let e = cs[node]!; e < cs[node + 1]!; e++) {
        const c = tok[e]!;
        if (stamp[c] !== epoch) continue;
        const k = cnt[e]!;
        const a = k - d[k < 3 ? k : 3]!;
        covered += a;
        acc[c]! += a * s;
      }
      // Below 1e-12 the leftover is rounding (every continuation listed), not mass.
      const left = 1 - this.#gamma[j - 1]![node]! - covered * inv;
      restParts[j] = left > 1e-12 ? w.child[j]! * left : 0;
    }
    const M = this.topUnigrams, tail = this.#tail(1);
    let inTail = 0;
    const ids = new Int32Array(n);
    const probs = new Float64Array(n);
    let listed = 0;
    for (let i = 0; i < n; i++) {
      const c = cand[i]!;
      ids[i] = this.data.vocabIds[c]!;
      probs[i] = acc[c]!;
      listed += acc[c]!;
      if (this.#rankOf[c]! >= M) inTail += p1[c]!;
    }
    restParts[0] = w.uni * Math.max(0, tail.suffix[M]! - inTail);
    let restMass = 0;
    for (let j = 0; j <= m; j++) restMass += restParts[j]!;
    const total = listed + restMass;
    for (let i = 0; i < n; i++) probs[i]! /= total;
    if (!(restMass > 0)) return { ids, probs, restMass: 0 };
    for (let j = 0; j <= m; j++) restParts[j]! /= total;
    const nodes = Int32Array.from(this.#ctx.subarray(0, m));
    const listedTest = this.#listedTest(ids, epoch);
    const sampleUni = this.#unigramRestSampler(listedTest, M, tail);
    return {
      ids,
      probs,
      restMass: restMass / total,
      sampleRest: (rng: Rng) => {
        let x = rng() * (restMass / total);
        for (let j = m; j >= 1; j--) {
          if (x < restParts[j]!) return this.#sampleLevelRest(j, nodes[j - 1]!, kappa[j]!, listedTest, rng);
          x -= restParts[j]!;
        }
        return sampleUni(rng);
      },
    };
  }

  /**
   * Count threshold κ of a context's head: its continuations with adjusted count ≥ κ,
   * at most maxHead of them (κ = 0: all). Cached per node.
   */
  #headThreshold(j: number, node: number): number {
    const cs = this.data.childStart[j - 1]!;
    const size = cs[node + 1]! - cs[node]!;
    if (size <= this.maxHead) return 0;
    let cache = this.#kappa[j - 1];
    if (!cache) cache = this.#kappa[j - 1] = new Uint32Array(cs.length - 1);
    if (cache[node] !== 0) return cache[node]!;
    const counts = Float64Array.from(this.data.count[j]!.subarray(cs[node]!, cs[node + 1]!));
    // The maxHead-th largest count; if ties at it would overflow the head, raise κ by one.
    const kth = cutByCount(counts, size, this.maxHead).cut;
    let atLeast = 0;
    const cnt = this.data.count[j]!;
    for (let e = cs[node]!; e < cs[node + 1]!; e++) if (cnt[e]! >= kth) atLeast++;
    const k = atLeast > this.maxHead ? kth + 1 : kth;
    cache[node] = k;
    return k;
  }

  /**
   * A continuation of context h_j (at `node`) that is not listed, ∝ α_j. Draws from the
   * cached cumulative weights of the context's tail (continuations below its head
   * threshold κ) and rejects the few listed through another context or the unigrams;
   * after 64 rejections an exact pass over the children finishes the job.
   */
  #sampleLevelRest(j: number, node: number, kappa: number, listed: (c: number) => boolean, rng: Rng): number {
    const cs = this.data.childStart[j - 1]!, tok = this.data.token[j]!, cnt = this.data.count[j]!, d = this.#disc[j]!;
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
      if (!listed(c)) return this.data.vocabIds[c]!;
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
    return this.data.vocabIds[last]!;
  }

  /** cum[i] = Σ α-numerators of the context's children before i that are below its head (κ). Cached. */
  #tailCumulative(j: number, node: number, kappa: number): Float64Array {
    const key = node * 8 + j;
    let cum = this.#tailCache.get(key);
    if (cum) return cum;
    const cs = this.data.childStart[j - 1]!, cnt = this.data.count[j]!, d = this.#disc[j]!;
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

  /**
   * Membership in a distribution's listed set, by compact id: the stamp array while that
   * distribution is still the model's latest, else a set built from its ids.
   */
  #listedTest(ids: Int32Array, epoch: number): (c: number) => boolean {
    let set: Set<number> | undefined;
    return (c) => {
      if (this.#epoch === epoch) return this.#stamp[c] === epoch;
      set ??= new Set(Array.from(ids, (id) => this.#compactOf[id]!));
      return set.has(c);
    };
  }

  #nextEpoch(): number {
    if (++this.#epoch === 0xffffffff) {
      this.#stamp.fill(0);
      this.#epoch = 1;
    }
    return this.#epoch;
  }

  /** Suffix sums of P_1^{1/T} in rank order, cached per temperature. */
  #tail(temperature: number): TemperedTail {
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
  #restSource(M: number, epoch: number, scale: number, tail: TemperedTail): RestSource {
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
          return { id: this.data.vocabIds[c]!, w: wt };
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
  #unigramRestSampler(listed: (c: number) => boolean, M: number, tail: TemperedTail): (rng: Rng) => number {
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
        if (!listed(c)) return this.data.vocabIds[c]!;
      }
      return this.#enumerateRest(listed, M, tail, rng);
    };
  }

  #enumerateRest(listed: (c: number) => boolean, M: number, tail: TemperedTail, rng: Rng): number {
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
      if (x < 0) return this.data.vocabIds[c]!;
    }
    const nUnseen = this.#unseenIds.length;
    if (nUnseen === 0) return this.data.vocabIds[this.#byRank[U - 1]!]!;
    return this.#unseenIds[Math.min(nUnseen - 1, Math.floor(rng() * nUnseen))]!;
  }
}

function checkPrefix(prefix: ArrayLike<number>, len: number): void {
  if (!Number.isInteger(len) || len < 0 || len > prefix.length) {
    throw new Error(`prefixLength must be an integer in 0..${prefix.length} (got ${len})`);
  }
}
