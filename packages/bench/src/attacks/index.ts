/**
 * The attack registry: names, parameters, the default grid, and the parser of
 * `--attacks` (comma-separated `name[:param]`; copy-paste takes `KxF`, k spans
 * making a fraction F of the text; `default`, `all` and `none` are lists).
 */
import { AttackError, type AttackOutcome, type Rng } from './common.js';
import { contractionsDetailed } from './contractions.js';
import { copyPasteDetailed } from './copypaste.js';
import { homoglyphsDetailed } from './homoglyphs.js';
import { lowercaseDetailed } from './lowercase.js';
import { misspellingsDetailed } from './misspellings.js';
import { swapDetailed } from './swap.js';
import { synonymsDetailed } from './synonyms.js';
import { tokenSubstitutionDetailed } from './tokens.js';
import { typosDetailed } from './typos.js';
import { deletionDetailed, repetitionDetailed } from './words.js';
import { zeroWidthDetailed } from './zerowidth.js';

export { AttackError, isWellFormed, type AttackOutcome, type Rng } from './common.js';
export { typos, typosDetailed } from './typos.js';
export { misspellings, misspellingsDetailed, MISSPELLINGS } from './misspellings.js';
export { contract, expand, contractionsDetailed, CONTRACTIONS } from './contractions.js';
export { lowercase, lowercaseDetailed } from './lowercase.js';
export { swapWords, swapDetailed } from './swap.js';
export { deleteWords, repeatWords, deletionDetailed, repetitionDetailed } from './words.js';
export { synonyms, synonymsDetailed, synonymsOf } from './synonyms.js';
export { loadWordNet } from './wordnet.js';
export { tokenSubstitution, tokenSubstitutionDetailed, standaloneTokens } from './tokens.js';
export { copyPaste, copyPasteDetailed } from './copypaste.js';
export { homoglyphs, homoglyphsDetailed, HOMOGLYPHS } from './homoglyphs.js';
export { zeroWidth, zeroWidthDetailed, ZERO_WIDTH } from './zerowidth.js';
export { llmAttack, chatUrl, type LlmParams, type LlmMode } from './llm.js';

export const RATE_ATTACKS = [
  'typo', 'misspell', 'contract', 'expand', 'lowercase', 'swap', 'delete', 'repeat', 'synonym', 'token-sub', 'homoglyph', 'zero-width',
] as const;
export type RateAttack = (typeof RATE_ATTACKS)[number];
export const ATTACK_NAMES = ['none', ...RATE_ATTACKS, 'copy-paste', 'paraphrase', 'translate'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export type AttackConfig =
  | { name: 'none' }
  | { name: RateAttack; rate: number }
  | { name: 'copy-paste'; spans: number; fraction: number }
  | { name: 'paraphrase' }
  | { name: 'translate' };

const DESCRIPTIONS: Record<AttackName, string> = {
  none: 'no attack',
  typo: 'character typos (share of letters)',
  misspell: 'common misspellings (share of table words)',
  contract: 'contractions: "do not" → "don\'t" (share of sites)',
  expand: 'expansions: "don\'t" → "do not" (share of sites)',
  lowercase: 'lowercase (share of capitalised words)',
  swap: 'adjacent-word swaps (share of word pairs)',
  delete: 'word deletion (share of words)',
  repeat: 'word repetition (share of words)',
  synonym: 'WordNet synonym substitution (share of eligible words)',
  'token-sub': 'random o200k token substitution (share of tokens)',
  'copy-paste': 'k watermarked spans pasted into human text (share of tokens)',
  homoglyph: 'Cyrillic/Greek homoglyphs (share of letters with a lookalike)',
  'zero-width': 'zero-width characters (share of character gaps)',
  paraphrase: 'LLM paraphrase (endpoint)',
  translate: 'LLM round-trip translation via French (endpoint)',
};

export function describeAttack(name: AttackName): string {
  return DESCRIPTIONS[name];
}

/** Stable id: `typo:0.05`, `copy-paste:1x0.1`, `none`. */
export function attackId(a: AttackConfig): string {
  if (a.name === 'none' || a.name === 'paraphrase' || a.name === 'translate') return a.name;
  if (a.name === 'copy-paste') return `copy-paste:${a.spans}x${a.fraction}`;
  return `${a.name}:${a.rate}`;
}

/** What the parameter means, for tables: "p = 0.05", "1 × 10%". */
export function attackParamLabel(a: AttackConfig): string {
  if (a.name === 'none' || a.name === 'paraphrase' || a.name === 'translate') return '—';
  if (a.name === 'copy-paste') return `${a.spans} span${a.spans > 1 ? 's' : ''}, ${Math.round(a.fraction * 1000) / 10}%`;
  return `p = ${a.rate}`;
}

export const DEFAULT_ATTACKS = [
  'none', 'typo:0.05', 'typo:0.1', 'misspell:1', 'contract:1', 'expand:1', 'lowercase:1', 'swap:0.1', 'swap:0.25',
  'delete:0.05', 'delete:0.15', 'delete:0.3', 'repeat:0.05', 'repeat:0.15', 'repeat:0.3',
  'synonym:0.25', 'synonym:0.5', 'synonym:1', 'token-sub:0.1', 'token-sub:0.2', 'token-sub:0.3',
  'copy-paste:1x0.1', 'copy-paste:3x0.1', 'copy-paste:1x0.25', 'copy-paste:3x0.25',
  'homoglyph:0.05', 'homoglyph:0.25', 'zero-width:0.05', 'zero-width:0.25',
] as const;

/** Parse one `name[:param]`. */
export function parseAttack(s: string): AttackConfig {
  const raw = s.trim();
  const [name, param, ...more] = raw.split(':');
  if (more.length > 0 || !name) throw new AttackError(`bad attack ${JSON.stringify(raw)} (expected name or name:param)`);
  if (!(ATTACK_NAMES as readonly string[]).includes(name)) {
    throw new AttackError(`unknown attack ${JSON.stringify(name)} (expected one of ${ATTACK_NAMES.join(', ')})`);
  }
  const n = name as AttackName;
  if (n === 'none' || n === 'paraphrase' || n === 'translate') {
    if (param !== undefined) throw new AttackError(`attack ${n} takes no parameter`);
    return { name: n };
  }
  if (n === 'copy-paste') {
    const m = /^(\d+)x([0-9.eE+-]+)$/.exec(param ?? '');
    const spans = m ? Number(m[1]) : NaN, fraction = m ? Number(m[2]) : NaN;
    if (!m || !(spans >= 1 && spans <= 50) || !(fraction > 0 && fraction < 1)) {
      throw new AttackError(`copy-paste needs KxF: k spans (1–50) making a fraction F in (0, 1) of the text, e.g. copy-paste:1x0.1 (got ${JSON.stringify(param ?? '')})`);
    }
    return { name: n, spans, fraction };
  }
  if (param === undefined && n === 'lowercase') return { name: n, rate: 1 };
  const rate = Number(param);
  if (param === undefined || param.trim() === '' || !(rate >= 0 && rate <= 1)) {
    throw new AttackError(`attack ${n} needs a rate in [0, 1], e.g. ${n}:0.1 (got ${JSON.stringify(param ?? '')})`);
  }
  return { name: n as RateAttack, rate };
}

/** Parse `--attacks`: a comma-separated list, or `default` / `all` / `none`. Duplicates are dropped. */
export function parseAttackList(s: string | undefined, extra: readonly AttackConfig[] = []): AttackConfig[] {
  const items = (s ?? 'default').split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  const out: AttackConfig[] = [];
  const seen = new Set<string>();
  const add = (a: AttackConfig): void => {
    const id = attackId(a);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(a);
    }
  };
  for (const it of items) {
    if (it === 'default' || it === 'all') DEFAULT_ATTACKS.forEach((d) => add(parseAttack(d)));
    else if (it === 'none' && items.length === 1) add({ name: 'none' });
    else add(parseAttack(it));
  }
  extra.forEach(add);
  return out;
}

export interface AttackContext {
  /** Human text for copy-paste (long enough for the fraction asked). */
  host?: string;
}

/** Run a synchronous attack. LLM attacks are async: use `llmAttack`. */
export function runAttack(a: AttackConfig, text: string, rng: Rng, ctx: AttackContext = {}): AttackOutcome {
  switch (a.name) {
    case 'none':
      return { text, eligible: 0, changed: 0 };
    case 'typo':
      return typosDetailed(text, { rate: a.rate }, rng);
    case 'misspell':
      return misspellingsDetailed(text, { rate: a.rate }, rng);
    case 'contract':
    case 'expand':
      return contractionsDetailed(text, a.name, { rate: a.rate }, rng);
    case 'lowercase':
      return lowercaseDetailed(text, { rate: a.rate }, rng);
    case 'swap':
      return swapDetailed(text, { rate: a.rate }, rng);
    case 'delete':
      return deletionDetailed(text, { rate: a.rate }, rng);
    case 'repeat':
      return repetitionDetailed(text, { rate: a.rate }, rng);
    case 'synonym':
      return synonymsDetailed(text, { rate: a.rate }, rng);
    case 'token-sub':
      return tokenSubstitutionDetailed(text, { rate: a.rate }, rng);
    case 'homoglyph':
      return homoglyphsDetailed(text, { rate: a.rate }, rng);
    case 'zero-width':
      return zeroWidthDetailed(text, { rate: a.rate }, rng);
    case 'copy-paste':
      if (ctx.host === undefined) throw new AttackError('copy-paste needs a host text');
      return copyPasteDetailed(text, { fraction: a.fraction, spans: a.spans, host: ctx.host }, rng);
    case 'paraphrase':
    case 'translate':
      throw new AttackError(`${a.name} is asynchronous (an endpoint call): use llmAttack`);
  }
}
