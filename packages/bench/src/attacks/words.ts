/**
 * Word deletion and word repetition: each whitespace-separated word is deleted
 * (with the whitespace after it), or repeated ("the the"), independently with
 * probability `rate`: Binomial(words, rate) edits.
 */
import { checkRate, checkText, joinWords, splitWords, type AttackOutcome, type Rng } from './common.js';

export interface WordEditParams {
  /** Probability that a word is deleted / repeated. */
  rate: number;
}

export function deletionDetailed(text: string, params: WordEditParams, rng: Rng): AttackOutcome {
  checkText('delete', text);
  const p = checkRate('delete', params?.rate);
  const ws = splitWords(text);
  const kept: typeof ws.items = [];
  let changed = 0;
  for (const it of ws.items) {
    if (rng() < p) changed++;
    else kept.push(it);
  }
  return { text: joinWords({ lead: ws.lead, items: kept }), eligible: ws.items.length, changed };
}

export function repetitionDetailed(text: string, params: WordEditParams, rng: Rng): AttackOutcome {
  checkText('repeat', text);
  const p = checkRate('repeat', params?.rate);
  const ws = splitWords(text);
  const out: typeof ws.items = [];
  let changed = 0;
  for (const it of ws.items) {
    if (rng() < p) {
      changed++;
      out.push({ w: it.w, s: ' ' });
    }
    out.push(it);
  }
  return { text: joinWords({ lead: ws.lead, items: out }), eligible: ws.items.length, changed };
}

export function deleteWords(text: string, params: WordEditParams, rng: Rng): string {
  return deletionDetailed(text, params, rng).text;
}

export function repeatWords(text: string, params: WordEditParams, rng: Rng): string {
  return repetitionDetailed(text, params, rng).text;
}
