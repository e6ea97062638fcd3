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
 * Helpers: tables.ts (derived once from the counts), contexts.ts (the trie walk),
 * head.ts (context heads and tails), unigram-rest.ts (the rest ∝ P_1).
 */
import type { Rng, SamplingOptions, SparseDistribution } from '@tracemark/watermark';
import { resolveSampling, type LanguageModel } from '../types.js';
import { shortList } from '../listing.js';
import { truncate } from '../truncate.js';
import type { KnData } from './data.js';
import { ContextNodes } from './contexts.js';
import { ContextHeads } from './head.js';
import { KnTables } from './tables.js';
import { UnigramRest } from './unigram-rest.js';

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

  // The derived tables (tables.ts), held in fields of their own for the hot loops.
  readonly #invTotal: Float64Array[];
  readonly #gamma: Float64Array[];
  readonly #disc: Float64Array[];
  readonly #p1: Float64Array;
  readonly #byRank: Uint32Array;
  readonly #rankOf: Uint32Array;
  readonly #compactOf: Int32Array;
  readonly #unseenIds: Int32Array;
  readonly #uniformP: number;
  readonly #unigramRest: UnigramRest;
  readonly #heads: ContextHeads;

  // Scratch for one distribution() call.
  readonly #acc: Float64Array;
  readonly #stamp: Uint32Array;
  #epoch = 0;
  readonly #cand: Uint32Array;
  readonly #ctx: Int32Array;
  readonly #nodes: ContextNodes;

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
    const t = new KnTables(data);
    this.#invTotal = t.invTotal;
    this.#gamma = t.gamma;
    this.#disc = t.disc;
    this.#p1 = t.p1;
    this.#byRank = t.byRank;
    this.#rankOf = t.rankOf;
    this.#compactOf = t.compactOf;
    this.#unseenIds = t.unseenIds;
    this.#uniformP = t.uniformP;

    this.#acc = new Float64Array(U);
    this.#stamp = new Uint32Array(U);
    this.#cand = new Uint32Array(U);
    this.#nodes = new ContextNodes(data, this.#compactOf);
    this.#ctx = this.#nodes.ctx;
    this.#unigramRest = new UnigramRest(t, data.vocabIds, this.#stamp);
    this.#heads = new ContextHeads(data, this.#disc, this.maxHead);
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

  /** P(token | prefix) at temperature 1 (for perplexity and tests). */
  prob(prefix: ArrayLike<number>, prefixLength: number, token: number): number {
    checkPrefix(prefix, prefixLength);
    const c = this.#compactOf[token];
    if (c === undefined) throw new Error(`token ${token} is outside the vocabulary (0..${this.vocabSize - 1})`);
    if (c < 0 && !this.isValidToken(token)) return 0;
    const m = this.#nodes.find(prefix, prefixLength);
    // A token never seen in training has only the uniform floor, scaled by every back-off weight.
    let p = c >= 0 ? this.#p1[c]! : this.#uniformP;
    for (let j = 1; j <= m; j++) {
      const node = this.#ctx[j - 1]!;
      const e = c >= 0 ? this.#nodes.child(j - 1, node, c) : -1;
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
    const m = this.#nodes.find(prefix, prefixLength);
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
    const m = this.#nodes.find(prefix, prefixLength);
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
    const tail = this.#unigramRest.tail(temperature);
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
      const t = truncate(cands, weights, listed + restW, this.#unigramRest.restSource(M, epoch, restScale, tail), topK, topP);
      return shortList(t.ids, t.probs, { weight: 0 }, list);
    }
    // The candidate ids are kept (not copied) for the rest sampler's membership test.
    const listedTest = this.#listedTest(cands, epoch);
    return shortList(cands, weights, { weight: restW, sample: this.#unigramRest.sampler(listedTest, M, tail) }, list);
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
      const k = (kappa[j] = this.#heads.threshold(j, node));
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
    const M = this.topUnigrams, tail = this.#unigramRest.tail(1);
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
    const sampleUni = this.#unigramRest.sampler(listedTest, M, tail);
    return {
      ids,
      probs,
      restMass: restMass / total,
      sampleRest: (rng: Rng) => {
        let x = rng() * (restMass / total);
        for (let j = m; j >= 1; j--) {
          if (x < restParts[j]!) return this.#heads.sampleTail(j, nodes[j - 1]!, kappa[j]!, listedTest, rng);
          x -= restParts[j]!;
        }
        return sampleUni(rng);
      },
    };
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
}

function checkPrefix(prefix: ArrayLike<number>, len: number): void {
  if (!Number.isInteger(len) || len < 0 || len > prefix.length) {
    throw new Error(`prefixLength must be an integer in 0..${prefix.length} (got ${len})`);
  }
}
