/**
 * The evidence pool: the one place where tuples become an accusation.
 *
 * Every caller that pools evidence — a corpus scan, a resumable scan, the radioactivity
 * test, attribution, the sequential monitor, an evidence report — hands it the scored
 * (window seed, token) tuples of one text at a time. The pool
 *
 *   - counts each distinct tuple once over all adds (global deduplication), the first
 *     time it arrives: only *novel* tuples enter any test. The dedup set is exact (full
 *     96-bit keys) up to an optional memory budget; past it, new tuples are counted
 *     without being remembered and the dedup scope becomes 'global-partial';
 *   - optionally keeps only selected tuples (`keep`, e.g. a window filter) and files each
 *     add under a family: families are disjoint sub-tests;
 *   - runs the exact test of the scheme on the pooled counts (testFromCounts), per family,
 *     and — if asked — Fisher's combination of one test per add over that add's novel
 *     tuples (novel sets are disjoint, so the per-add p-values are independent under H0);
 *   - snapshots and restores its whole state (snapshot.ts), which makes a scan resumable.
 *
 * Tuples are PRF inputs: distinct tuples have independent scores under H0 whatever the
 * text, so the pooled test is exact. Its counts are sums over tuples, so a pool split by
 * tuple hash into partitions that each own their tuples gives the same test from the
 * summed counts (TupleCounts) — the shape a partitioned scan needs.
 */
import { payloadWatermark, type ScoringModel } from '../scoring-model.js';
import type { CountsTest } from '../counts-test.js';
import { DetectorError } from '../errors.js';
import { decodePayload } from '../payload.js';
import { schemeTest } from '../pvalue.js';
import type { TupleList } from '../scorer.js';
import { ADD_FULL, ADDED, TupleSet } from '../tupleset.js';
import { TupleCounts } from './counts.js';
import { FisherAccumulator, type FisherResult } from './fisher.js';
import { decodeTuples, encodeTuples, type PoolSnapshot } from './snapshot.js';

export type DedupScope = 'global' | 'global-partial' | 'per-document';

/** The pooled exact test and how deduplication went. */
export interface PooledResult extends CountsTest {
  dedup: DedupScope;
  /** Index of the first add (document) that was not fully deduplicated against the pool. */
  dedupOverflowAt?: number;
  /** Distinct tuples held by the dedup set, and its memory. */
  dedupEntries: number;
  dedupBytes: number;
}

/** One add's novel tuples and their own exact test (the Fisher component). */
export interface NovelResult {
  /** Tuples first seen in this add. */
  scored: number;
  /** Their score sum (payload specs: tuples agreeing with the id decoded from them alone). */
  score: number;
  lnP: number;
}

/** Scored tuples of one text; payload specs also give each tuple's digit position and colour. */
export interface PoolTuples extends TupleList {
  pos?: Uint8Array | undefined;
  colour?: Int8Array | undefined;
}

/** Called for each novel tuple in order: its score, its index j among the add's tuples, payload position and colour (−1 when none). */
export type TupleSink = (score: number, j: number, pos: number, colour: number) => void;

export interface PoolAddOptions {
  /** keep[j] = 0: tuple j is not selected (neither counted nor remembered). */
  keep?: Uint8Array | undefined;
  /** The family (disjoint sub-test) this add belongs to. */
  family?: number | undefined;
  sink?: TupleSink | undefined;
  /** The caller's index of this add, reported as dedupOverflowAt (default: adds so far). */
  index?: number;
  /**
   * Pools made with `externalDedup`: the dedup decision for each tuple (ADDED, PRESENT or
   * ADD_FULL from tupleset.ts), made by a set the caller keeps (e.g. a scan's partitions).
   */
  novelty?: Uint8Array;
}

export interface PoolAddResult {
  /** Selected tuples first seen in this add (they enter the tests). */
  novel: number;
  novelSum: number;
  /** Selected tuples already in the pool. */
  duplicates: number;
  /** Tuples dropped by `keep`. */
  unselected: number;
  /** With `fisher`: the novel tuples' own test, folded into Fisher's combination. */
  test?: NovelResult;
}

export interface EvidencePoolOptions {
  /** Count each tuple once over all adds (default true). Off: adds are assumed to share no tuples. */
  globalDedup?: boolean;
  /** Bound on the dedup set's memory (default: none); past it the scope is 'global-partial'. */
  dedupMemoryBytes?: number | undefined;
  /** Initial slots of the dedup set (doubling as it fills, each doubling re-inserting every entry). */
  initialCapacity?: number;
  /** Disjoint sub-tests (0 = none). */
  families?: number;
  /** Fisher's combination over each add's novel tuples. */
  fisher?: boolean;
  /**
   * The caller deduplicates (globally) and passes each add's `novelty`: the pool keeps no
   * set; pooled() and snapshot() take the set's size and tuples from the caller.
   */
  externalDedup?: boolean;
}

const EMPTY_RES = new Uint8Array(0);

export class EvidencePool {
  readonly wm: ScoringModel;
  readonly #set: TupleSet | undefined;
  readonly #external: boolean;
  readonly #total: TupleCounts;
  readonly #families: TupleCounts[];
  readonly #fisher: FisherAccumulator | undefined;
  /** Payload specs with Fisher: the current add's novel counts. */
  readonly #addCounts: TupleCounts | undefined;
  readonly #payload: boolean;
  #overflowAt: number | undefined;
  #adds = 0;
  #res = new Uint8Array(4096);

  constructor(wm: ScoringModel, o: EvidencePoolOptions = {}) {
    this.wm = wm;
    this.#payload = payloadWatermark(wm) !== undefined;
    this.#external = (o.globalDedup ?? true) && (o.externalDedup ?? false);
    if ((o.globalDedup ?? true) && !this.#external) {
      const initial = o.initialCapacity ?? 1 << 12;
      this.#set = o.dedupMemoryBytes !== undefined ? TupleSet.forBudget(o.dedupMemoryBytes, initial) : new TupleSet(initial);
    }
    this.#total = new TupleCounts(wm);
    const k = o.families ?? 0;
    if (!(Number.isInteger(k) && k >= 0)) throw new RangeError('families must be an integer ≥ 0');
    this.#families = Array.from({ length: k }, () => new TupleCounts(wm));
    if (o.fisher) this.#fisher = new FisherAccumulator();
    if (o.fisher && this.#payload) this.#addCounts = new TupleCounts(wm);
  }

  get scored(): number {
    return this.#total.scored;
  }
  get sum(): number {
    return this.#total.sum;
  }
  get families(): number {
    return this.#families.length;
  }

  /** Pool one text's tuples, in order. */
  add(t: PoolTuples, o: PoolAddOptions = {}): PoolAddResult {
    const { keep, sink } = o;
    const n = t.count;
    if (keep && keep.length !== n) throw new RangeError('keep must have one entry per tuple');
    let fam: TupleCounts | undefined;
    if (o.family !== undefined && this.#families.length > 0) {
      fam = this.#families[o.family];
      if (!fam) throw new RangeError(`family ${o.family} is outside [0, ${this.#families.length})`);
    }
    const index = o.index ?? this.#adds;
    this.#adds++;
    const set = this.#set;
    const given = o.novelty;
    if (this.#external !== (given !== undefined)) throw new RangeError(this.#external ? 'this pool needs each add\'s novelty' : 'novelty is for pools with externalDedup');
    if (given && (keep || given.length < n)) throw new RangeError('novelty needs one entry per tuple and no keep');
    // Without a selection every tuple is looked up: batched, so the cache misses overlap.
    let res = given ?? EMPTY_RES;
    if (set && !keep) {
      res = this.#res.length >= n ? this.#res : (this.#res = new Uint8Array(n * 2));
      set.addBatch(t.hi, t.lo, t.token, 0, n, res);
    }
    const per = this.#addCounts;
    per?.reset();
    const total = this.#total, pos = t.pos, colour = t.colour, payload = this.#payload;
    const extra = fam !== undefined || per !== undefined || sink !== undefined;
    // the pool's running sum, kept in a local: one addition per tuple, in tuple order
    let totalSum = total.sum;
    let novel = 0, novelSum = 0, duplicates = 0, unselected = 0;
    for (let j = 0; j < n; j++) {
      if (keep && keep[j] === 0) {
        unselected++;
        continue;
      }
      if (set || given) {
        const r = keep ? set!.add(t.hi[j]!, t.lo[j]!, t.token[j]!) : res[j]!;
        if (r === ADD_FULL) {
          // over budget: a tuple the set does not hold counts (deduplicated per add from here on)
          if (this.#overflowAt === undefined) this.#overflowAt = index;
        } else if (r !== ADDED) {
          duplicates++;
          continue;
        }
      }
      const s = t.score[j]!;
      totalSum += s;
      novelSum += s;
      novel++;
      if (payload) total.countPayload(pos![j]!, colour![j]!);
      if (extra) {
        const p = payload ? pos![j]! : 0, c = payload ? colour![j]! : -1;
        fam?.add(s, p, c);
        per?.add(s, p, c);
        sink?.(s, j, p, c);
      }
    }
    total.sum = totalSum;
    total.scored += novel;
    const out: PoolAddResult = { novel, novelSum, duplicates, unselected };
    if (this.#fisher) {
      out.test = this.#novelTest(novel, novelSum);
      if (novel > 0) this.#fisher.add(out.test.lnP);
    }
    return out;
  }

  #novelTest(n: number, sum: number): NovelResult {
    const per = this.#addCounts;
    if (per) {
      // the add's novel tuples decoded on their own: "carries some id"
      const p = n > 0 ? decodePayload(payloadWatermark(this.wm)!, { counts: per.counts!, perPosition: per.perPosition!, scored: n }) : undefined;
      return { scored: n, score: p ? p.matched : 0, lnP: p ? p.lnP : 0 };
    }
    return { scored: n, score: sum, lnP: schemeTest(this.wm.nullModel, n, sum).lnP };
  }

  /** The exact test on every novel tuple so far: the p-value that accuses. */
  test(): CountsTest {
    return this.#total.test(this.wm);
  }

  /** test() with how deduplication went (externalDedup: the caller's set's entries and bytes). */
  pooled(external?: { entries: number; bytes: number }): PooledResult {
    const set = this.#set ? { entries: this.#set.size, bytes: this.#set.bytes } : this.#external ? (external ?? { entries: 0, bytes: 0 }) : undefined;
    return {
      dedup: set ? (this.#overflowAt === undefined ? 'global' : 'global-partial') : 'per-document',
      ...(this.#overflowAt !== undefined ? { dedupOverflowAt: this.#overflowAt } : {}),
      dedupEntries: set ? set.entries : 0,
      dedupBytes: set ? set.bytes : 0,
      ...this.test(),
    };
  }

  /** The exact test of one family's novel tuples. */
  familyTest(f: number): CountsTest {
    const a = this.#families[f];
    if (!a) throw new RangeError(`family ${f} is outside [0, ${this.#families.length})`);
    return a.test(this.wm);
  }

  /** Fisher's combination of the per-add tests (pools made with `fisher`). */
  fisher(): FisherResult {
    if (!this.#fisher) throw new RangeError('this pool was made without fisher');
    return this.#fisher.result();
  }

  /** Payload counts of the pool (payload specs). */
  payloadCounts(): { counts: Int32Array; perPosition: Int32Array; scored: number } | undefined {
    const a = this.#total;
    return a.counts ? { counts: a.counts, perPosition: a.perPosition!, scored: a.scored } : undefined;
  }

  /** The whole state: counts, Fisher accumulator, overflow point and the dedup set's tuples (externalDedup: the caller's). */
  snapshot(externalTuples?: Int32Array): PoolSnapshot {
    const c = this.#total.state;
    return {
      scored: c.scored,
      sum: c.sum,
      fisher: this.#fisher ? this.#fisher.state : { k: 0, sum: 0, comp: 0 },
      counts: c.counts,
      perPosition: c.perPosition,
      ...(this.#overflowAt !== undefined ? { dedupOverflowAt: this.#overflowAt } : {}),
      ...(this.#families.length > 0 ? { families: this.#families.map((f) => f.state) } : {}),
      tuples: encodeTuples(this.#set ? this.#set.entries() : (externalTuples ?? new Int32Array(0))),
    };
  }

  /**
   * Continue from a snapshot of a pool made with the same watermark and options (into a
   * fresh pool). Errors name `what` ("the checkpoint is corrupt (…)").
   */
  restore(s: PoolSnapshot, what = 'snapshot'): void {
    if (this.#total.scored !== 0 || this.#adds !== 0) throw new RangeError('restore into a fresh pool');
    const bad = (why: string): DetectorError => new DetectorError('BAD_OPTION', `the ${what} ${why}`);
    const tuples = decodeTuples(s.tuples);
    const entries = tuples ? tuples.length / 3 : -1;
    const set = this.#set;
    // externalDedup: the caller restores its set from the same tuples (and checks repeats)
    const deduped = set !== undefined || this.#external;
    const expected = !deduped ? entries === 0 : s.dedupOverflowAt === undefined ? entries === s.scored : entries <= s.scored;
    if (!tuples || !expected) throw bad('is corrupt (tuple data)');
    if (set && entries > 0) {
      set.reserve(entries);
      const res = new Uint8Array(entries);
      const hi = new Int32Array(entries), lo = new Int32Array(entries), token = new Int32Array(entries);
      for (let i = 0; i < entries; i++) {
        hi[i] = tuples[3 * i]!;
        lo[i] = tuples[3 * i + 1]!;
        token[i] = tuples[3 * i + 2]!;
      }
      set.addBatch(hi, lo, token, 0, entries, res);
      if (res.some((r) => r !== ADDED)) throw bad('is corrupt (repeated tuples)');
    }
    if ((s.families?.length ?? 0) !== this.#families.length) throw bad('was made with other families');
    try {
      this.#total.state = s;
      s.families?.forEach((f, i) => (this.#families[i]!.state = f));
    } catch (e) {
      throw bad((e as Error).message);
    }
    if (this.#fisher) this.#fisher.state = s.fisher;
    this.#overflowAt = s.dedupOverflowAt;
  }
}
