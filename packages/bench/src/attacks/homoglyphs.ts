/**
 * Homoglyph substitution: each Latin letter that has a visually identical
 * Cyrillic or Greek counterpart (а for a, ο for o, Н for H, …) is replaced with
 * probability `rate` by one, chosen uniformly. The text looks the same and
 * tokenizes very differently. Defence: `normalizeText` (@tracemark/detector).
 */
import { checkRate, checkText, pick, type AttackOutcome, type Rng } from './common.js';

export interface HomoglyphParams {
  /** Probability that a letter with a lookalike is replaced. */
  rate: number;
}

/** Latin letter → Cyrillic/Greek lookalikes (each maps back in normalize.ts). */
export const HOMOGLYPHS: Readonly<Record<string, readonly string[]>> = {
  a: ['\u0430'], c: ['\u0441'], d: ['\u0501'], e: ['\u0435'], h: ['\u04bb'], i: ['\u0456'], j: ['\u0458'],
  o: ['\u043e', '\u03bf'], p: ['\u0440', '\u03c1'], q: ['\u051b'], s: ['\u0455'], v: ['\u03bd'], w: ['\u051d'],
  x: ['\u0445'], y: ['\u0443'],
  A: ['\u0410', '\u0391'], B: ['\u0412', '\u0392'], C: ['\u0421'], E: ['\u0415', '\u0395'], H: ['\u041d', '\u0397'],
  I: ['\u0406', '\u0399'], J: ['\u0408'], K: ['\u041a', '\u039a'], M: ['\u041c', '\u039c'], N: ['\u039d'],
  O: ['\u041e', '\u039f'], P: ['\u0420', '\u03a1'], S: ['\u0405'], T: ['\u0422', '\u03a4'], X: ['\u0425', '\u03a7'],
  Y: ['\u04ae', '\u03a5'], Z: ['\u0396'],
};

export function homoglyphsDetailed(text: string, params: HomoglyphParams, rng: Rng): AttackOutcome {
  checkText('homoglyph', text);
  const p = checkRate('homoglyph', params?.rate);
  let out = '';
  let eligible = 0, changed = 0;
  for (const ch of text) {
    const alts = Object.hasOwn(HOMOGLYPHS, ch) ? HOMOGLYPHS[ch] : undefined;
    if (!alts) {
      out += ch;
      continue;
    }
    eligible++;
    if (rng() < p) {
      out += pick(rng, alts);
      changed++;
    } else {
      out += ch;
    }
  }
  return { text: out, eligible, changed };
}

export function homoglyphs(text: string, params: HomoglyphParams, rng: Rng): string {
  return homoglyphsDetailed(text, params, rng).text;
}
