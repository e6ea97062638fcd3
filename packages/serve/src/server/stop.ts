/**
 * Stop sequences over streamed text. Text is released only when it can no longer
 * be the beginning of a stop sequence, so a streaming client never receives part of
 * a stop string that a later token completes (OpenAI's behaviour: the stop sequence
 * itself is never returned).
 */
export class StopMatcher {
  readonly #stops: readonly string[];
  readonly #longest: number;
  #pending = '';
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
    this.#longest = this.#stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Feed generated text; returns the text that is now safe to emit. */
  push(delta: string): string {
    if (this.#stopped) return '';
    if (this.#stops.length === 0) return delta;
    const buf = this.#pending + delta;
    // Earliest complete stop occurrence wins.
    let cut = -1;
    for (const s of this.#stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.#stopped = true;
      this.#pending = '';
      return buf.slice(0, cut);
    }
    // Hold back the longest suffix that is a proper prefix of some stop.
    let hold = 0;
    for (let k = Math.min(this.#longest - 1, buf.length); k > 0; k--) {
      const tail = buf.slice(buf.length - k);
      if (this.#stops.some((s) => s.startsWith(tail))) {
        hold = k;
        break;
      }
    }
    this.#pending = buf.slice(buf.length - hold);
    return buf.slice(0, buf.length - hold);
  }

  /** End of generation without a stop: release what was held back. */
  flush(): string {
    const out = this.#stopped ? '' : this.#pending;
    this.#pending = '';
    return out;
  }
}
