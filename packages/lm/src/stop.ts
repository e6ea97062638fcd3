/**
 * Stop strings for streamed text. Text is released only when no stop string can
 * still begin in it: the longest suffix that is a prefix of some stop string is
 * held back until later text settles it, so a stream never shows part of a stop
 * string and the final text is cut exactly before the first occurrence.
 */
export class StopMatcher {
  #pending = '';
  #stopped = false;

  /** The stop strings; an empty one would match everywhere, so it is ignored. */
  readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Add decoded text; returns the text that is now final. */
  push(piece: string): string {
    if (this.#stopped) return '';
    this.#pending += piece;
    if (this.stops.length === 0) {
      const out = this.#pending;
      this.#pending = '';
      return out;
    }
    let cut = -1;
    for (const s of this.stops) {
      const i = this.#pending.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.#stopped = true;
      const out = this.#pending.slice(0, cut);
      this.#pending = '';
      return out;
    }
    const hold = this.#heldSuffix();
    const out = this.#pending.slice(0, this.#pending.length - hold);
    this.#pending = this.#pending.slice(this.#pending.length - hold);
    return out;
  }

  /** End of generation: whatever was held back is final. */
  flush(): string {
    const out = this.#stopped ? '' : this.#pending;
    this.#pending = '';
    return out;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of a stop string. */
  #heldSuffix(): number {
    const p = this.#pending;
    let best = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, p.length); k > best; k--) {
        if (p.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
