/**
 * Adjacent-word swap: the words are paired (w0 w1)(w2 w3)… after a random offset
 * of 0 or 1, and each pair is swapped independently with probability `rate`, so
 * the number of swaps is exactly Binomial(pairs, rate). A word keeps the
 * whitespace that followed it in its old position (the layout is unchanged).
 */
import { checkRate, checkText, joinWords, splitWords, type AttackOutcome, type Rng } from './common.js';

export interface SwapParams {
  /** Probability that a pair of adjacent words is swapped. */
  rate: number;
}

export function swapDetailed(text: string, params: SwapParams, rng: Rng): AttackOutcome {
  checkText('swap', text);
  const p = checkRate('swap', params?.rate);
  const ws = splitWords(text);
  const n = ws.items.length;
  const offset = n >= 2 && rng() < 0.5 ? 1 : 0;
  let eligible = 0, changed = 0;
  for (let i = offset; i + 1 < n; i += 2) {
    eligible++;
    if (!(rng() < p)) continue;
    const a = ws.items[i]!, b = ws.items[i + 1]!;
    [a.w, b.w] = [b.w, a.w];
    changed++;
  }
  return { text: joinWords(ws), eligible, changed };
}

export function swapWords(text: string, params: SwapParams, rng: Rng): string {
  return swapDetailed(text, params, rng).text;
}
