/**
 * WordNet synonym substitution: each content word that has a synonym (its most
 * frequent sense's other lemmas, see wordnet.ts) is replaced with probability
 * `rate` by one of them, chosen uniformly; case is kept. Function words (a fixed
 * stop list) and words of fewer than three letters are never eligible. Plural /
 * third-person "-s" forms are handled: "cars" → "automobiles".
 */
import { checkRate, checkText, matchCase, pick, type AttackOutcome, type Rng } from './common.js';
import { loadWordNet, type WordNet } from './wordnet.js';

export interface SynonymParams {
  /** Probability that an eligible word is replaced. */
  rate: number;
}

const STOP = new Set(
  `a about above after again against all also am an and any are as at be been before being below between both but by can
  could did do does doing down during each few for from further had has have having he her here hers herself him himself his
  how i if in into is it its itself just let me more most my myself no nor not now of off on once only or other our ours
  ourselves out over own same she should so some such than that the their theirs them themselves then there these they this
  those through to too under until up upon very was we were what when where which while who whom why will with would you your
  yours yourself yourselves one two three said says say get got go went make made like well even back still way much many
  may might must shall us new time year years day days man men thing things`
    .split(/\s+/)
    .filter(Boolean),
);

function pluralise(w: string): string {
  if (/(s|x|z|ch|sh)$/.test(w)) return `${w}es`;
  if (/[^aeiou]y$/.test(w)) return `${w.slice(0, -1)}ies`;
  return `${w}s`;
}

/** Synonyms of a lower-case word form (with simple -s inflection), or none. */
export function synonymsOf(wn: WordNet, lower: string): readonly string[] {
  if (lower.length < 3 || STOP.has(lower)) return [];
  const direct = wn.synonyms(lower);
  if (direct.length > 0) return direct;
  if (lower.length > 3 && lower.endsWith('s') && !lower.endsWith('ss')) {
    const bases = lower.endsWith('ies') ? [`${lower.slice(0, -3)}y`] : lower.endsWith('es') ? [lower.slice(0, -2), lower.slice(0, -1)] : [lower.slice(0, -1)];
    for (const b of bases) {
      if (STOP.has(b)) continue;
      const s = wn.synonyms(b);
      if (s.length > 0) return s.map(pluralise);
    }
  }
  return [];
}

export function synonymsDetailed(text: string, params: SynonymParams, rng: Rng, wn: WordNet = loadWordNet()): AttackOutcome {
  checkText('synonym', text);
  const p = checkRate('synonym', params?.rate);
  let eligible = 0, changed = 0;
  const out = text.replace(/[A-Za-z]+/g, (w, offset: number, whole: string) => {
    // skip pieces of contractions and hyphen-less compounds with digits ("it's", "x2")
    const prev = whole[offset - 1], next = whole[offset + w.length];
    if (prev === "'" || prev === '’' || next === "'" || next === '’' || /\d/.test(prev ?? '') || /\d/.test(next ?? '')) return w;
    const syn = synonymsOf(wn, w.toLowerCase());
    if (syn.length === 0) return w;
    eligible++;
    if (!(rng() < p)) return w;
    changed++;
    return matchCase(pick(rng, syn), w);
  });
  return { text: out, eligible, changed };
}

export function synonyms(text: string, params: SynonymParams, rng: Rng): string {
  return synonymsDetailed(text, params, rng).text;
}
