/**
 * Held-out perplexity: exp of the mean negative log-probability per token,
 * each document scored from its start (the model's implicit `eos` context) and
 * including the final `eos` that ends it, as in training.
 */

/** Anything that gives P(token | prefix): the KN model, or a baseline. */
export interface TokenScorer {
  prob(prefix: ArrayLike<number>, prefixLength: number, token: number): number;
}

export interface PerplexityResult {
  perplexity: number;
  /** Mean negative log2-probability per token (bits). */
  bitsPerToken: number;
  tokens: number;
}

export function perplexity(model: TokenScorer, docs: readonly ArrayLike<number>[], eos: number): PerplexityResult {
  let nll = 0;
  let tokens = 0;
  for (const doc of docs) {
    const seq = new Uint32Array(doc.length + 1);
    seq.set(doc as ArrayLike<number>);
    seq[doc.length] = eos;
    for (let i = 0; i < seq.length; i++) {
      const p = model.prob(seq, i, seq[i]!);
      if (!(p > 0)) throw new Error(`model gave probability ${p} to token ${seq[i]} at position ${i}`);
      nll -= Math.log(p);
      tokens++;
    }
  }
  return { perplexity: Math.exp(nll / tokens), bitsPerToken: nll / tokens / Math.LN2, tokens };
}

/** Add-one (Laplace) unigram model over a vocabulary of `vocab` tokens: a baseline. */
export class AddOneUnigram implements TokenScorer {
  readonly #counts = new Map<number, number>();
  #total = 0;
  constructor(
    docs: readonly ArrayLike<number>[],
    eos: number,
    readonly vocab: number,
  ) {
    for (const d of docs) {
      for (let i = 0; i < d.length; i++) this.#add(d[i]!);
      this.#add(eos);
    }
  }
  #add(t: number): void {
    this.#counts.set(t, (this.#counts.get(t) ?? 0) + 1);
    this.#total++;
  }
  prob(_prefix: ArrayLike<number>, _len: number, token: number): number {
    return ((this.#counts.get(token) ?? 0) + 1) / (this.#total + this.vocab);
  }
}

/** Add-one bigram model P(w | v) = (c(vw) + 1) / (c(v) + V); documents start after `eos`. */
export class AddOneBigram implements TokenScorer {
  readonly #pairs = new Map<number, number>();
  readonly #ctx = new Map<number, number>();
  constructor(
    docs: readonly ArrayLike<number>[],
    readonly eos: number,
    readonly vocab: number,
  ) {
    for (const d of docs) {
      let prev = eos;
      for (let i = 0; i <= d.length; i++) {
        const t = i < d.length ? d[i]! : eos;
        const key = prev * 2 ** 21 + t;
        this.#pairs.set(key, (this.#pairs.get(key) ?? 0) + 1);
        this.#ctx.set(prev, (this.#ctx.get(prev) ?? 0) + 1);
        prev = t;
      }
    }
  }
  prob(prefix: ArrayLike<number>, len: number, token: number): number {
    const prev = len > 0 ? prefix[len - 1]! : this.eos;
    return ((this.#pairs.get(prev * 2 ** 21 + token) ?? 0) + 1) / ((this.#ctx.get(prev) ?? 0) + this.vocab);
  }
}
