/**
 * Fisher's combination of independent exact tests, accumulated one test at a time:
 * −2 Σ ln pᵢ is χ² with 2k degrees of freedom under H0. The sum of −ln pᵢ is
 * Neumaier-compensated so that a long corpus (millions of documents) loses no digits,
 * and its three numbers (k, sum, compensation) are all a checkpoint needs to continue.
 */
import { formatPValue, gammaUpperTailLog, lnToLog10 } from '../stats/index.js';

export interface FisherResult {
  /** Tests combined (k): for a pool, the adds with at least one novel tuple. */
  documents: number;
  /** −2 Σ ln p, χ² with 2k degrees of freedom under H0. */
  statistic: number;
  lnP: number;
  log10P: number;
  pValue: string;
}

/** The accumulator's state, as snapshots record it. */
export interface FisherState {
  k: number;
  sum: number;
  comp: number;
}

export class FisherAccumulator {
  #k = 0;
  #sum = 0; // Σ −ln p
  #comp = 0;

  add(lnP: number): void {
    this.#k++;
    const x = -lnP;
    const t = this.#sum + x;
    this.#comp += Math.abs(this.#sum) >= Math.abs(x) ? this.#sum - t + x : x - t + this.#sum;
    this.#sum = t;
  }

  result(): FisherResult {
    const k = this.#k;
    const x = this.#sum + this.#comp;
    const lnP = k === 0 ? 0 : x === Infinity ? -Infinity : Math.min(0, gammaUpperTailLog(k, Math.max(0, x)));
    return { documents: k, statistic: 2 * x, lnP, log10P: lnToLog10(lnP), pValue: formatPValue(lnP) };
  }

  get state(): FisherState {
    return { k: this.#k, sum: this.#sum, comp: this.#comp };
  }

  set state(s: FisherState) {
    this.#k = s.k;
    this.#sum = s.sum;
    this.#comp = s.comp;
  }
}
