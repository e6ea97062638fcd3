/**
 * Admission control: at most `concurrency` generations run at once, at most
 * `queue` more wait (FIFO); past that a request is refused at once (HTTP 429), so
 * overload shows up as fast refusals instead of unbounded memory and latency.
 */
export class Busy extends Error {
  override name = 'Busy';
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (e: Error) => void;
}

export class Limiter {
  #active = 0;
  readonly #waiting: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be an integer ≥ 1');
    if (!Number.isInteger(queue) || queue < 0) throw new RangeError('queue must be an integer ≥ 0');
  }

  get active(): number {
    return this.#active;
  }
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Wait for a slot. Rejects with Busy when the queue is full, or with the signal's
   * reason when the caller gives up (client gone, shutdown) while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#active < this.concurrency) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.queue) {
      return Promise.reject(new Busy(`server busy: ${this.#active} requests running and ${this.#waiting.length} queued`));
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      this.#waiting.push(w);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.#waiting.indexOf(w);
          if (i >= 0) {
            this.#waiting.splice(i, 1);
            reject(signal.reason as Error);
          }
        },
        { once: true },
      );
    });
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiting.shift();
      if (next) next.resolve(this.#releaser());
      else this.#active--;
    };
  }
}
