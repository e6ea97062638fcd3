/**
 * Text normalisation: the defence against character-level obfuscation, applied
 * to a suspect text before detection. Detection scores exactly the text it is
 * given unless asked to normalise (DetectorOptions / DetectOptions `normalize`,
 * off by default); the benchmark reports every attack with it on and off:
 *
 *   1. Unicode NFKC (fullwidth and other compatibility forms → their plain letters);
 *   2. strip format characters (general category Cf: zero-width space/joiners, word
 *      joiner, BOM, soft hyphen, bidi controls) and the combining grapheme joiner;
 *   3. map Cyrillic and Greek letters that look like Latin ones (а→a, ο→o, Н→H, …)
 *      back to Latin — inside words that also contain a Latin letter, and in
 *      lookalike-only words when the text is mostly Latin (≥ 80% of its letters
 *      are Latin or lookalikes), so genuine Russian or Greek text is left alone.
 *
 * Normalisation changes the text a detector sees (and the tokens it scores), so
 * whether detection applies it by default is a measured decision, not assumed.
 */

/** Cyrillic/Greek → Latin lookalikes (a superset of what the homoglyph attack uses). */
export const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic lower case
  '\u0430': 'a', '\u0441': 'c', '\u0501': 'd', '\u0435': 'e', '\u04bb': 'h', '\u0456': 'i', '\u0458': 'j',
  '\u043e': 'o', '\u0440': 'p', '\u051b': 'q', '\u0455': 's', '\u051d': 'w', '\u0445': 'x', '\u0443': 'y',
  '\u0461': 'w', '\u0475': 'v', '\u04cf': 'l',
  // Cyrillic upper case
  '\u0410': 'A', '\u0412': 'B', '\u0421': 'C', '\u0415': 'E', '\u041d': 'H', '\u0406': 'I', '\u0408': 'J',
  '\u041a': 'K', '\u041c': 'M', '\u041e': 'O', '\u0420': 'P', '\u0405': 'S', '\u0422': 'T', '\u0425': 'X',
  '\u04ae': 'Y', '\u0423': 'Y', '\u0500': 'D', '\u051a': 'Q', '\u051c': 'W', '\u04c0': 'I',
  // Greek lower case
  '\u03bf': 'o', '\u03c1': 'p', '\u03bd': 'v', '\u03b9': 'i', '\u03ba': 'k', '\u03c5': 'u', '\u03b1': 'a',
  // Greek upper case
  '\u0391': 'A', '\u0392': 'B', '\u0395': 'E', '\u0396': 'Z', '\u0397': 'H', '\u0399': 'I', '\u039a': 'K',
  '\u039c': 'M', '\u039d': 'N', '\u039f': 'O', '\u03a1': 'P', '\u03a4': 'T', '\u03a5': 'Y', '\u03a7': 'X',
};

const FORMAT = /[\p{Cf}\u034f]/gu;
const WORD = /[\p{L}\p{M}]+/gu;
const LATIN = /\p{Script=Latin}/u;

export function normalizeText(text: string): string {
  return mapLookalikes(text.normalize('NFKC').replace(FORMAT, ''));
}

/** Step 3 alone: Cyrillic/Greek lookalikes → Latin, one UTF-16 unit for one (the length never changes). */
function mapLookalikes(text: string): string {
  let t = text;
  // How Latin is the text? (letters that are Latin or lookalikes)
  let letters = 0, latinish = 0;
  for (const ch of t) {
    if (!/\p{L}/u.test(ch)) continue;
    letters++;
    if (LATIN.test(ch) || Object.hasOwn(CONFUSABLES, ch)) latinish++;
  }
  if (latinish === 0 || letters === 0) return t;
  const mostlyLatin = latinish >= 0.8 * letters;
  t = t.replace(WORD, (w) => {
    let hasConf = false, hasLatin = false, onlyConf = true;
    for (const ch of w) {
      const conf = Object.hasOwn(CONFUSABLES, ch);
      if (conf) hasConf = true;
      else if (LATIN.test(ch)) hasLatin = true;
      if (!conf && !/\p{M}/u.test(ch)) onlyConf = false;
    }
    if (!hasConf || !(hasLatin || (onlyConf && mostlyLatin))) return w;
    let out = '';
    for (const ch of w) out += Object.hasOwn(CONFUSABLES, ch) ? CONFUSABLES[ch]! : ch;
    return out;
  });
  return t;
}

/** A normalised text and, for each of its UTF-16 units (and its end), the offset in the original it came from. */
export interface NormalizedText {
  text: string;
  /** offsets[i]: where unit i of `text` starts in the original; offsets[text.length] = original length. */
  offsets: Int32Array;
}

// a base character with its combining marks (NFKC composes within such a run), or stray marks
const RUN = /\P{M}\p{M}*|\p{M}+/gsu;

/**
 * normalizeText with a map back to the original: NFKC is applied per base-plus-marks run (what
 * composition acts on; the same result as whole-text NFKC except for conjoining Hangul jamo),
 * format characters are dropped, lookalikes are swapped one unit for one unit. Character
 * offsets found on the normalised text (spans, marks) map back through `offsets`.
 */
export function normalizeWithOffsets(text: string): NormalizedText {
  const units: string[] = [];
  const from: number[] = [];
  for (const m of text.matchAll(RUN)) {
    const piece = m[0].normalize('NFKC').replace(FORMAT, '');
    units.push(piece);
    for (let k = 0; k < piece.length; k++) from.push(m.index);
  }
  const stripped = units.join('');
  from.push(text.length);
  return { text: mapLookalikes(units.join('')), offsets: Int32Array.from(from) };
}
