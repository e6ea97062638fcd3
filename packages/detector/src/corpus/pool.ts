/**
 * Corpus-wide pooling, run in the main thread in document order.
 *
 * Global deduplication: a (token seed, token) tuple counts once in the whole
 * corpus — the first time it appears, in document order. The set is exact (full
 * 96-bit keys) up to a memory budget; if the corpus has more distinct tuples
 * than fit, the remaining documents are deduplicated per document only, and
 * the summary says so (dedup "global-partial", with the first document affected).
 * In that mode the pooled test is no longer exact (tuples repeated across
 * documents may count more than once). The default budget holds 16 M distinct
 * tuples.
 *
 * Two corpus-level tests are reported:
 *   pooled  one exact test on all globally distinct tuples (the most powerful);
 *   fisher  Fisher's combination of per-document tests, each on that document's
 *           *novel* tuples (first seen there). Novel tuple sets are disjoint, so
 *           the per-document p-values are independent under H0 as Fisher needs.
 * Both depend only on the documents and their order — not on how many workers
 * scored them.
 */
import type { Watermark } from '@tracemark/watermark';
import { countPayload, decodePayload } from '../payload.js';
import { testFromCounts, type CountsTest } from '../counts-test.js';
import { schemeTest } from '../pvalue.js';
import { formatPValue, gammaUpperTailLog, lnToLog10 } from '../stats/index.js';
import { ADD_FULL, ADDED, TupleSet } from '../tupleset.js';
import type { DocScored } from './docscore.js';

export type DedupScope = 'global' | 'global-partial' | 'per-document';

/** The pooled exact test (testFromCounts: `scored` = pooled distinct tuples) and how dedup went. */
export interface PooledResult extends CountsTest {
  dedup: DedupScope;
  /** Index of the first document that was not fully deduplicated against the whole corpus. */
  dedupOverflowAt?: number;
  /** Distinct tuples held by the global set, and its memory. */
  dedupEntries: number;
  dedupBytes: number;
}

export interface FisherResult {
  /** Documents with at least one novel tuple (k). */
  documents: number;
  /** −2 Σ ln p, χ² with 2k degrees of freedom under H0. */
  statistic: number;
  lnP: number;
  log10P: number;
  pValue: string;
}

export interface NovelResult {
  /** Tuples first seen in this document. */
  scored: number;
  score: number;
  lnP: number;
}

export const DEFAULT_DEDUP_BYTES = 512 * 1024 * 1024;

export class Pool {
  readonly #wm: Watermark;
  readonly #set: TupleSet | undefined;
  #overflowAt: number | undefined;
  #scored = 0;
  #sum = 0;
  #fisherK = 0;
  #fisherSum = 0; // Σ −ln p, Neumaier-compensated
  #fisherComp = 0;
  readonly #payload: boolean;
  #counts: Int32Array | undefined;
  #res = new Uint8Array(4096);
  #perPosition: Int32Array | undefined;

  constructor(wm: Watermark, opts: { globalDedup: boolean; dedupMemoryBytes?: number }) {
    this.#wm = wm;
    // start at 2^21 slots (32 MiB, committed as touched): each doubling re-inserts every entry, a cache miss each
    if (opts.globalDedup) this.#set = TupleSet.forBudget(opts.dedupMemoryBytes ?? DEFAULT_DEDUP_BYTES, 1 << 21);
    this.#payload = wm.spec.payload !== null;
    if (this.#payload) {
      this.#counts = new Int32Array(wm.payloadDigits * wm.payloadColours);
      this.#perPosition = new Int32Array(wm.payloadDigits);
    }
  }

  /** Pool one document; documents must arrive in index order. */
  add(d: DocScored): NovelResult {
    const set = this.#set;
    let n = 0, sum = 0;
    let novelPos: Uint8Array | undefined, novelColour: Int8Array | undefined;
    if (this.#payload) {
      novelPos = new Uint8Array(d.count);
      novelColour = new Int8Array(d.count);
    }
    let total = this.#sum;
    const res = this.#res.length >= d.count ? this.#res : (this.#res = new Uint8Array(d.count * 2));
    if (set) set.addBatch(d.hi, d.lo, d.token, 0, d.count, res);
    for (let j = 0; j < d.count; j++) {
      if (set) {
        const r = res[j]!;
        if (r === ADD_FULL) {
          // over budget: if it was not seen, count it (per-document dedup from here on)
          if (this.#overflowAt === undefined) this.#overflowAt = d.index;
          if (set.has(d.hi[j]!, d.lo[j]!, d.token[j]!)) continue;
        } else if (r !== ADDED) continue;
      }
      const s = d.score[j]!;
      total += s;
      sum += s;
      if (novelPos) {
        novelPos[n] = d.pos![j]!;
        novelColour![n] = d.colour![j]!;
      }
      n++;
    }
    this.#sum = total;
    this.#scored += n;
    let lnP: number;
    if (this.#payload) {
      const pc = countPayload(this.#wm, novelPos!.subarray(0, n), novelColour!.subarray(0, n));
      for (let i = 0; i < pc.counts.length; i++) this.#counts![i]! += pc.counts[i]!;
      for (let i = 0; i < pc.perPosition.length; i++) this.#perPosition![i]! += pc.perPosition[i]!;
      // the document's novel tuples decoded on their own: "carries some id"
      const p = n > 0 ? decodePayload(this.#wm, pc) : undefined;
      lnP = p ? p.lnP : 0;
      sum = p ? p.matched : 0;
    } else {
      lnP = schemeTest(this.#wm.nullModel, n, sum).lnP;
    }
    if (n > 0) {
      this.#fisherK++;
      const x = -lnP;
      const t = this.#fisherSum + x;
      this.#fisherComp += Math.abs(this.#fisherSum) >= Math.abs(x) ? this.#fisherSum - t + x : x - t + this.#fisherSum;
      this.#fisherSum = t;
    }
    return { scored: n, score: sum, lnP };
  }

  pooled(): PooledResult {
    const set = this.#set;
    const base = {
      dedup: (set ? (this.#overflowAt === undefined ? 'global' : 'global-partial') : 'per-document') as DedupScope,
      ...(this.#overflowAt !== undefined ? { dedupOverflowAt: this.#overflowAt } : {}),
      dedupEntries: set ? set.size : 0,
      dedupBytes: set ? set.bytes : 0,
    };
    return {
      ...base,
      ...testFromCounts(this.#wm, this.#scored, this.#sum, this.#payload ? { counts: this.#counts!, perPosition: this.#perPosition! } : undefined),
    };
  }

  fisher(): FisherResult {
    const k = this.#fisherK;
    const x = this.#fisherSum + this.#fisherComp;
    const lnP = k === 0 ? 0 : x === Infinity ? -Infinity : Math.min(0, gammaUpperTailLog(k, Math.max(0, x)));
    return { documents: k, statistic: 2 * x, lnP, log10P: lnToLog10(lnP), pValue: formatPValue(lnP) };
  }
}
