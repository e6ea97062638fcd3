/**
 * The sufficient statistic of the exact test over a set of distinct tuples: how many,
 * the sum of their scores, and (payload specs) how often each colour appears at each
 * digit position. Counts of disjoint tuple sets add up, which is what lets a pool be
 * split into families — or, later, into partitions that own tuples by hash — and still
 * give one exact test from the summed counts.
 */
import { payloadWatermark, type ScoringModel } from '../scoring-model.js';
import { testFromCounts, type CountsTest } from '../counts-test.js';

export class TupleCounts {
  scored = 0;
  /** Σ of scores in arrival order (floating point: the order is part of the result). */
  sum = 0;
  /** Payload specs: counts[position · colours + colour], and tuples per position. */
  readonly counts: Int32Array | undefined;
  readonly perPosition: Int32Array | undefined;
  readonly #colours: number;

  constructor(model: ScoringModel) {
    const wm = payloadWatermark(model);
    this.#colours = wm ? wm.payloadColours : 0;
    this.counts = wm ? new Int32Array(wm.payloadDigits * wm.payloadColours) : undefined;
    this.perPosition = wm ? new Int32Array(wm.payloadDigits) : undefined;
  }

  /** One tuple; `pos`/`colour` are read for payload specs only (colour −1 = none). */
  add(score: number, pos: number, colour: number): void {
    this.scored++;
    this.sum += score;
    if (this.counts) this.countPayload(pos, colour);
  }

  /** The payload part of add() (payload specs), for callers that sum scores themselves. */
  countPayload(pos: number, colour: number): void {
    this.perPosition![pos]!++;
    if (colour >= 0) this.counts![pos * this.#colours + colour]!++;
  }

  reset(): void {
    this.scored = 0;
    this.sum = 0;
    this.counts?.fill(0);
    this.perPosition?.fill(0);
  }

  /** The exact test of these tuples (payload specs: "carries some id"). */
  test(wm: ScoringModel): CountsTest {
    return testFromCounts(wm, this.scored, this.sum, this.counts ? { counts: this.counts, perPosition: this.perPosition! } : undefined);
  }

  get state(): CountsState {
    return { scored: this.scored, sum: this.sum, counts: this.counts ? [...this.counts] : null, perPosition: this.perPosition ? [...this.perPosition] : null };
  }

  /** Throws a plain message when the state's payload shape does not match this spec's. */
  set state(s: CountsState) {
    if ((this.counts === undefined) !== (s.counts === null) || (this.perPosition === undefined) !== (s.perPosition === null)) throw new Error("does not match the spec's payload");
    if ((s.counts && s.counts.length !== this.counts!.length) || (s.perPosition && s.perPosition.length !== this.perPosition!.length)) throw new Error("does not match the spec's payload");
    this.scored = s.scored;
    this.sum = s.sum;
    if (s.counts) this.counts!.set(s.counts);
    if (s.perPosition) this.perPosition!.set(s.perPosition);
  }
}

export interface CountsState {
  scored: number;
  sum: number;
  counts: number[] | null;
  perPosition: number[] | null;
}
