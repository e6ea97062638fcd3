// vLLM's PRF words of a whole text, remembered for the last few (PRF, key, width, text)
// readings: the Detector reads a text (tracemark's exact p) and then asks for the engine's
// own statistic of the same text, and both need the same words. A hit costs a comparison
// of the tokens and a copy, not a Philox (or HMAC) pass.
import { vllmWordsWasm } from '../kernel/engine-kernel.js';
import type { U64Words } from './u64.js';

interface Entry {
  id: string;
  tokens: Int32Array;
  words: Uint32Array;
}

/** Dual key reads two keys per text: room for both, and for one more text. */
const ENTRIES = 4;
/** Texts longer than this are not remembered (at most 4 × 2 MB held; a longer text re-reads in ~10 ms per 256k tokens). */
const MAX_REMEMBERED = 1 << 18;
const recent: Entry[] = [];

function sameTokens(a: Int32Array, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== (b[i]! | 0)) return false;
  return true;
}

/**
 * The words `compute` gives for this text, or the remembered ones for the same `id` (what
 * the words depend on besides the tokens: PRF, key, width) and tokens; the caller owns the array.
 */
export function rememberedWords(id: string, tokens: ArrayLike<number>, compute: () => Uint32Array): Uint32Array {
  for (let e = 0; e < recent.length; e++) {
    const r = recent[e]!;
    if (r.id === id && sameTokens(r.tokens, tokens)) {
      if (e > 0) recent.unshift(...recent.splice(e, 1));
      return r.words.slice();
    }
  }
  const words = compute();
  if (tokens.length <= MAX_REMEMBERED) {
    const copy = new Int32Array(tokens.length);
    copy.set(tokens as ArrayLike<number>); // (Int32Array.from walks an iterator: several times slower)
    recent.unshift({ id, tokens: copy, words: words.slice() });
    if (recent.length > ENTRIES) recent.pop();
  }
  return words;
}

/** The Philox word of every position (philox or philox_legacy layout), through the WebAssembly kernel. */
export function philoxTextWords(key: U64Words, tokens: ArrayLike<number>, width: number, legacy: boolean): Uint32Array {
  const id = `${legacy ? 'philox_legacy' : 'philox'}:${width}:${key.hi}:${key.lo}`;
  return rememberedWords(id, tokens, () => vllmWordsWasm(key, tokens, width, legacy));
}

/** Forget every remembered reading (benchmarks time a first read with it). */
export function forgetVllmWords(): void {
  recent.length = 0;
}
