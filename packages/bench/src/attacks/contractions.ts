/**
 * Contractions and expansions: "do not" ↔ "don't", "it is" ↔ "it's", … Each site
 * found (a two-word phrase for `contract`, a contraction for `expand`) is rewritten
 * independently with probability `rate`; the first letter's case is kept. Both the
 * straight (') and the typographic (’) apostrophe are recognised; rewrites use the
 * straight one.
 */
import { AttackError, checkRate, checkText, matchCase, type AttackOutcome, type Rng } from './common.js';

export type ContractionDirection = 'contract' | 'expand';

export interface ContractionParams {
  /** Probability that a site is rewritten. */
  rate: number;
}

/** [expanded, contracted] (lower case). */
export const CONTRACTIONS: readonly (readonly [string, string])[] = [
  ['do not', "don't"], ['does not', "doesn't"], ['did not', "didn't"], ['is not', "isn't"],
  ['are not', "aren't"], ['was not', "wasn't"], ['were not', "weren't"], ['have not', "haven't"],
  ['has not', "hasn't"], ['had not', "hadn't"], ['will not', "won't"], ['would not', "wouldn't"],
  ['cannot', "can't"], ['could not', "couldn't"], ['should not', "shouldn't"], ['must not', "mustn't"],
  ['need not', "needn't"], ['it is', "it's"], ['that is', "that's"], ['there is', "there's"],
  ['what is', "what's"], ['who is', "who's"], ['here is', "here's"], ['he is', "he's"],
  ['she is', "she's"], ['i am', "i'm"], ['you are', "you're"], ['we are', "we're"],
  ['they are', "they're"], ['i have', "i've"], ['you have', "you've"], ['we have', "we've"],
  ['they have', "they've"], ['i will', "i'll"], ['you will', "you'll"], ['he will', "he'll"],
  ['she will', "she'll"], ['we will', "we'll"], ['they will', "they'll"], ['it will', "it'll"],
  ['i would', "i'd"], ['you would', "you'd"], ['we would', "we'd"], ['they would', "they'd"],
  ['let us', "let's"],
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const byExpanded = new Map(CONTRACTIONS.map(([e, c]) => [e, c]));
const byContracted = new Map(CONTRACTIONS.map(([e, c]) => [c, e]));
// Longest alternatives first; phrases match across any run of spaces.
const EXPANDED_RE = new RegExp(
  `\\b(?:${[...byExpanded.keys()].sort((a, b) => b.length - a.length).map((e) => escape(e).replace(' ', '[ \\t]+')).join('|')})\\b`,
  'gi',
);
const CONTRACTED_RE = new RegExp(
  `\\b(?:${[...byContracted.keys()].sort((a, b) => b.length - a.length).map((c) => escape(c).replace("'", "['’]")).join('|')})(?![A-Za-z'’])`,
  'gi',
);

/** "I" stays capital in every position. */
function fixI(s: string): string {
  return s.replace(/\bi(?=\b|')/g, 'I');
}

export function contractionsDetailed(text: string, direction: ContractionDirection, params: ContractionParams, rng: Rng): AttackOutcome {
  if (direction !== 'contract' && direction !== 'expand') throw new AttackError(`contractions: direction must be contract or expand`);
  checkText(direction, text);
  const p = checkRate(direction, params?.rate);
  let eligible = 0, changed = 0;
  const re = direction === 'contract' ? EXPANDED_RE : CONTRACTED_RE;
  re.lastIndex = 0;
  const out = text.replace(re, (m) => {
    const key = direction === 'contract' ? m.toLowerCase().replace(/[ \t]+/, ' ') : m.toLowerCase().replace('’', "'");
    const to = direction === 'contract' ? byExpanded.get(key) : byContracted.get(key);
    if (to === undefined) return m;
    eligible++;
    if (!(rng() < p)) return m;
    changed++;
    const cased = matchCase(to, m);
    return key.startsWith('i ') || key.startsWith("i'") || key === 'i' ? fixI(cased) : cased;
  });
  return { text: out, eligible, changed };
}

export function contract(text: string, params: ContractionParams, rng: Rng): string {
  return contractionsDetailed(text, 'contract', params, rng).text;
}

export function expand(text: string, params: ContractionParams, rng: Rng): string {
  return contractionsDetailed(text, 'expand', params, rng).text;
}
