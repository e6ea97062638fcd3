/**
 * `logprobs` / `top_logprobs`: the served model's own next-token log-probabilities at each
 * generated position, in OpenAI's shapes (chat: `logprobs.content[]` with `bytes`;
 * completions: the legacy `tokens` / `token_logprobs` / `top_logprobs` / `text_offset`).
 *
 * Which distribution: the model's, tempered by the request's temperature and cut to its
 * top_p set — q in docs/SPEC.md §Sampling, the distribution the watermark is applied to —
 * computed from the model's dense logits. The watermark's reweighting (KGW/Unigram:
 * e^δ on green tokens; Gumbel/SynthID: the keyed choice) is NOT in the numbers: returning
 * the reweighted distribution would hand every client our green lists (a token's
 * logprob would jump by δ exactly where it is green). A chosen token's logprob is therefore
 * its probability under q, not the probability it was drawn with.
 */

/** One OpenAI logprob entry (chat shape). */
export interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
}
export interface TokenLogprob extends LogprobEntry {
  top_logprobs: LogprobEntry[];
}

/** The most top_logprobs a request may ask for (OpenAI's chat limit). */
export const MAX_TOP_LOGPROBS = 20;

/**
 * Log-probabilities of q at one step: logits ÷ temperature, restricted to the top_p set
 * (the shortest prefix, in the order logit descending then id ascending, whose mass
 * reaches top_p — the embedder's rule), normalised.
 */
export class NextLogprobs {
  readonly #t: Float64Array;
  readonly #kept: Uint8Array | null;
  readonly #lnZ: number;

  constructor(logits: ArrayLike<number>, temperature: number, topP: number) {
    const n = logits.length;
    const t = new Float64Array(n);
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      t[i] = logits[i]! / temperature;
      if (t[i]! > m) m = t[i]!;
    }
    let z = 0;
    for (let i = 0; i < n; i++) z += Math.exp(t[i]! - m);
    let kept: Uint8Array | null = null;
    if (topP < 1) {
      // the whole order is needed only here (top_p < 1 with logprobs): O(V log V) per step
      const order = Array.from({ length: n }, (_, i) => i).filter((i) => t[i]! > -Infinity).sort((a, b) => t[b]! - t[a]! || a - b);
      kept = new Uint8Array(n);
      let mass = 0, zk = 0;
      for (let r = 0; r < order.length && mass < topP * z; r++) {
        const w = Math.exp(t[order[r]!]! - m);
        mass += w;
        zk += w;
        kept[order[r]!] = 1;
      }
      z = zk;
    }
    this.#t = t;
    this.#kept = kept;
    this.#lnZ = m + Math.log(z);
  }

  /** ln q(id) (−Infinity outside the top_p set or the vocabulary). */
  of(id: number): number {
    if (!(id >= 0 && id < this.#t.length) || (this.#kept !== null && this.#kept[id] === 0)) return -Infinity;
    return this.#t[id]! - this.#lnZ;
  }

  /** The k most likely tokens (logit descending, then id ascending) with their ln q. */
  top(k: number): { id: number; logprob: number }[] {
    const ids: number[] = [];
    const t = this.#t, kept = this.#kept;
    if (k <= 0) return [];
    // one pass keeping a sorted list of at most k (k ≤ 20)
    for (let i = 0; i < t.length; i++) {
      if (!(t[i]! > -Infinity) || (kept !== null && kept[i] === 0)) continue;
      if (ids.length === k && !(t[i]! > t[ids[k - 1]!]!)) continue;
      let j = ids.length === k ? k - 1 : ids.length;
      while (j > 0 && t[ids[j - 1]!]! < t[i]!) j--;
      ids.splice(j, 0, i);
      if (ids.length > k) ids.pop();
    }
    return ids.map((id) => ({ id, logprob: t[id]! - this.#lnZ }));
  }
}

/** A token's text for OpenAI's `token` field: its UTF-8 text, or `bytes:\xNN…` when its bytes are not whole characters. */
export function tokenText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `bytes:${Array.from(bytes, (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}`;
  }
}

/** The chat entry of one generated token. */
export function tokenLogprob(bytesOf: (id: number) => Uint8Array, lp: NextLogprobs, token: number, k: number): TokenLogprob {
  const entry = (id: number, logprob: number): LogprobEntry => {
    const b = bytesOf(id);
    return { token: tokenText(b), logprob, bytes: Array.from(b) };
  };
  return { ...entry(token, lp.of(token)), top_logprobs: lp.top(k).map((e) => entry(e.id, e.logprob)) };
}

/** Chat shape of a run of entries. */
export function chatLogprobs(entries: readonly TokenLogprob[]): { content: TokenLogprob[]; refusal: null } {
  return { content: [...entries], refusal: null };
}

/**
 * Completions (legacy) shape: parallel arrays; `top_logprobs` maps token text to logprob
 * (two listed tokens with the same text keep the larger); `text_offset` is each token's
 * character offset in the text, counted from `offset`.
 */
export function completionLogprobs(entries: readonly TokenLogprob[], offset = 0): { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[]; text_offset: number[] } {
  const out = { tokens: [] as string[], token_logprobs: [] as number[], top_logprobs: [] as Record<string, number>[], text_offset: [] as number[] };
  let at = offset;
  for (const e of entries) {
    out.tokens.push(e.token);
    out.token_logprobs.push(e.logprob);
    const top: Record<string, number> = {};
    for (const t of e.top_logprobs) if (!(t.token in top)) top[t.token] = t.logprob;
    out.top_logprobs.push(top);
    out.text_offset.push(at);
    at += e.token.length;
  }
  return out;
}
