/**
 * Zero-width character insertion: into each gap between two adjacent characters
 * (code points, so surrogate pairs are never split) an invisible character —
 * ZERO WIDTH SPACE, ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER, WORD JOINER or
 * ZERO WIDTH NO-BREAK SPACE, chosen uniformly — is inserted with probability
 * `rate`. Invisible on screen; every insertion splits the tokenization.
 * Defence: `normalizeText` strips format characters (@tracemark/detector).
 */
import { checkRate, checkText, pick, type AttackOutcome, type Rng } from './common.js';

export interface ZeroWidthParams {
  /** Probability that a gap between characters receives an invisible character. */
  rate: number;
}

export const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'] as const;

export function zeroWidthDetailed(text: string, params: ZeroWidthParams, rng: Rng): AttackOutcome {
  checkText('zero-width', text);
  const p = checkRate('zero-width', params?.rate);
  const cps = Array.from(text);
  let out = cps[0] ?? '';
  let changed = 0;
  for (let i = 1; i < cps.length; i++) {
    if (rng() < p) {
      out += pick(rng, ZERO_WIDTH);
      changed++;
    }
    out += cps[i]!;
  }
  return { text: out, eligible: Math.max(0, cps.length - 1), changed };
}

export function zeroWidth(text: string, params: ZeroWidthParams, rng: Rng): string {
  return zeroWidthDetailed(text, params, rng).text;
}
