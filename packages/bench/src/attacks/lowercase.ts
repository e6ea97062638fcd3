/**
 * Lowercasing: each whitespace-separated word that has an upper-case letter is
 * lower-cased with probability `rate` (rate 1: the whole text, as a chat UI or a
 * careless copy might). Whitespace is kept as is.
 */
import { checkRate, checkText, joinWords, splitWords, type AttackOutcome, type Rng } from './common.js';

export interface LowercaseParams {
  /** Probability that a word with capitals is lower-cased (default 1). */
  rate?: number;
}

export function lowercaseDetailed(text: string, params: LowercaseParams, rng: Rng): AttackOutcome {
  checkText('lowercase', text);
  const p = checkRate('lowercase', params?.rate ?? 1);
  const ws = splitWords(text);
  let eligible = 0, changed = 0;
  for (const it of ws.items) {
    const lower = it.w.toLowerCase();
    if (lower === it.w) continue;
    eligible++;
    if (p === 1 || rng() < p) {
      it.w = lower;
      changed++;
    }
  }
  return { text: joinWords(ws), eligible, changed };
}

export function lowercase(text: string, params: LowercaseParams, rng: Rng): string {
  return lowercaseDetailed(text, params, rng).text;
}
