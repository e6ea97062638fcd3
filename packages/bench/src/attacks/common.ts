/**
 * Shared pieces of the text attacks. Every attack is a pure function
 * `(text, params, rng) → text`: the same inputs and the same seeded rng give the
 * same output, nothing global is read or written, and any well-formed string
 * (including '') gives a well-formed string. The `…Detailed` variants also say how
 * many units were eligible and how many were changed, so that the benchmark can
 * report the rate actually applied and the tests can check it.
 */
import type { Rng } from '@tracemark/watermark';

export type { Rng };

export interface AttackOutcome {
  text: string;
  /** Units the attack could have changed (characters, words, tokens, sites…). */
  eligible: number;
  /** Units it changed. */
  changed: number;
}

export class AttackError extends Error {
  override name = 'AttackError';
}

/** A rate in [0, 1] (one-line error naming the attack otherwise). */
export function checkRate(attack: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new AttackError(`${attack}: rate must be a number in [0, 1] (got ${JSON.stringify(p)})`);
  }
  return p;
}

export function checkText(attack: string, text: unknown): string {
  if (typeof text !== 'string') throw new AttackError(`${attack}: text must be a string`);
  return text;
}

/** A uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[randInt(rng, xs.length)]!;
}

/**
 * Text as whitespace-separated words: `lead` (leading whitespace), then each word
 * with the whitespace that follows it. join(split(t)) === t.
 */
export interface Words {
  lead: string;
  items: { w: string; s: string }[];
}

export function splitWords(text: string): Words {
  const m = /^\s*/.exec(text)!;
  const lead = m[0];
  const items: { w: string; s: string }[] = [];
  const re = /(\S+)(\s*)/g;
  re.lastIndex = lead.length;
  let x: RegExpExecArray | null;
  while ((x = re.exec(text)) !== null) items.push({ w: x[1]!, s: x[2]! });
  return { lead, items };
}

export function joinWords(ws: Words): string {
  let out = ws.lead;
  for (const it of ws.items) out += it.w + it.s;
  return out;
}

/** Give `word` the letter case of `like` (all caps, capitalised, or as is). */
export function matchCase(word: string, like: string): string {
  if (like.length > 1 && like === like.toUpperCase() && like !== like.toLowerCase()) return word.toUpperCase();
  const first = like[0];
  if (first !== undefined && first !== first.toLowerCase() && first === first.toUpperCase()) {
    return word.charAt(0).toUpperCase() + word.slice(1);
  }
  return word;
}

/** Letters-only runs (ASCII, with inner apostrophes) — the "words" of the lexical attacks. */
export const LATIN_WORD = /[A-Za-z]+(?:['’][A-Za-z]+)*/g;

/** True when the string has no lone surrogates (i.e. it encodes to UTF-8 as is). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}
