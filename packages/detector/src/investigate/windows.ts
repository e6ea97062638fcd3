/**
 * Window sets for investigations: which context windows a position must have to be
 * scored ("filters"), and which account each window was sent to (attribution).
 *
 * A window is identified by its window seed {hi, lo} under the real key — the value
 * `Watermark.windowSeed(tokens, end)` returns, and the value the provenance ledger
 * stores (docs/SERVE.md §4: hi·2^32 + lo as an unsigned 64-bit integer; in `self`
 * mode the min-hash window part, before the candidate token is folded in).
 *
 * Filters select positions by WINDOW only, never by (window, token) pair: the pairs a
 * watermarked generator emitted were chosen because they were green, so a pair filter
 * selects green tokens and flags innocent text. Whether a window is in a filter does
 * not depend on the green list at that window, so a text independent of the key is
 * still green with probability γ at the selected positions.
 *
 * Engine specs (version 2): the window of a position is the engine reader's context
 * digest (`EngineRead.ctxHi/ctxLo`: the tokens the engine keyed on, key-independent), at
 * the positions the engine keys — what `tracemark serve` records for an engine's
 * responses, packed the same way (hi·2^32 + lo).
 */
import { fmix32, type EngineReader, type Watermark } from '@tracemark/watermark';
import { ADDED, TupleSet } from '../tupleset.js';

/** Membership of a window seed; the cli's ledger `WindowFilter` satisfies it. */
export interface WindowSet {
  has(hi: number, lo: number): boolean;
  readonly size: number;
}

/** A hash set of window seeds (exact, 64-bit). */
export class WindowHashSet implements WindowSet {
  readonly #set = new TupleSet(1 << 12);

  get size(): number {
    return this.#set.size;
  }

  add(hi: number, lo: number): boolean {
    return this.#set.add(hi | 0, lo | 0, 0) === ADDED;
  }

  has(hi: number, lo: number): boolean {
    return this.#set.has(hi | 0, lo | 0, 0);
  }

  /** Add u64 window hashes (the ledger's and filter files' encoding). */
  addU64(values: Iterable<bigint>): this {
    for (const v of values) this.add(Number(v >> 32n), Number(v & 0xffffffffn));
    return this;
  }

  /** Union with another window list. */
  static fromU64(values: Iterable<bigint>): WindowHashSet {
    return new WindowHashSet().addU64(values);
  }
}

/** What names a position's window: tracemark's Watermark (window seeds), or an engine's reader (context digests). */
export type WindowSource = Watermark | EngineReader;

function isReader(src: WindowSource): src is EngineReader {
  return typeof (src as EngineReader).read === 'function';
}

/** Calls `f(i, hi, lo)` for every position i of `tokens` that has a window; `prompt` (engines that read into it). */
function forEachWindow(src: WindowSource, tokens: ArrayLike<number>, f: (i: number, hi: number, lo: number) => void, prompt?: ArrayLike<number>): void {
  if (isReader(src)) {
    const r = src.read(tokens, prompt && prompt.length > 0 ? { prompt } : {});
    for (let i = 0; i < r.n; i++) if (r.keyed[i]) f(i, r.ctxHi[i]! >>> 0, r.ctxLo[i]! >>> 0);
    return;
  }
  const w = { hi: 0, lo: 0 };
  for (let i = 0; i < tokens.length; i++) if (src.windowSeed(tokens, i, w)) f(i, w.hi >>> 0, w.lo >>> 0);
}

/** One generated sequence: the tokens the generator was given, then the tokens it generated. */
export interface GeneratedSequence {
  promptTokens: ArrayLike<number>;
  tokens: ArrayLike<number>;
}

/**
 * Calls `f(hi, lo)` for the window seed of every generated position that has a window
 * (≥ h tokens before it, the prompt included) — exactly the windows a provider's ledger
 * records for a response (docs/SERVE.md §4). With an engine reader: the context digest
 * of every generated position the engine keys (the prompt given to the reader).
 */
export function forEachGeneratedWindow(wm: WindowSource, seq: GeneratedSequence, f: (hi: number, lo: number) => void): void {
  if (isReader(wm)) {
    forEachWindow(wm, seq.tokens, (_i, hi, lo) => f(hi, lo), seq.promptTokens);
    return;
  }
  const p = seq.promptTokens.length, n = seq.tokens.length;
  const all = new Uint32Array(p + n);
  for (let i = 0; i < p; i++) all[i] = seq.promptTokens[i]!;
  for (let i = 0; i < n; i++) all[p + i] = seq.tokens[i]!;
  const w = { hi: 0, lo: 0 };
  for (let end = p; end < p + n; end++) {
    if (wm.windowSeed(all, end, w)) f(w.hi >>> 0, w.lo >>> 0);
  }
}

/**
 * The windows of generated sequences under `wm`'s key: a ledger filter rebuilt from the
 * responses themselves, or the built-in unsupervised filter (windows of fresh watermarked
 * generations of the provider's own model on the investigator's prompts).
 */
export function windowSetOf(wm: WindowSource, seqs: Iterable<GeneratedSequence>, into = new WindowHashSet()): WindowHashSet {
  for (const s of seqs) forEachGeneratedWindow(wm, s, (hi, lo) => into.add(hi, lo));
  return into;
}

/** u64 window hashes (hi·2^32 + lo) of generated sequences, in order of first appearance. */
export function windowHashesOf(wm: WindowSource, seqs: Iterable<GeneratedSequence>): BigUint64Array {
  const seen = new WindowHashSet();
  const out: bigint[] = [];
  for (const s of seqs) {
    forEachGeneratedWindow(wm, s, (hi, lo) => {
      if (seen.add(hi, lo)) out.push((BigInt(hi) << 32n) | BigInt(lo));
    });
  }
  return BigUint64Array.from(out);
}

/**
 * Per-position selection by a window filter: mask[i] = 1 iff position i has a window
 * and its window seed (under `wm`, i.e. the real key) is in the filter. Decided once,
 * with the real key, and applied to every key scored on the same evidence (decoys too),
 * so that all keys see exactly the same positions. With an engine reader: position i is
 * keyed by the engine and its context digest is in the filter (key-independent, so any
 * key's reader gives the same mask); `prompt` for engines whose contexts reach into it.
 */
export function windowMask(wm: WindowSource, tokens: ArrayLike<number>, filter: WindowSet, prompt?: ArrayLike<number>): Uint8Array {
  const mask = new Uint8Array(tokens.length);
  forEachWindow(wm, tokens, (i, hi, lo) => {
    if (filter.has(hi, lo)) mask[i] = 1;
  }, prompt);
  return mask;
}

export const SHARED_WINDOW = -2;
export const NO_OWNER = -1;

/**
 * Window → the one account it was sent to, or SHARED_WINDOW when several accounts
 * received it (open addressing on the 64-bit seed). Used to find each account's
 * EXCLUSIVE windows: positions whose window only that account ever received.
 */
export class WindowOwners {
  #cap = 1 << 12;
  #hi = new Int32Array(this.#cap);
  #lo = new Int32Array(this.#cap);
  #owner = new Int32Array(this.#cap).fill(NO_OWNER);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Record that `account` (an index ≥ 0) received window {hi, lo}. */
  add(hi: number, lo: number, account: number): void {
    if (!(account >= 0)) throw new RangeError('account index must be ≥ 0');
    let s = this.#slot(hi | 0, lo | 0);
    if (this.#owner[s] === NO_OWNER) {
      if ((this.#size + 1) * 2 > this.#cap) {
        this.#grow();
        s = this.#slot(hi | 0, lo | 0);
      }
      this.#hi[s] = hi | 0;
      this.#lo[s] = lo | 0;
      this.#owner[s] = account;
      this.#size++;
    } else if (this.#owner[s] !== account) this.#owner[s] = SHARED_WINDOW;
  }

  addU64(values: Iterable<bigint>, account: number): void {
    for (const v of values) this.add(Number(v >> 32n), Number(v & 0xffffffffn), account);
  }

  /** The owning account index, SHARED_WINDOW, or NO_OWNER (never sent). */
  owner(hi: number, lo: number): number {
    return this.#owner[this.#slot(hi | 0, lo | 0)]!;
  }

  /** Exclusive windows per account index (length `accounts`). */
  exclusiveCounts(accounts: number): Int32Array {
    const out = new Int32Array(accounts);
    for (let s = 0; s < this.#cap; s++) {
      const o = this.#owner[s]!;
      if (o >= 0 && o < accounts) out[o]!++;
    }
    return out;
  }

  #slot(hi: number, lo: number): number {
    const mask = this.#cap - 1;
    let s = mix(hi, lo) & mask;
    while (this.#owner[s] !== NO_OWNER && (this.#hi[s] !== hi || this.#lo[s] !== lo)) s = (s + 1) & mask;
    return s;
  }

  #grow(): void {
    const oh = this.#hi, ol = this.#lo, oo = this.#owner, oc = this.#cap;
    this.#cap *= 2;
    this.#hi = new Int32Array(this.#cap);
    this.#lo = new Int32Array(this.#cap);
    this.#owner = new Int32Array(this.#cap).fill(NO_OWNER);
    for (let i = 0; i < oc; i++) {
      if (oo[i] === NO_OWNER) continue;
      const s = this.#slot(oh[i]!, ol[i]!);
      this.#hi[s] = oh[i]!;
      this.#lo[s] = ol[i]!;
      this.#owner[s] = oo[i]!;
    }
  }
}

function mix(hi: number, lo: number): number {
  return fmix32(Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ hi);
}
